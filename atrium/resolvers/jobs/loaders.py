"""Batch functions for an organization's durable jobs (admins only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from atrium.core.context import Context
from atrium.core.policy import Action
from atrium.models.jobs import Job, JobStatus
from atrium.resolvers.loading import child_counts, child_pages, org_scoped, visible_org_ids

jobs_by_id = org_scoped(Job, Action.JOB_READ)


def _visible(status: JobStatus | None) -> Any:
    def base(context: Context) -> Select[Any]:
        stmt = select(Job).where(Job.organization_id.in_(visible_org_ids(context, Action.JOB_READ)))
        return stmt.where(Job.status == status) if status is not None else stmt

    return base


# One loader pair per status filter, so each stays a single statement per batch.
JOB_PAGES = {
    status: child_pages(Job, Job.organization_id, _visible(status)) for status in [None, *JobStatus]
}
JOB_COUNTS = {
    status: child_counts(Job, Job.organization_id, _visible(status))
    for status in [None, *JobStatus]
}
