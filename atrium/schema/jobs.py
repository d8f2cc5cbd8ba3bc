"""Durable jobs as the graph shows them: what ran, how often, and why it failed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from atrium.core.ids import register_prefix
from atrium.models import jobs as models
from atrium.resolvers.jobs import loaders
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    Node,
    child_connection,
)

strawberry.enum(
    models.JobStatus,
    name="JobStatus",
    description="QUEUED (waiting, or waiting to retry), RUNNING, SUCCEEDED, FAILED, CANCELLED.",
)


@strawberry.type(description="A unit of background work, retried with backoff until it succeeds.")
class Job(Node):
    kind: str = strawberry.field(description="What it does, e.g. `webhook.deliver`.")
    status: models.JobStatus = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="Runs started so far.")
    max_attempts: int = strawberry.field(description="Runs allowed before it fails.")
    last_error: str | None = strawberry.field(description="Why the last run failed.")
    run_at: datetime = strawberry.field(description="When it runs (next).")
    finished_at: datetime | None = strawberry.field(description="When it succeeded or failed.")
    created_at: datetime = strawberry.field(description="When it was queued.")

    @classmethod
    def from_model(cls, row: models.Job) -> Job:
        return cls(
            id=strawberry.ID(row.id),
            kind=row.kind,
            status=row.status,
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            last_error=row.last_error,
            run_at=row.run_at,
            finished_at=row.finished_at,
            created_at=row.created_at,
        )


async def organization_jobs(
    info: AtriumInfo,
    organization_id: str,
    status: models.JobStatus | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Job]:
    return await child_connection(
        info,
        organization_id,
        loaders.JOB_PAGES[status],
        loaders.JOB_COUNTS[status],
        Job.from_model,
        first,
        after,
        last,
        before,
        descending=True,
    )


JobStatusFilter = Annotated[
    models.JobStatus | None, strawberry.argument(description="Only jobs in this status.")
]
__all__ = ["After", "Before", "First", "Job", "JobStatusFilter", "Last", "organization_jobs"]

NODE_TYPES: dict[str, tuple[Any, Any]] = {"job": (loaders.jobs_by_id, Job.from_model)}
register_prefix("job", "Job")
