"""ArchAstro's (seed 001) developer routines and workflows/run routes."""

from __future__ import annotations

import asyncio
import time

from tests.helpers import GraphQLClient, make_api_key, make_org, make_user

DEV = "/rest/archastro/protected/api/v2/developer/apps"


async def test_routines_create_list_update_pause_activate_and_run_a_workflow(
    client: GraphQLClient,
) -> None:
    owner = await make_user(client)
    org = (await make_org(client, owner))["id"]
    _, secret = await make_api_key(client, org, owner, "WRITE")
    http, auth = client.http, {"Authorization": f"Bearer {secret}"}
    agents = await http.get("/rest/archastro/api/v2/agents", headers=auth)
    agent = agents.json()["data"][0]["id"]
    # create a daily routine for the agent
    created = await http.post(
        f"{DEV}/{org}/agents/{agent}/routines",
        headers=auth,
        json={
            "name": "standup",
            "schedule": "0 9 * * 1-5",
            "timezone": "Europe/Paris",
            "prompt": "Summarise yesterday",
        },
    )
    assert created.status_code == 201, created.text
    routine = created.json()
    assert routine["trigger"] == "schedule" and routine["status"] == "active"
    assert routine["next_run_at"] and routine["agent_id"] == agent
    # a bad cron is the seed's 422
    bad = await http.post(
        f"{DEV}/{org}/agents/{agent}/routines",
        headers=auth,
        json={"name": "x", "schedule": "whenever", "prompt": "p"},
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_failed"
    listed = await http.get(f"{DEV}/{org}/routines", headers=auth)
    assert [r["id"] for r in listed.json()["data"]] == [routine["id"]]
    patched = await http.patch(
        f"{DEV}/{org}/routines/{routine['id']}", headers=auth, json={"schedule": "30 8 * * *"}
    )
    assert patched.json()["schedule"] == "30 8 * * *"
    paused = await http.post(f"{DEV}/{org}/routines/{routine['id']}/pause", headers=auth)
    assert paused.json()["status"] == "paused" and paused.json()["next_run_at"] is None
    active = await http.post(f"{DEV}/{org}/routines/{routine['id']}/activate", headers=auth)
    assert active.json()["status"] == "active" and active.json()["next_run_at"]
    elsewhere = await http.post(f"{DEV}/org_01OTHER/routines/{routine['id']}/pause", headers=auth)
    assert elsewhere.status_code == 404
    # and run a bundled workflow
    run = await http.post(
        f"{DEV}/{org}/workflows/run",
        headers=auth,
        json={"workflow": "archon-assist", "message": "hello"},
    )
    assert run.status_code == 202, run.text
    assert run.json()["workflow"] == "archon-assist"
    query = "query($id: ID!) { workflowRun(id: $id) { status } }"
    deadline = time.monotonic() + 15
    while (
        status := (await client.execute(query, {"id": run.json()["id"]}, token=owner.token)).data[
            "workflowRun"
        ]["status"]
    ) != "COMPLETED":
        assert time.monotonic() < deadline, status
        await asyncio.sleep(0.05)
