"""The ``mcp`` SDK is imported when MCP is used, not when the application starts: it is
about 20 MB of a server's memory that most servers never need."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import sys
from atrium.app import create_app

create_app()
assert "atrium.web.mcp_gateway" in sys.modules and "atrium.resolvers.mcp.gateways" in sys.modules
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("mcp", "mcp_types"))
assert not loaded, loaded[:20]
"""


def test_the_app_starts_without_importing_the_mcp_sdk(tmp_path: Path) -> None:
    env = {**os.environ, "ATRIUM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"}
    env.pop("ATRIUM_ENV", None)
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert probe.returncode == 0, probe.stderr.decode()[-3000:]
