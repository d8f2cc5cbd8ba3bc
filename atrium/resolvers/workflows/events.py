"""Workflow run events: stored on the run's topic, mirrored live to the dashboard.

Every state change of a run is a durable event on ``workflow_run:{id}`` (the run's
history, which ``WorkflowRun.events`` reads back and ``workflowRunEvents`` streams); the
same event goes live, unstored, to ``workflow_dashboard:{org}`` (``dashboardEvents`` and
Archon's ``__dashboard__`` SSE stream). Terminal statuses also go to the organization's
topic, so webhooks can subscribe to ``workflow_run.completed`` and ``.failed``.
Node output chunks are ephemeral: the stored output is on the node itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.models.workflows import WorkflowRun
from atrium.resolvers.identity.events import org_topic

WORKFLOW_STATUS = "workflow.status"
NODE_STARTED = "node.started"
NODE_COMPLETED = "node.completed"
NODE_FAILED = "node.failed"
NODE_SKIPPED = "node.skipped"
NODE_CANCELLED = "node.cancelled"
NODE_OUTPUT = "node.output"  # a chunk of streamed output (ephemeral)
APPROVAL_REQUESTED = "approval.requested"
APPROVAL_RECEIVED = "approval.received"
LOOP_ITERATION = "loop.iteration"

NODE_TYPES = frozenset(
    {NODE_STARTED, NODE_COMPLETED, NODE_FAILED, NODE_SKIPPED, NODE_CANCELLED, NODE_OUTPUT}
)

ORG_TYPES = {"COMPLETED": "workflow_run.completed", "FAILED": "workflow_run.failed"}


def run_topic(run_id: str) -> str:
    return f"workflow_run:{run_id}"


def dashboard_topic(organization_id: str) -> str:
    return f"workflow_dashboard:{organization_id}"


async def emit(
    context: Context,
    session: AsyncSession,
    run: WorkflowRun,
    type: str,
    *,
    node_id: str | None = None,
    durable: bool = True,
    **data: Any,
) -> None:
    payload = {
        "run_id": run.id,
        "workflow_name": run.workflow_name,
        "status": run.status.value,
        "node_id": node_id,
        "actor_id": context.principal.user_id,
        **data,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    if durable:
        await context.emit(
            session,
            topics=[run_topic(run.id)],
            type=type,
            payload=payload,
            organization_id=run.organization_id,
        )
    await context.emit(
        session,
        topics=[dashboard_topic(run.organization_id)] + ([] if durable else [run_topic(run.id)]),
        type=type,
        payload=payload,
        organization_id=run.organization_id,
        durable=False,
    )
    org_type = ORG_TYPES.get(run.status.value) if type == WORKFLOW_STATUS else None
    if org_type is not None:
        await context.emit(
            session,
            topics=[org_topic(run.organization_id)],
            type=org_type,
            payload={"subject_id": run.id, **payload},
            organization_id=run.organization_id,
        )
