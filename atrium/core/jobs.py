"""Durable jobs: enqueue in the request's transaction, run by workers, survive crashes.

* **Enqueue** inserts a row in the caller's transaction: a job of a rolled-back request
  never exists, so it never runs.
* **Claim** takes due jobs under a *lease* (``locked_until``): on PostgreSQL with
  ``FOR UPDATE SKIP LOCKED`` so concurrent workers never take the same row; on SQLite
  (one writer at a time) with a single ``UPDATE … RETURNING``. A worker renews the lease
  while a job runs; if the worker dies, the lease lapses and another worker takes the job
  over — so handlers must be idempotent (at-least-once delivery).
* **Retry** with exponential backoff and jitter until ``max_attempts``; a handler raises
  :class:`PermanentJobError` to fail at once. Status, attempts and the last error stay
  on the row for anyone to see.
* **Periodic** jobs (:func:`periodic_job`) are enqueued by every worker once per period;
  the job's ID names its period, so however many workers look, one row is inserted per
  period (the others' inserts conflict and do nothing), and it runs like any other job.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import random
import socket
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.db import Database, dialect_insert
from atrium.models.jobs import Job, JobStatus

logger = logging.getLogger("atrium.jobs")

LEASE_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 600.0
PERIODIC_CHECK_SECONDS = 10.0  # how often a worker makes sure the current periods are queued
PERIODIC_KEEP = timedelta(hours=1)  # finished periodic jobs are kept this long


class PermanentJobError(Exception):
    """Retrying cannot help (bad payload, deleted target): fail the job now."""


@dataclass(frozen=True)
class JobContext:
    """What a handler gets besides its payload."""

    job_id: str
    attempt: int
    max_attempts: int
    db: Database
    services: Any

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[dict[str, Any] | None]]
HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind``."""

    def register(handler: Handler) -> Handler:
        if kind in HANDLERS and HANDLERS[kind] is not handler:
            raise ValueError(f"a handler for {kind!r} is already registered")
        HANDLERS[kind] = handler
        return handler

    return register


PERIODIC: dict[str, float] = {}  # kind → period in seconds


def periodic_job(kind: str, every_seconds: float) -> Callable[[Handler], Handler]:
    """Register the handler of ``kind`` and have workers enqueue it every ``every_seconds``.

    The payload is ``{"period_start": <ISO time>}``. A period's job runs at most once
    (bar a lapsed lease), so the handler should look at what is due when it runs rather
    than rely on having run for every period.
    """

    def register(handler: Handler) -> Handler:
        job_handler(kind)(handler)
        PERIODIC[kind] = every_seconds
        return handler

    return register


def periodic_job_id(kind: str, period: int) -> str:
    """The ID of ``kind``'s job for one period: the same in every worker."""
    digest = hashlib.sha256(f"{kind}:{period}".encode()).hexdigest()[:26].upper()
    return f"job_{digest}"


async def enqueue_periodic(db: Database, now: datetime | None = None) -> list[str]:
    """Queue each periodic kind's current period unless a worker already did; return new IDs."""
    if not PERIODIC:
        return []
    now = now or datetime.now(UTC)
    rows = []
    for kind, every in PERIODIC.items():
        period = int(now.timestamp() // every)
        start = datetime.fromtimestamp(period * every, UTC)
        rows.append(
            {
                "id": periodic_job_id(kind, period),
                "kind": kind,
                "queue": "default",
                "payload": {"period_start": start.isoformat()},
                "status": JobStatus.QUEUED,
                "attempts": 0,
                "max_attempts": 1,  # the next period's job does the work a failed one missed
                "run_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
    upsert = dialect_insert("sqlite" if db.is_sqlite else "postgresql")
    async with db.sessionmaker() as session:
        inserted = (
            await session.scalars(
                upsert(Job)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["id"])
                .returning(Job.id)
            )
        ).all()
        await session.execute(
            delete(Job).where(
                Job.kind.in_(list(PERIODIC)),
                Job.status == JobStatus.SUCCEEDED,
                Job.finished_at < now - PERIODIC_KEEP,
            )
        )
        await session.commit()
    return list(inserted)


def backoff_seconds(attempt: int, base: float = 1.0) -> float:
    """Exponential backoff with jitter: between half and all of base * 2**attempt seconds."""
    ceiling = min(MAX_BACKOFF_SECONDS, base * 2**attempt)
    return random.uniform(ceiling / 2, ceiling)


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    organization_id: str | None = None,
    run_at: datetime | None = None,
    max_attempts: int = 5,
    queue: str = "default",
) -> Job:
    """Add a job in the caller's transaction; it runs only if that transaction commits."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler registered for job kind {kind!r}")
    job = Job(
        kind=kind,
        queue=queue,
        payload=payload,
        organization_id=organization_id,
        run_at=run_at or datetime.now(UTC),
        max_attempts=max_attempts,
        status=JobStatus.QUEUED,
    )
    session.add(job)
    await session.flush()
    return job


def _due(now: datetime) -> Any:
    return or_(
        (Job.status == JobStatus.QUEUED) & (Job.run_at <= now),
        (Job.status == JobStatus.RUNNING) & (Job.locked_until < now),
    )


async def claim(
    db: Database,
    worker_id: str,
    limit: int,
    queues: list[str],
    lease_seconds: float = LEASE_SECONDS,
) -> list[Job]:
    """Take up to ``limit`` due jobs (or ones whose worker's lease lapsed)."""
    now = datetime.now(UTC)
    lease = now + timedelta(seconds=lease_seconds)
    async with db.sessionmaker() as session:
        candidates = (
            select(Job.id).where(_due(now), Job.queue.in_(queues)).order_by(Job.run_at).limit(limit)
        )
        if not db.is_sqlite:
            candidates = candidates.with_for_update(skip_locked=True)
        claimed = (
            await session.scalars(
                update(Job)
                .where(Job.id.in_(candidates.scalar_subquery()), _due(now))
                .values(
                    status=JobStatus.RUNNING,
                    locked_by=worker_id,
                    locked_until=lease,
                    attempts=Job.attempts + 1,
                    updated_at=now,
                )
                .returning(Job)
            )
        ).all()
        await session.commit()
        return list(claimed)


async def _finish(db: Database, job: Job, worker_id: str, **values: Any) -> bool:
    """Write a job's outcome, unless another worker took it over meanwhile."""
    async with db.sessionmaker() as session:
        result = await session.execute(
            update(Job)
            .where(Job.id == job.id, Job.locked_by == worker_id, Job.status == JobStatus.RUNNING)
            .values(updated_at=datetime.now(UTC), **values)
        )
        await session.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def run_job(
    db: Database,
    services: Any,
    job: Job,
    worker_id: str,
    lease_seconds: float = LEASE_SECONDS,
    backoff_base: float = 1.0,
) -> JobStatus:
    """Run one claimed job to an outcome: succeeded, retried or failed."""
    handler = HANDLERS.get(job.kind)
    now = datetime.now(UTC)
    if handler is None:
        await _finish(
            db,
            job,
            worker_id,
            status=JobStatus.FAILED,
            finished_at=now,
            last_error=f"no handler for {job.kind!r}",
            locked_by=None,
        )
        return JobStatus.FAILED
    heartbeat = asyncio.create_task(_renew_lease(db, job.id, worker_id, lease_seconds))
    try:
        context = JobContext(job.id, job.attempts, job.max_attempts, db, services)
        result = await handler(context, job.payload)
    except Exception as error:
        heartbeat.cancel()
        message = "".join(traceback.format_exception_only(error)).strip()[:2000]
        permanent = isinstance(error, PermanentJobError) or job.attempts >= job.max_attempts
        if permanent:
            logger.warning("job %s (%s) failed: %s", job.id, job.kind, message)
            await _finish(
                db,
                job,
                worker_id,
                status=JobStatus.FAILED,
                last_error=message,
                finished_at=datetime.now(UTC),
                locked_by=None,
                locked_until=None,
            )
            return JobStatus.FAILED
        retry_at = datetime.now(UTC) + timedelta(
            seconds=backoff_seconds(job.attempts, backoff_base)
        )
        await _finish(
            db,
            job,
            worker_id,
            status=JobStatus.QUEUED,
            last_error=message,
            run_at=retry_at,
            locked_by=None,
            locked_until=None,
        )
        return JobStatus.QUEUED
    heartbeat.cancel()
    await _finish(
        db,
        job,
        worker_id,
        status=JobStatus.SUCCEEDED,
        result=result or {},
        finished_at=datetime.now(UTC),
        locked_by=None,
        locked_until=None,
    )
    return JobStatus.SUCCEEDED


async def _renew_lease(db: Database, job_id: str, worker_id: str, lease_seconds: float) -> None:
    while True:
        await asyncio.sleep(lease_seconds / 3)
        with contextlib.suppress(Exception):
            async with db.sessionmaker() as session:
                await session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.locked_by == worker_id)
                    .values(locked_until=datetime.now(UTC) + timedelta(seconds=lease_seconds))
                )
                await session.commit()


class Worker:
    """Claims and runs jobs with bounded concurrency until stopped."""

    def __init__(
        self,
        db: Database,
        services: Any,
        *,
        concurrency: int = 4,
        queues: list[str] | None = None,
        poll_seconds: float = 1.0,
        lease_seconds: float = LEASE_SECONDS,
        backoff_base: float = 1.0,
    ) -> None:
        self.lease_seconds = lease_seconds
        self.backoff_base = backoff_base
        self.db = db
        self.services = services
        self.concurrency = concurrency
        self.queues = queues or ["default"]
        self.poll_seconds = poll_seconds
        self.periodic_check_seconds = PERIODIC_CHECK_SECONDS
        self._next_periodic = 0.0
        self.id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wakeup = asyncio.Event()
        self._running: set[asyncio.Task[JobStatus]] = set()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Look for work now (called after a commit that enqueued a job)."""
        self._wakeup.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="atrium-worker")

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop claiming; let running jobs finish for a while (their leases cover the rest)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._running:
            await asyncio.wait(self._running, timeout=grace_seconds)
        for task in self._running:
            task.cancel()

    async def _queue_periodic(self) -> None:
        if not PERIODIC or time.monotonic() < self._next_periodic:
            return
        self._next_periodic = time.monotonic() + self.periodic_check_seconds
        try:
            await enqueue_periodic(self.db)
        except Exception:
            logger.exception("queueing periodic jobs failed")

    async def run(self) -> None:
        while True:
            await self._queue_periodic()
            free = self.concurrency - len(self._running)
            jobs: list[Job] = []
            if free > 0:
                try:
                    jobs = await claim(self.db, self.id, free, self.queues, self.lease_seconds)
                except Exception:
                    logger.exception("claiming jobs failed")
            for job in jobs:
                task = asyncio.create_task(
                    run_job(
                        self.db, self.services, job, self.id, self.lease_seconds, self.backoff_base
                    )
                )
                self._running.add(task)
                task.add_done_callback(self._done)
            if jobs and len(jobs) == free:
                continue  # there may be more due right now
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.poll_seconds)

    def _done(self, task: asyncio.Task[JobStatus]) -> None:
        self._running.discard(task)
        self._wakeup.set()
        if not task.cancelled() and task.exception() is not None:
            logger.error("job runner crashed", exc_info=task.exception())
