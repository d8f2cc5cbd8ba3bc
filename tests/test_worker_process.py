"""`atrium worker` runs the jobs that a server with ATRIUM_RUN_WORKER=false only enqueues."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from atrium.core.migrate import upgrade
from tests.helpers import unique_email
from tests.support.processes import ROOT, atrium_server
from tests.support.receiver import receiver

SETUP = [
    (
        'mutation R($e: String!) { register(input: {email: $e, password: "long-password-1"}) '
        "{ accessToken } }"
    ),
    'mutation O { createOrganization(input: {name: "Workers"}) { organization { id } } }',
    (
        "mutation C($o: ID!, $u: String!) { createWebhookEndpoint(input: {organizationId: $o, "
        "url: $u}) { webhookEndpoint { id } } }"
    ),
    "mutation P($id: ID!) { pingWebhookEndpoint(input: {id: $id}) { delivery { id } } }",
]


async def _gql(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str = ""
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = (
        await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    ).json()
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'jobs.db'}"
    upgrade(url)
    return {
        "ATRIUM_DATABASE_URL": url,
        "ATRIUM_RUN_WORKER": "false",
        "ATRIUM_SECRET_KEY": "worker-process-secret-that-is-long-enough-012",
        "ATRIUM_ARGON2_TIME_COST": "1",
        "ATRIUM_ARGON2_MEMORY_KIB": "1024",
        "ATRIUM_LOG_LEVEL": "WARNING",
    }


async def test_a_separate_worker_process_delivers_and_stops_gracefully(env: dict[str, str]) -> None:
    async with (
        receiver() as hook,
        atrium_server(env) as base,
        httpx.AsyncClient(base_url=base) as http,
    ):
        # given a server that only enqueues, and a ping queued through it
        token = (await _gql(http, SETUP[0], {"e": unique_email()}))["register"]["accessToken"]
        org = (await _gql(http, SETUP[1], {}, token))["createOrganization"]["organization"]["id"]
        endpoint = (await _gql(http, SETUP[2], {"o": org, "u": hook.url}, token))[
            "createWebhookEndpoint"
        ]["webhookEndpoint"]["id"]
        await _gql(http, SETUP[3], {"id": endpoint}, token)
        # when an `atrium worker` process starts
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "atrium.cli",
            "worker",
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            # then it delivers the webhook, and exits cleanly on SIGTERM
            [received] = await hook.wait_for(1, seconds=30)
            assert received.headers["atrium-event-type"] == "ping"
            worker.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(worker.wait(), 30) == 0
        finally:
            if worker.returncode is None:
                worker.kill()
