"""Archon's (seed 004) workflow, run, command and dashboard routes, and its dashboard SSE."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from tests.helpers import GraphQLClient, make_api_key, make_org, make_user
from tests.support.server import serve
from tests.support.ws import wait_for_subscribers

BASE = "/rest/archon/api"


async def _key(client: GraphQLClient) -> tuple[dict[str, str], str]:
    owner = await make_user(client)
    org = await make_org(client, owner)
    _, secret = await make_api_key(client, org["id"], owner, "WRITE")
    return {"Authorization": f"Bearer {secret}"}, org["id"]


async def _wait(http: httpx.AsyncClient, auth: dict[str, str], run_id: str, *statuses: str) -> Any:
    deadline = time.monotonic() + 20
    while True:
        run = (await http.get(f"{BASE}/workflows/runs/{run_id}", headers=auth)).json()
        if run["status"] in statuses:
            return run
        assert time.monotonic() < deadline, run
        await asyncio.sleep(0.05)


async def test_the_seeds_run_a_workflow_through_the_api_script(client: GraphQLClient) -> None:
    http, (auth, _) = client.http, await _key(client)
    # 1. create a conversation; 2. start the workflow in it; 3. follow it
    conversation = (await http.post(f"{BASE}/conversations", headers=auth, json={})).json()
    started = await http.post(
        f"{BASE}/workflows/archon-assist/run",
        headers=auth,
        json={
            "message": "How does auth work?",
            "conversationId": conversation["platform_conversation_id"],
        },
    )
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["runId"] == run["id"] and run["conversationId"]["id"] == conversation["id"]
    done = await _wait(http, auth, run["id"], "completed", "failed")
    assert done["status"] == "completed", done
    assert [e["type"] for e in done["events"]][-1] == "workflow_status"
    by_worker = await http.get(
        f"{BASE}/workflows/runs/by-worker/{conversation['id']}", headers=auth
    )
    assert by_worker.json()["id"] == run["id"]
    listed = await http.get(f"{BASE}/workflows/runs?status=completed", headers=auth)
    assert [r["id"] for r in listed.json()["data"]] == [run["id"]]


async def test_definitions_validate_save_get_delete(client: GraphQLClient) -> None:
    http, (auth, _) = client.http, await _key(client)
    listed = (await http.get(f"{BASE}/workflows", headers=auth)).json()["workflows"]
    assert {"archon-assist", "plan-implement-review"} <= {w["name"] for w in listed}
    assert {w["source"] for w in listed} == {"bundled"}
    # validate: the seed's example is valid; a broken one lists every problem
    ok = await http.post(
        f"{BASE}/workflows/validate",
        headers=auth,
        json={
            "definition": {
                "name": "my-wf",
                "description": "Test",
                "nodes": [{"id": "a", "prompt": "hello"}],
            }
        },
    )
    assert ok.status_code == 200 and ok.json()["valid"] is True
    bad = await http.post(
        f"{BASE}/workflows/validate",
        headers=auth,
        json={
            "definition": {
                "name": "x",
                "nodes": [
                    {"id": "a", "depends_on": ["b"], "prompt": "p"},
                    {"id": "b", "depends_on": ["a"], "bash": "true", "prompt": "two kinds"},
                    {"id": "c", "depends_on": ["nope"]},
                ],
            }
        },
    )
    body = bad.json()
    assert body["valid"] is False
    codes = {p["code"] for p in body["problems"]}
    assert {"CYCLE", "MULTIPLE_KINDS", "UNKNOWN_DEPENDENCY", "NO_KIND"} <= codes
    assert all(isinstance(e, str) for e in body["errors"])
    # save, fetch, delete
    definition = {
        "name": "my-workflow",
        "description": "Mine",
        "nodes": [{"id": "plan", "prompt": "Plan the feature"}],
    }
    saved = await http.put(
        f"{BASE}/workflows/my-workflow", headers=auth, json={"definition": definition}
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["source"] == "organization"
    got = (await http.get(f"{BASE}/workflows/my-workflow", headers=auth)).json()
    assert got["workflow"]["nodes"][0]["id"] == "plan"
    assert got["filename"].endswith("my-workflow.yaml")
    invalid = await http.put(
        f"{BASE}/workflows/other", headers=auth, json={"definition": {"name": "other", "nodes": []}}
    )
    assert invalid.status_code == 400, invalid.text
    assert (await http.delete(f"{BASE}/workflows/my-workflow", headers=auth)).status_code == 200
    assert (await http.get(f"{BASE}/workflows/my-workflow", headers=auth)).status_code == 404
    bundled = await http.delete(f"{BASE}/workflows/archon-assist", headers=auth)
    assert bundled.status_code == 403, bundled.text


async def test_commands_dashboard_and_steering_routes(client: GraphQLClient) -> None:
    http, (auth, _) = client.http, await _key(client)
    commands = (await http.get(f"{BASE}/commands", headers=auth)).json()["commands"]
    assert {"name": "assist", "source": "bundled"} in [
        {"name": c["name"], "source": c["source"]} for c in commands
    ]
    definition = {"name": "gated", "nodes": [{"id": "gate", "approval": {"message": "Go?"}}]}
    await http.put(f"{BASE}/workflows/gated", headers=auth, json={"definition": definition})
    run = (await http.post(f"{BASE}/workflows/gated/run", headers=auth, json={})).json()
    await _wait(http, auth, run["id"], "paused")
    # approving a paused run works; approving again is a 409 in the seed's envelope
    approved = await http.post(
        f"{BASE}/workflows/runs/{run['id']}/approve", headers=auth, json={"comment": "ok"}
    )
    assert approved.status_code == 200, approved.text
    await _wait(http, auth, run["id"], "completed")
    again = await http.post(f"{BASE}/workflows/runs/{run['id']}/approve", headers=auth, json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
    dashboard = (await http.get(f"{BASE}/dashboard/runs", headers=auth)).json()
    counts = {c["status"]: c["count"] for c in dashboard["counts"]}
    assert counts["completed"] == 1 and dashboard["total"] == 1
    assert (await http.delete(f"{BASE}/workflows/runs/{run['id']}", headers=auth)).json()[
        "id"
    ] == run["id"]


async def test_the_dashboard_stream_carries_workflow_status_and_dag_node(
    app: Any, client: GraphQLClient
) -> None:
    auth, org = await _key(client)
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=20) as http:
        definition = {
            "name": "two",
            "nodes": [
                {"id": "a", "bash": "echo a"},
                {"id": "b", "depends_on": ["a"], "bash": "echo b"},
            ],
        }
        await http.put(f"{BASE}/workflows/two", headers=auth, json={"definition": definition})
        async with http.stream("GET", f"{BASE}/stream/__dashboard__", headers=auth) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            await wait_for_subscribers(app, f"workflow_dashboard:{org}")
            await http.post(f"{BASE}/workflows/two/run", headers=auth, json={})
            events: list[tuple[str, dict[str, Any]]] = []
            name = None
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    name = line[len("event: ") :]
                elif line.startswith("data: ") and name is not None:
                    events.append((name, json.loads(line[len("data: ") :])))
                    if name == "workflow_status" and events[-1][1]["status"] == "completed":
                        break
    statuses = [d["status"] for n, d in events if n == "workflow_status"]
    assert statuses == ["pending", "running", "completed"]
    nodes = [(d["nodeId"], d["status"]) for n, d in events if n == "dag_node"]
    assert nodes == [("a", "running"), ("a", "completed"), ("b", "running"), ("b", "completed")]
