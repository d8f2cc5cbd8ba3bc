"""Routines: validated, fired on their schedule once per slot, fired by events, paused."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from atrium.core.jobs import JobContext
from atrium.models.jobs import Job
from atrium.models.workflows import Routine
from atrium.resolvers.workflows.routines import FIRE_JOB, tick
from tests.helpers import GraphQLClient, db_session
from tests.schema.workflows.factories import owner_and_org, save_workflow

CREATE = """
mutation($input: CreateRoutineInput!) {
  createRoutine(input: $input) {
    routine { id status nextRunAt trigger action }
    userErrors { field message code }
  }
}
"""
PAUSE = """
mutation($input: RoutineIdInput!) {
  pauseRoutine(input: $input) { routine { id status nextRunAt } userErrors { code } }
}
"""
FIRINGS = """
query($id: ID!) {
  node(id: $id) { ... on Routine { lastFiredAt firings { slot status runId threadId error } } }
}
"""
CREATE_THREAD = """
mutation($input: CreateThreadInput!) { createThread(input: $input) { thread { id } } }
"""


async def _firings(client: GraphQLClient, token: str, routine_id: str) -> list[dict[str, Any]]:
    node = (await client.execute(FIRINGS, {"id": routine_id}, token=token)).data["node"]
    return node["firings"]  # type: ignore[no-any-return]


def _job(app: Any) -> JobContext:
    state = app.state.atrium
    return JobContext("job_test", 1, 1, state.db, state.services)


async def test_bad_routines_are_user_errors_naming_the_field(client: GraphQLClient) -> None:
    owner, org = await owner_and_org(client)
    response = await client.execute(
        CREATE,
        {
            "input": {
                "organizationId": org,
                "name": "x",
                "trigger": "SCHEDULE",
                "schedule": "0 3 * * * *",
                "action": "WORKFLOW",
                "workflowName": "no-such-flow",
            }
        },
        token=owner.token,
    )
    errors = response.data["createRoutine"]["userErrors"]
    assert {(e["field"][-1], e["code"]) for e in errors} == {
        ("schedule", "INVALID"),
        ("workflowName", "NOT_FOUND"),
    }


async def test_a_due_schedule_fires_once_however_many_ticks_race(
    app: Any, client: GraphQLClient
) -> None:
    # given an active routine running a workflow every hour
    owner, org = await owner_and_org(client)
    wf = await save_workflow(client, owner, org, {"nodes": [{"id": "a", "bash": "echo hi"}]})
    created = await client.mutate(
        "createRoutine",
        CREATE,
        {
            "input": {
                "organizationId": org,
                "name": "hourly",
                "trigger": "SCHEDULE",
                "schedule": "0 * * * *",
                "action": "WORKFLOW",
                "workflowName": wf["name"],
                "prompt": "nightly check",
            }
        },
        token=owner.token,
    )
    routine = created["routine"]
    next_run = datetime.fromisoformat(routine["nextRunAt"])
    assert next_run > datetime.now(UTC) and next_run.minute == 0
    # when its time has come and two workers tick at once
    async with db_session(app) as session:
        await session.execute(
            update(Routine)
            .where(Routine.id == routine["id"])
            .values(next_run_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        await session.commit()
    results = await asyncio.gather(tick(_job(app), {}), tick(_job(app), {}))
    # then exactly one firing started one run, and the next slot is in the future
    assert sum(r["fired"] for r in results) == 1
    firings = await _firings(client, owner.token, routine["id"])
    assert len(firings) == 1 and firings[0]["status"] == "STARTED" and firings[0]["runId"]
    assert (await tick(_job(app), {}))["fired"] == 0


async def test_an_event_routine_fires_on_its_event_and_not_when_paused(
    app: Any, client: GraphQLClient
) -> None:
    # given a routine prompting the assistant whenever a thread is created
    owner, org = await owner_and_org(client)
    agents = await client.execute(
        "query($o: ID!) { agents(organizationId: $o) { nodes { id name } } }",
        {"o": org},
        token=owner.token,
    )
    agent = agents.data["agents"]["nodes"][0]["id"]
    created = await client.mutate(
        "createRoutine",
        CREATE,
        {
            "input": {
                "organizationId": org,
                "name": "greeter",
                "trigger": "EVENT",
                "eventType": "thread.created",
                "action": "AGENT_PROMPT",
                "agentId": agent,
                "prompt": "Say hello to the new thread",
            }
        },
        token=owner.token,
    )
    routine = created["routine"]
    assert routine["nextRunAt"] is None
    # when a thread is created
    await client.execute(
        CREATE_THREAD, {"input": {"organizationId": org, "title": "hi"}}, token=owner.token
    )
    # then the routine fires once, starting a thread with its agent
    deadline = time.monotonic() + 15
    while not (firings := await _firings(client, owner.token, routine["id"])):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert firings[0]["status"] == "STARTED" and firings[0]["threadId"]
    # and once paused, it no longer fires (its own thread did not trigger it either)
    paused = await client.mutate(
        "pauseRoutine", PAUSE, {"input": {"id": routine["id"]}}, token=owner.token
    )
    assert paused["routine"]["status"] == "PAUSED"
    await client.execute(
        CREATE_THREAD, {"input": {"organizationId": org, "title": "again"}}, token=owner.token
    )
    # (a firing is a job enqueued in the very transaction of the event: none was)
    async with db_session(app) as session:
        fire_jobs = await session.scalar(
            select(func.count()).where(Job.kind == FIRE_JOB, Job.organization_id == org)
        )
    assert fire_jobs == 1
    assert len(await _firings(client, owner.token, routine["id"])) == 1
