"""Durable jobs on the real database: transactional enqueue, retries, crash recovery."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import tests.support.job_handlers as handlers
from atrium.core import jobs
from atrium.core.db import Database
from atrium.core.jobs import Worker, enqueue
from atrium.models.jobs import Job, JobStatus
from tests.helpers import unique

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def _enqueue(db: Database, kind: str, payload: dict[str, Any], queue: str, **kw: Any) -> str:
    async with db.sessionmaker() as session:
        job = await enqueue(session, kind, payload, queue=queue, **kw)
        await session.commit()
        return job.id


async def _job(db: Database, job_id: str) -> Job:
    async with db.sessionmaker() as session:
        job = await session.get(Job, job_id)
        assert job is not None
        return job


async def _wait_status(db: Database, job_id: str, *statuses: JobStatus, seconds: float = 15) -> Job:
    deadline = time.monotonic() + seconds
    while True:
        job = await _job(db, job_id)
        if job.status in statuses:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} is {job.status}, wanted {statuses}")
        await asyncio.sleep(0.02)


async def test_a_job_enqueued_in_a_rolled_back_transaction_never_exists(db: Database) -> None:
    queue = unique("q")
    async with db.sessionmaker() as session:
        job = await enqueue(session, "test.record", {"value": 1}, queue=queue)
        job_id = job.id
        await session.rollback()
    async with db.sessionmaker() as session:
        assert await session.get(Job, job_id) is None
    assert await jobs.claim(db, "w", 10, [queue]) == []


async def test_worker_runs_a_job_and_records_its_result(db: Database) -> None:
    queue = unique("q")
    job_id = await _enqueue(db, "test.record", {"value": 42}, queue)
    worker = Worker(db, None, queues=[queue], poll_seconds=0.05)
    worker.start()
    try:
        job = await _wait_status(db, job_id, JobStatus.SUCCEEDED)
    finally:
        await worker.stop()
    assert job.result == {"echo": 42, "attempt": 1}
    assert job.attempts == 1 and job.finished_at is not None and job.locked_by is None


async def test_failures_are_retried_with_backoff_then_succeed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "backoff_seconds", lambda attempt, base: 0.0)
    queue = unique("q")
    job_id = await _enqueue(db, "test.flaky", {"succeed_on": 3}, queue)
    worker = Worker(db, None, queues=[queue], poll_seconds=0.05)
    worker.start()
    try:
        job = await _wait_status(db, job_id, JobStatus.SUCCEEDED)
    finally:
        await worker.stop()
    assert job.attempts == 3
    assert "flaky failure on attempt 2" in (job.last_error or "")


async def test_backoff_grows_exponentially() -> None:
    assert 1 <= jobs.backoff_seconds(1) <= 2
    assert 16 <= jobs.backoff_seconds(5) <= 32
    assert 0.8 <= jobs.backoff_seconds(4, base=0.1) <= 1.6
    assert jobs.backoff_seconds(30) <= jobs.MAX_BACKOFF_SECONDS


async def test_retry_is_scheduled_in_the_future(db: Database) -> None:
    queue = unique("q")
    job_id = await _enqueue(db, "test.flaky", {"succeed_on": 9}, queue)
    [claimed] = await jobs.claim(db, "w1", 1, [queue])
    assert await jobs.run_job(db, None, claimed, "w1") is JobStatus.QUEUED
    job = await _job(db, job_id)
    assert job.run_at > job.updated_at  # not due again right away
    assert await jobs.claim(db, "w1", 1, [queue]) == []


async def test_permanent_errors_and_exhausted_attempts_fail_the_job(db: Database) -> None:
    queue = unique("q")
    permanent = await _enqueue(db, "test.permanent", {}, queue)
    exhausted = await _enqueue(db, "test.flaky", {"succeed_on": 5}, queue, max_attempts=1)
    for job in await jobs.claim(db, "w1", 10, [queue]):
        await jobs.run_job(db, None, job, "w1")
    assert (await _job(db, permanent)).status is JobStatus.FAILED
    failed = await _job(db, exhausted)
    assert failed.status is JobStatus.FAILED and failed.attempts == 1
    assert "the target is gone" in ((await _job(db, permanent)).last_error or "")


async def test_concurrent_workers_never_run_a_job_twice(db: Database) -> None:
    queue = unique("q")
    ids = [await _enqueue(db, "test.record", {"value": n}, queue) for n in range(30)]
    handlers.CALLS.clear()
    workers = [Worker(db, None, queues=[queue], poll_seconds=0.02, concurrency=3) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        for job_id in ids:
            await _wait_status(db, job_id, JobStatus.SUCCEEDED)
    finally:
        for worker in workers:
            await worker.stop()
    ran = [job_id for job_id, _ in handlers.CALLS if job_id in ids]
    assert sorted(ran) == sorted(ids)


async def test_a_job_whose_worker_is_killed_is_finished_by_another(
    db: Database, database_url: str
) -> None:
    # given a worker process that has claimed a job and hangs inside it
    queue = unique("q")
    job_id = await _enqueue(db, "test.stuck_first_time", {}, queue)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.worker_process",
        database_url,
        "1.0",
        queue,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        env={**os.environ},
    )
    try:
        running = await _wait_status(db, job_id, JobStatus.RUNNING, seconds=30)
        assert running.locked_by and running.locked_by.split(":")[1] == str(process.pid)
        # when that process is killed outright
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 10)
    finally:
        if process.returncode is None:
            process.kill()
    # then once its lease lapses another worker takes the job over and finishes it
    rescuer = Worker(db, None, queues=[queue], poll_seconds=0.05, lease_seconds=1.0)
    rescuer.start()
    try:
        done = await _wait_status(db, job_id, JobStatus.SUCCEEDED, seconds=30)
    finally:
        await rescuer.stop()
    assert done.result == {"finished_on_attempt": 2}
    assert done.attempts == 2


async def test_enqueue_rejects_unknown_kinds(db: Database) -> None:
    async with db.sessionmaker() as session:
        with pytest.raises(ValueError, match="no handler"):
            await enqueue(session, "no.such.kind", {})
        assert (await session.scalars(select(Job).where(Job.kind == "no.such.kind"))).all() == []
