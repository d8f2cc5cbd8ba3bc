"""Subscriptions over Server-Sent Events (``/graphql/stream``) from a real server."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson

from tests.helpers import GraphQLClient, make_org, make_user
from tests.support.server import serve
from tests.support.ws import wait_for_subscribers

SUBSCRIPTION = """
subscription S($id: ID!) { organizationEvents(organizationId: $id) { type team { name } } }
"""


async def _events(response: httpx.Response) -> Any:
    name = None
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            yield name, line[len("data: ") :]


async def test_events_stream_as_sse(app: Any, client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
        params = {"query": SUBSCRIPTION, "variables": orjson.dumps({"id": org["id"]}).decode()}
        async with http.stream(
            "GET",
            "/graphql/stream",
            params=params,
            headers={"Authorization": f"Bearer {owner.token}", "Accept": "text/event-stream"},
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            await wait_for_subscribers(app, f"org:{org['id']}")
            await client.mutate(
                "createTeam",
                "mutation T($input: CreateTeamInput!) { createTeam(input: $input) "
                "{ userErrors { code } } }",
                {"input": {"organizationId": org["id"], "name": "Streamers"}},
                token=owner.token,
            )
            data = ""
            async with asyncio.timeout(10):
                async for name, payload in _events(response):
                    if name == "next":
                        data = payload
                        break
    assert orjson.loads(data)["data"]["organizationEvents"] == {
        "type": "TEAM_CREATED",
        "team": {"name": "Streamers"},
    }


async def test_idle_streams_send_heartbeats_and_errors_end_them(
    app: Any, client: GraphQLClient, monkeypatch: Any
) -> None:
    monkeypatch.setattr(app.state.atrium.settings, "sse_heartbeat_seconds", 0.05)
    owner, stranger = await make_user(client), await make_user(client)
    org = await make_org(client, owner)
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
        body = {"query": SUBSCRIPTION, "variables": {"id": org["id"]}}
        async with (
            http.stream(
                "POST",
                "/graphql/stream",
                json=body,
                headers={"Authorization": f"Bearer {owner.token}"},
            ) as response,
            asyncio.timeout(10),
        ):
            async for name, _ in _events(response):
                if name == "heartbeat":
                    break
        async with (
            http.stream(
                "POST",
                "/graphql/stream",
                json=body,
                headers={"Authorization": f"Bearer {stranger.token}"},
            ) as response,
            asyncio.timeout(10),
        ):
            frames = [frame async for frame in _events(response)]
        assert frames[0][0] == "error"
        assert orjson.loads(frames[0][1])["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        anonymous = await http.post("/graphql/stream", json=body)
        assert anonymous.status_code == 401
