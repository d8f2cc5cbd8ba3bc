"""What a server process loads at start-up: libraries only some requests need wait for them."""

from __future__ import annotations

import os
import subprocess
import sys

# The LLM proxy's upstream calls and webhook deliveries (httpx, whose import also loads
# its command line: rich, pygments), OpenAI-compatible agent replies (openai), MCP
# installs and gateways (mcp), the Redis event bus (redis) and, serving SQLite,
# PostgreSQL's dialect (which imports the modules of all its drivers).
LOADED_ON_FIRST_USE = (
    "httpx",
    "rich",
    "pygments",
    "openai",
    "mcp",
    "redis",
    "sqlalchemy.dialects.postgresql",
)


def test_creating_the_app_leaves_first_use_libraries_unimported() -> None:
    # given a fresh interpreter that imports the app and creates it, as `atrium serve` does
    code = (
        "import sys\n"
        "from atrium.app import create_app\n"
        "from atrium.core.config import Settings\n"
        "create_app(Settings(database_url='sqlite+aiosqlite:///:memory:', _env_file=None))\n"
        f"print(' '.join(m for m in {LOADED_ON_FIRST_USE!r} if m in sys.modules))\n"
    )
    # with the defaults: an ATRIUM_REDIS_URL (docker-compose sets one) would load redis
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ATRIUM_")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=environment,
    )

    # then none of the first-use libraries was loaded
    assert done.stdout.split() == []
