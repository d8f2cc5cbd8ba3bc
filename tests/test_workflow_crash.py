"""A workflow run survives its worker being killed: another worker finishes it, and the
nodes that had completed are not run again."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from atrium.core.migrate import upgrade
from tests.helpers import unique_email
from tests.support.processes import ROOT, atrium_server

REGISTER = (
    'mutation R($e: String!) { register(input: {email: $e, password: "long-password-1"}) '
    "{ accessToken } }"
)
ORG = 'mutation { createOrganization(input: {name: "Crash"}) { organization { id } } }'
SAVE = (
    "mutation S($input: SaveWorkflowInput!) { saveWorkflow(input: $input) "
    "{ userErrors { message } } }"
)
RUN = (
    "mutation R($input: RunWorkflowInput!) { runWorkflow(input: $input) "
    "{ run { id } userErrors { message } } }"
)
GET = (
    "query G($id: ID!) { workflowRun(id: $id) { status "
    "nodes { nodeId status attempts } events { type nodeId } } }"
)


async def _gql(http: httpx.AsyncClient, query: str, variables: Any, token: str = "") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = (
        await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    ).json()
    assert "errors" not in body, body
    return body["data"]


async def _worker(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "atrium.cli", "worker", cwd=ROOT, env={**os.environ, **env}
    )


async def _until(check: Any, seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    upgrade(url)
    return {
        "ATRIUM_DATABASE_URL": url,
        "ATRIUM_RUN_WORKER": "false",
        "ATRIUM_SECRET_KEY": "crash-test-secret-that-is-long-enough-0123456",
        "ATRIUM_ARGON2_TIME_COST": "1",
        "ATRIUM_ARGON2_MEMORY_KIB": "1024",
        "ATRIUM_LOG_LEVEL": "WARNING",
        "ATRIUM_DATA_DIR": str(tmp_path / "data"),
        "ATRIUM_JOB_LEASE_SECONDS": "2",
        "ATRIUM_JOB_RETRY_BASE_SECONDS": "0.1",
    }


async def test_a_killed_worker_s_run_is_finished_by_another_without_rerunning_nodes(
    tmp_path: Path, env: dict[str, str]
) -> None:
    first_log, slow_marker = tmp_path / "first.log", tmp_path / "slow-started"
    definition = {
        "name": "crashy",
        "nodes": [
            {"id": "first", "bash": f"echo ran >> {first_log}"},
            # the first attempt hangs (its worker gets killed); a later one finishes at once
            {
                "id": "slow",
                "depends_on": ["first"],
                "bash": f"if [ -f {slow_marker} ]; then echo done; "
                f"else touch {slow_marker}; sleep 600; fi",
            },
            {"id": "last", "depends_on": ["slow"], "bash": "echo last"},
        ],
    }
    async with atrium_server(env) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        token = (await _gql(http, REGISTER, {"e": unique_email()}))["register"]["accessToken"]
        org = (await _gql(http, ORG, {}, token))["createOrganization"]["organization"]["id"]
        await _gql(
            http,
            SAVE,
            {"input": {"organizationId": org, "name": "crashy", "definition": definition}},
            token,
        )
        run_id = (
            await _gql(
                http, RUN, {"input": {"organizationId": org, "workflowName": "crashy"}}, token
            )
        )["runWorkflow"]["run"]["id"]

        async def run() -> Any:
            return (await _gql(http, GET, {"id": run_id}, token))["workflowRun"]

        # given a worker that has completed `first` and is in the middle of `slow`
        worker = await _worker(env)
        try:
            await _until(lambda: asyncio.to_thread(slow_marker.exists))
            # when it is killed outright
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
            assert (await run())["status"] == "RUNNING"
            # and another worker starts
            worker = await _worker(env)

            async def finished() -> Any:
                current = await run()
                return current if current["status"] in ("COMPLETED", "FAILED") else None

            done = await _until(finished, 60)
        finally:
            if worker.returncode is None:
                worker.send_signal(signal.SIGTERM)
                await asyncio.wait_for(worker.wait(), 30)
    # then the run completes, `first` ran exactly once and `slow` was taken over
    assert done["status"] == "COMPLETED", done
    attempts = {n["nodeId"]: n["attempts"] for n in done["nodes"]}
    assert attempts == {"first": 1, "slow": 2, "last": 1}
    assert first_log.read_text().count("ran") == 1
    started = [e["nodeId"] for e in done["events"] if e["type"] == "NODE_STARTED"]
    assert started == ["first", "slow", "slow", "last"]
