"""Batch functions for workflow runs, their node states and their stored events."""

from __future__ import annotations

from sqlalchemy import select

from atrium.core.context import Context
from atrium.models.events import EventRecord
from atrium.models.workflows import RoutineFiring, WorkflowNodeRun, WorkflowRun
from atrium.resolvers.loading import child_pages, org_scoped
from atrium.resolvers.workflows.events import run_topic

runs_by_id = org_scoped(WorkflowRun)


async def nodes_by_run(context: Context, keys: list[str]) -> list[list[WorkflowNodeRun]]:
    """Each run's node states (callers see only runs they could load)."""
    found: dict[str, list[WorkflowNodeRun]] = {key: [] for key in keys}
    stmt = select(WorkflowNodeRun).where(WorkflowNodeRun.run_id.in_(keys))
    async with context.session() as session:
        for row in (await session.scalars(stmt.order_by(WorkflowNodeRun.id))).all():
            found[row.run_id].append(row)
    return [found[key] for key in keys]


async def events_by_run(context: Context, keys: list[str]) -> list[list[EventRecord]]:
    """Each run's history: the stored events of its topic, in sequence order."""
    topics = {run_topic(key): key for key in keys}
    found: dict[str, list[EventRecord]] = {key: [] for key in keys}
    stmt = (
        select(EventRecord)
        .where(EventRecord.topic.in_(list(topics)))
        .order_by(EventRecord.topic, EventRecord.sequence)
    )
    async with context.session() as session:
        for row in (await session.scalars(stmt)).all():
            found[topics[row.topic]].append(row)
    return [found[key] for key in keys]


firings_by_routine = child_pages(RoutineFiring, RoutineFiring.routine_id)
