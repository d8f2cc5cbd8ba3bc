"""Two workers never both complete one node: a worker that takes over a job whose lease
lapsed fences off the one it replaced."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from atrium.core.jobs import JobContext
from atrium.models.jobs import Job, JobStatus
from atrium.resolvers.workflows.execution import NODE_JOB, run_node
from tests.helpers import GraphQLClient, db_session
from tests.schema.workflows.factories import (
    get_run,
    node,
    owner_and_org,
    save_workflow,
    start_run,
    wait_for_node,
    wait_for_run,
)


async def test_a_taken_over_node_runs_once_more_and_the_first_worker_cannot_finish_it(
    app: Any, client: GraphQLClient, tmp_path: Path
) -> None:
    # given a node whose first attempt hangs, running in the app's worker
    owner, org = await owner_and_org(client)
    marker = tmp_path / "first-attempt"
    wf = await save_workflow(
        client,
        owner,
        org,
        {
            "nodes": [
                {
                    "id": "n",
                    "bash": f"if [ -f {marker} ]; then echo second; "
                    f"else touch {marker}; sleep 60; fi",
                }
            ]
        },
    )
    run = await start_run(client, owner, org, wf["name"])
    await wait_for_node(client, owner, run["id"], "n", "RUNNING")
    async with db_session(app) as session:
        job = await session.scalar(
            select(Job).where(Job.kind == NODE_JOB, Job.payload["run_id"].as_string() == run["id"])
        )
    assert job is not None
    # when another worker takes the same job over at its next attempt (as after a lapsed lease)
    state = app.state.atrium
    second = JobContext(job.id, job.attempts + 1, job.max_attempts, state.db, state.services)
    assert (await run_node(second, job.payload))["status"] == "completed"
    # then the run completes with the second attempt's output, and the first worker (whose
    # shell is stopped once the run is over) writes nothing: one start each, one completion
    done = await wait_for_run(client, owner, run["id"])
    assert done["status"] == "COMPLETED"
    assert node(done, "n")["outputText"].strip() == "second" and node(done, "n")["attempts"] == 2
    deadline = time.monotonic() + 10
    while True:  # the first worker's job ends once its watcher sees the run is over
        async with db_session(app) as session:
            status = await session.scalar(select(Job.status).where(Job.id == job.id))
        if status != JobStatus.RUNNING:
            break
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    done = await get_run(client, owner, run["id"])
    types = [e["type"] for e in done["events"] if e["nodeId"] == "n"]
    assert types == ["NODE_STARTED", "NODE_STARTED", "NODE_COMPLETED"]
    assert node(done, "n")["status"] == "COMPLETED"
