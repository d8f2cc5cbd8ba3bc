"""The graphql-http audit suite (GraphQL-over-HTTP spec conformance) against a real server.

Why a real server and Node: the audits are graphql-http's own (npm), run with Node's
fetch over a socket against ``uvicorn``, so they see exactly what a client sees: the
actual status line, headers and bytes, not an ASGI shortcut. The goal is no error and
no warning (SHOULD-level failures count).

Needs ``node`` and ``npm`` (skipped without them); ``npm ci`` installs the pinned
suite into ``tests/graphql_http_audit/node_modules`` the first time, so ``make test``
needs nothing beforehand.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from atrium.core.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
AUDIT_DIR = ROOT / "tests" / "graphql_http_audit"
START_TIMEOUT = 60.0
AUDIT_TIMEOUT = 180.0
UVICORN = (sys.executable, "-m", "uvicorn", "atrium.app:create_app", "--factory")


@pytest.fixture
def audit_suite() -> Path:
    """The audit script, its packages installed: ``npm ci`` when node_modules is missing
    or older than the lock file."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the graphql-http audit")
    installed = AUDIT_DIR / "node_modules" / ".package-lock.json"
    if installed.exists() and (
        installed.stat().st_mtime >= (AUDIT_DIR / "package-lock.json").stat().st_mtime
    ):
        return AUDIT_DIR / "audit.mjs"
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=AUDIT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"npm ci failed:\n{result.stdout}\n{result.stderr}"
    return AUDIT_DIR / "audit.mjs"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    """A uvicorn process serving Atrium on a migrated SQLite database of its own."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    upgrade(database_url)
    port = _free_port()
    # Only our settings: ATRIUM_* from the caller's shell (or .env, hence cwd=tmp_path)
    # must not change what is audited.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATRIUM_")}
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        ATRIUM_ENV="test",
        ATRIUM_DATABASE_URL=database_url,
        ATRIUM_DATA_DIR=str(tmp_path / "data"),
        ATRIUM_SECRET_KEY="audit-secret-key-that-is-long-enough-0123456789",
        ATRIUM_RATE_LIMIT_ANONYMOUS_PER_HOUR="1000000",
        ATRIUM_LOG_JSON="false",
    )
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*UVICORN, "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            # Waiting on the process doubles as the pause between polls, and notices a
            # server that died at start-up instead of waiting out the deadline.
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.1)
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log_path.read_text()}")
        yield f"{url}/graphql"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_graphql_http_audit_has_no_errors_or_warnings(
    audit_suite: Path, server_url: str, record_property: Callable[[str, object], None]
) -> None:
    # given the pinned graphql-http audit suite and a running server
    # when every server audit runs against /graphql
    result = subprocess.run(
        ["node", str(audit_suite), server_url],
        cwd=AUDIT_DIR,
        capture_output=True,
        text=True,
        timeout=AUDIT_TIMEOUT,
        check=False,
    )
    output = result.stdout + result.stderr
    summary = [line for line in result.stdout.splitlines() if line.startswith("SUMMARY ")]
    assert summary, f"the audit did not finish:\n{output}"
    counts = json.loads(summary[-1].removeprefix("SUMMARY "))
    print(f"graphql-http audit: {counts}")  # shown with -s / -rP
    record_property("graphql_http_audit", counts)  # in --junitxml reports
    # then nothing fails, not even a SHOULD
    assert counts["error"] == 0 and counts["warn"] == 0, output
    assert counts["ok"] > 0 and result.returncode == 0, output
