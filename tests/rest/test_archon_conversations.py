"""Archon's (seed 004) conversation routes and its SSE stream, as its scripts call them."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.helpers import GraphQLClient, make_api_key, make_org, make_user
from tests.support.server import serve
from tests.support.ws import wait_for_subscribers

BASE = "/rest/archon/api"


async def _key(client: GraphQLClient) -> dict[str, str]:
    owner = await make_user(client)
    org = await make_org(client, owner)
    _, secret = await make_api_key(client, org["id"], owner, "WRITE")
    return {"Authorization": f"Bearer {secret}"}


async def test_the_seeds_create_send_poll_script(client: GraphQLClient) -> None:
    http, auth = client.http, await _key(client)
    # create a conversation (the seed's body: {})
    created = await http.post(f"{BASE}/conversations", headers=auth, json={})
    assert created.status_code == 201, created.text
    conversation = created.json()
    assert conversation["platform_conversation_id"] == conversation["id"]
    assert conversation["agent"]["name"] == "Assistant"
    # send a message: dispatched, not answered, in the response
    sent = await http.post(
        f"{BASE}/conversations/{conversation['id']}/message",
        headers=auth,
        json={"message": "What does this codebase do?"},
    )
    assert sent.status_code == 202, sent.text
    assert sent.json()["messageId"] and sent.json()["replyState"] in (
        "queued",
        "running",
        "answered",
    )
    # poll messages until the assistant has answered
    deadline = time.monotonic() + 15
    while True:
        listed = await http.get(f"{BASE}/conversations/{conversation['id']}/messages", headers=auth)
        assert listed.status_code == 200, listed.text
        roles = [m["role"] for m in listed.json()["data"]]
        if roles == ["user", "assistant"] and listed.json()["data"][1]["status"] == "completed":
            break
        assert time.monotonic() < deadline, listed.json()
        await asyncio.sleep(0.05)
    assert listed.json()["data"][1]["content"].startswith("[offline]")


async def test_list_filters_rename_soft_delete_and_paging_back(client: GraphQLClient) -> None:
    http, auth = client.http, await _key(client)
    first = (
        await http.post(f"{BASE}/conversations", headers=auth, json={"codebase_id": "cb_1"})
    ).json()
    await http.post(f"{BASE}/conversations", headers=auth, json={})
    on_codebase = (await http.get(f"{BASE}/conversations?codebase_id=cb_1", headers=auth)).json()
    assert [c["id"] for c in on_codebase["data"]] == [first["id"]]
    renamed = await http.patch(
        f"{BASE}/conversations/{first['id']}", headers=auth, json={"title": "My feature discussion"}
    )
    assert renamed.json()["title"] == "My feature discussion"
    assert (
        await http.delete(f"{BASE}/conversations/{first['id']}", headers=auth)
    ).status_code == 200
    assert (await http.get(f"{BASE}/conversations", headers=auth)).json()["total_count"] == 1
    everything = await http.get(f"{BASE}/conversations?include_deleted=true", headers=auth)
    assert everything.json()["total_count"] == 2
    # messages page back with `before` (a message ID)
    other = (await http.post(f"{BASE}/conversations", headers=auth, json={})).json()
    await http.patch(f"{BASE}/conversations/{other['id']}", headers=auth, json={"title": "x"})
    missing = await http.get(f"{BASE}/conversations/thr_01NOPE", headers=auth)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


async def test_the_stream_carries_text_and_the_conversation_lock(
    app: Any, client: GraphQLClient
) -> None:
    auth = await _key(client)
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=15) as http:
        conversation = (await http.post(f"{BASE}/conversations", headers=auth, json={})).json()
        async with http.stream(
            "GET", f"{BASE}/stream/{conversation['id']}", headers=auth
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            await wait_for_subscribers(app, f"thread:{conversation['id']}")
            await http.post(
                f"{BASE}/conversations/{conversation['id']}/message",
                headers=auth,
                json={"message": "hello"},
            )
            events: list[tuple[str, str]] = []
            name = None
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    name = line[len("event: ") :]
                elif line.startswith("data: ") and name is not None:
                    events.append((name, line[len("data: ") :]))
                    if name == "conversation_lock" and '"locked":false' in line:
                        break
    names = [n for n, _ in events]
    assert names[0] == "conversation_lock" and '"locked":true' in events[0][1]
    assert "text" in names and names[-1] == "conversation_lock"
    assert set(names) <= {"text", "conversation_lock", "heartbeat"}
