"""Schemathesis fuzzes every REST route from /rest/openapi.json: no server errors."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from atrium.core.config import Settings
from atrium.core.migrate import upgrade
from atrium.demo import bootstrap
from tests.support.processes import atrium_server


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"
    upgrade(url)
    return {
        "ATRIUM_DATABASE_URL": url,
        "ATRIUM_RATE_LIMIT_ANONYMOUS_PER_HOUR": "1000000",
        "ATRIUM_RATE_LIMIT_FREE_PER_HOUR": "1000000",
        "ATRIUM_SECRET_KEY": "schemathesis-secret-that-is-long-enough-01234",
        "ATRIUM_ARGON2_TIME_COST": "1",
        "ATRIUM_ARGON2_MEMORY_KIB": "1024",
        "ATRIUM_LOG_LEVEL": "ERROR",
    }


async def test_no_rest_route_answers_with_a_server_error(server_env: dict[str, Any]) -> None:
    binary = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if binary is None:
        pytest.skip("schemathesis is not installed")
    # given a server with an admin key, so authenticated routes are exercised too
    key = await bootstrap(
        Settings(
            database_url=server_env["ATRIUM_DATABASE_URL"],
            argon2_time_cost=1,
            argon2_memory_kib=1024,
        ),
        email="fuzz@example.test",
        org_name="Fuzz",
    )
    async with atrium_server(server_env) as base:
        # when schemathesis generates requests from the OpenAPI document
        process = await asyncio.create_subprocess_exec(
            binary,
            "run",
            f"{base}/rest/openapi.json",
            "--checks",
            "not_a_server_error",
            "--header",
            f"Authorization: Bearer {key}",
            "--max-examples",
            "15",
            "--seed",
            "1",
            # One worker: hypothesis parses lambdas with `ast`, and CPython 3.11's AST
            # constructor is not thread-safe ("recursion depth mismatch" SystemError).
            "--workers",
            "1",
            # Boundaries and wrong types of every parameter (coverage), then a bounded
            # fuzz; longer fuzzing (`--max-time`) is for manual runs.
            "--phases",
            "examples,coverage,fuzzing",
            "--request-timeout",
            "10",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
    # then no route ever answered 5xx
    report = output.decode(errors="replace")
    assert process.returncode == 0, report[-6000:]
