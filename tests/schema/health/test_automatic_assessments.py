"""Assessments nobody clicked for: PUSH on a re-sync that moved the head, SCHEDULED on a
due cron slot (exactly once, however many workers look), periodic jobs queued once."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from atrium.core.jobs import PERIODIC, enqueue_periodic, periodic_job_id
from atrium.engines.health import schedule
from atrium.models.jobs import Job
from atrium.resolvers.health.triggers import SCHEDULE_JOB, queue_scheduled_assessments
from tests.helpers import GraphQLClient, TestUser, db_session, make_org, make_user, user_error
from tests.support.git_repo import commit, make_repo

REGISTER = """mutation($input: RegisterRepositoryInput!) { registerRepository(input: $input) {
  repository { id } userErrors { field message code } } }"""
CREATE_PROJECT = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id settings } userErrors { field message code } } }"""
UPDATE_PROJECT = """mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
  project { id settings } userErrors { field message code } } }"""
LINK = """mutation($input: ProjectRepositoryInput!) { linkRepository(input: $input) {
  repository { id } userErrors { field message code } } }"""
SYNC = """mutation($id: ID!) { syncRepository(input: {id: $id}) { repository { status }
  userErrors { field message code } } }"""
ASSESSMENTS = """query($p: ID!) { assessments(projectId: $p) {
  totalCount nodes { id trigger status commit scheduledFor repositoryId } } }"""


async def _wait_ready(client: GraphQLClient, owner: TestUser, repo_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        repo = (
            await client.execute(
                "query($id: ID!) { repository(id: $id) { status lastSyncedCommit } }",
                {"id": repo_id},
                token=owner.token,
            )
        ).data["repository"]
        if repo["status"] == "READY":
            return repo  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, repo
        await asyncio.sleep(0.05)


async def _project(
    client: GraphQLClient, owner: TestUser, org_id: str, repo_id: str, **settings: Any
) -> str:
    created = await client.mutate(
        "createProject",
        CREATE_PROJECT,
        {"input": {"organizationId": org_id, "name": "Service", "settings": settings}},
        token=owner.token,
    )
    project_id: str = created["project"]["id"]
    await client.mutate(
        "linkRepository",
        LINK,
        {"input": {"projectId": project_id, "repositoryId": repo_id}},
        token=owner.token,
    )
    return project_id


async def _setup(client: GraphQLClient, tmp_path: Path) -> tuple[TestUser, str, str, Path]:
    owner = await make_user(client)
    org = await make_org(client, owner)
    source = tmp_path / "svc"
    make_repo(source, {"prices.py": '"""Prices."""\n\n\ndef total(p: list[float]) -> float:\n'})
    payload = await client.mutate(
        "registerRepository",
        REGISTER,
        {"input": {"organizationId": org["id"], "path": str(source)}},
        token=owner.token,
    )
    repo_id = payload["repository"]["id"]
    await _wait_ready(client, owner, repo_id)
    return owner, org["id"], repo_id, source


async def _assessments(client: GraphQLClient, owner: TestUser, project_id: str) -> list[Any]:
    result = await client.execute(ASSESSMENTS, {"p": project_id}, token=owner.token)
    assert not result.errors, result.errors
    return result.data["assessments"]["nodes"]  # type: ignore[no-any-return]


async def _wait_done(
    client: GraphQLClient, owner: TestUser, project_id: str, assessment_id: str
) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        [node] = [
            a for a in await _assessments(client, owner, project_id) if a["id"] == assessment_id
        ]
        if node["status"] in ("COMPLETED", "FAILED"):
            return node  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, node
        await asyncio.sleep(0.1)


async def test_a_resync_after_a_new_commit_assesses_the_pushed_head(
    client: GraphQLClient, tmp_path: Path
) -> None:
    # given a repository linked to a project (push assessments on by default) and to one
    # whose settings turn them off
    owner, org_id, repo_id, source = await _setup(client, tmp_path)
    project_id = await _project(client, owner, org_id, repo_id)
    quiet_id = await _project(client, owner, org_id, repo_id, assess_on_push=False)
    # when a re-sync finds nothing new
    await client.mutate("syncRepository", SYNC, {"id": repo_id}, token=owner.token)
    await _wait_ready(client, owner, repo_id)
    # then nothing is assessed
    assert await _assessments(client, owner, project_id) == []
    # when a commit lands on the default branch and the repository is re-synced
    head = commit(source, {"admin.py": '"""Admin."""\n\n\ndef run(x: str) -> object:\n'}, "push")
    await client.mutate("syncRepository", SYNC, {"id": repo_id}, token=owner.token)
    deadline = time.monotonic() + 15
    while not (queued := await _assessments(client, owner, project_id)):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    # then the project got one PUSH assessment of the new head, which runs to completion
    [push] = queued
    assert (push["trigger"], push["repositoryId"], push["scheduledFor"]) == ("PUSH", repo_id, None)
    done = await _wait_done(client, owner, project_id, push["id"])
    assert (done["status"], done["commit"]) == ("COMPLETED", head)
    # and the project that turned push assessments off got none
    assert await _assessments(client, owner, quiet_id) == []


async def test_a_schedule_is_validated(client: GraphQLClient, tmp_path: Path) -> None:
    owner, org_id, repo_id, _ = await _setup(client, tmp_path)
    project_id = await _project(client, owner, org_id, repo_id)
    for settings, field in (
        ({"assessment_schedule": "every day"}, "assessment_schedule"),
        ({"assessment_schedule": "0 3 * * * *"}, "assessment_schedule"),
        ({"assessment_schedule": "@sometimes"}, "assessment_schedule"),
        ({"assess_on_push": "yes"}, "assess_on_push"),
    ):
        response = await client.execute(
            UPDATE_PROJECT, {"input": {"id": project_id, "settings": settings}}, token=owner.token
        )
        payload = response.data["updateProject"]
        error = user_error(payload)
        assert (error["code"], error["field"]) == ("INVALID", ["settings", field]), payload
    ok = await client.mutate(
        "updateProject",
        UPDATE_PROJECT,
        {"input": {"id": project_id, "settings": {"assessment_schedule": "@daily"}}},
        token=owner.token,
    )
    assert ok["project"]["settings"] == {"assessment_schedule": "@daily"}


def test_the_due_slot_is_the_latest_within_the_grace_and_never_before_the_project() -> None:
    now = datetime(2030, 5, 6, 3, 20, tzinfo=UTC)
    assert schedule.latest_slot("0 3 * * *", now) == datetime(2030, 5, 6, 3, 0, tzinfo=UTC)
    assert schedule.latest_slot("*/5 * * * *", now) == now  # a slot at exactly now counts
    assert schedule.due_slot("0 3 * * *", now) == datetime(2030, 5, 6, 3, 0, tzinfo=UTC)
    assert schedule.due_slot("0 1 * * *", now) is None  # 2h20 ago: past the grace
    assert schedule.due_slot("@hourly", now, grace=timedelta(minutes=10)) is None
    assert schedule.due_slot("0 3 * * *", now, not_before=now - timedelta(minutes=5)) is None
    assert schedule.schedule_error("0 3 * * 1") is None
    assert schedule.schedule_error("@weekly") is None
    assert schedule.schedule_error(None) and schedule.schedule_error("61 * * * *")


async def test_a_due_schedule_queues_exactly_one_scheduled_assessment(
    app: Any, client: GraphQLClient, tmp_path: Path
) -> None:
    services = app.state.atrium.services
    # given a project assessed at midnight on New Year's Day
    owner, org_id, repo_id, _ = await _setup(client, tmp_path)
    project_id = await _project(
        client, owner, org_id, repo_id, assessment_schedule="0 0 1 1 *", assess_on_push=False
    )
    new_year = datetime(datetime.now(UTC).year + 1, 1, 1, tzinfo=UTC)
    # when it is half a minute past the slot and two workers look at once, then look again
    now = new_year + timedelta(seconds=30)
    first, second = await asyncio.gather(
        queue_scheduled_assessments(services.db, services, now),
        queue_scheduled_assessments(services.db, services, now),
    )
    again = await queue_scheduled_assessments(services.db, services, now + timedelta(minutes=5))
    # then exactly one SCHEDULED assessment of the slot exists (other tests' projects may
    # have schedules due then too)
    [scheduled] = await _assessments(client, owner, project_id)
    assert scheduled["trigger"] == "SCHEDULED" and (first + second).count(scheduled["id"]) == 1
    assert scheduled["id"] not in again
    assert datetime.fromisoformat(scheduled["scheduledFor"]) == new_year
    # and it runs like any other assessment
    done = await _wait_done(client, owner, project_id, scheduled["id"])
    assert done["status"] == "COMPLETED", done
    # and long after the slot (past the grace), nothing more is queued
    await queue_scheduled_assessments(services.db, services, new_year + timedelta(hours=3))
    assert len(await _assessments(client, owner, project_id)) == 1


async def test_workers_queue_a_periodic_job_once_per_period(app: Any) -> None:
    db = app.state.atrium.services.db
    assert PERIODIC[SCHEDULE_JOB] == 60
    # a period far in the past, so the live worker's own periodic jobs never collide
    moment = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
    first, second = await asyncio.gather(enqueue_periodic(db, moment), enqueue_periodic(db, moment))
    expected = periodic_job_id(SCHEDULE_JOB, int(moment.timestamp() // 60))
    assert expected in first + second and (first + second).count(expected) == 1
    async with db_session(app) as session:
        rows = await session.scalar(select(func.count()).where(Job.id == expected))
        job = await session.get(Job, expected)
    assert rows == 1 and job is not None and job.kind == SCHEDULE_JOB
    assert job.payload == {"period_start": "2001-02-03T04:05:00+00:00"}
