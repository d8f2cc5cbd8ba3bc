"""Two server processes sharing Redis: an event from one reaches listeners of the other."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import orjson
import pytest
import websockets

from atrium.core.migrate import upgrade
from tests.helpers import unique_email
from tests.support.processes import atrium_server
from tests.support.redis_server import RedisServer

REGISTER = """mutation R($e: String!) { register(input: {email: $e, password: "long-password-1"})
  { accessToken } }"""
CREATE_ORG = """mutation O { createOrganization(input: {name: "Cross"}) { organization { id } } }"""
CREATE_TEAM = """mutation T($o: ID!, $n: String!) {
  createTeam(input: {organizationId: $o, name: $n}) { userErrors { code } } }"""
SUBSCRIBE = (
    """subscription S($o: ID!) { organizationEvents(organizationId: $o) { type team { name } } }"""
)


async def _gql(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None = None
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture
def shared_env(tmp_path: Any) -> Any:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    upgrade(url)
    with RedisServer() as redis:
        yield {
            "ATRIUM_DATABASE_URL": url,
            "ATRIUM_BROADCAST_URL": redis.url,
            "ATRIUM_REDIS_URL": redis.url,
            "ATRIUM_RATE_LIMIT_ANONYMOUS_PER_HOUR": "100000",
            "ATRIUM_RATE_LIMIT_FREE_PER_HOUR": "100000",
            "ATRIUM_SECRET_KEY": "cross-process-secret-that-is-long-enough-0123",
            "ATRIUM_LOG_LEVEL": "WARNING",
        }


async def test_a_mutation_on_one_process_reaches_a_listener_on_the_other(shared_env: Any) -> None:
    async with (
        atrium_server(shared_env) as first,
        atrium_server(shared_env) as second,
        httpx.AsyncClient(base_url=first) as http,
    ):
        token = (await _gql(http, REGISTER, {"e": unique_email()}))["register"]["accessToken"]
        org = (await _gql(http, CREATE_ORG, {}, token))["createOrganization"]["organization"]["id"]
        # given a graphql-transport-ws listener connected to the second process
        ws_url = second.replace("http", "ws") + "/graphql"
        async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(
                orjson.dumps(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
                ).decode()
            )
            assert orjson.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(
                orjson.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": SUBSCRIBE, "variables": {"o": org}},
                    }
                ).decode()
            )
            # when teams are created through the first process (until the listener is live)
            deadline = time.monotonic() + 20
            n = 0
            while True:
                n += 1
                await _gql(http, CREATE_TEAM, {"o": org, "n": f"Team {n}"}, token)
                try:
                    message = orjson.loads(await asyncio.wait_for(ws.recv(), 0.5))
                    break
                except TimeoutError:
                    assert time.monotonic() < deadline, "no event crossed the processes"
    # then the event crossed over Redis, resolved by the second process
    assert message["type"] == "next"
    event = message["payload"]["data"]["organizationEvents"]
    assert event["type"] == "TEAM_CREATED" and event["team"]["name"].startswith("Team ")
