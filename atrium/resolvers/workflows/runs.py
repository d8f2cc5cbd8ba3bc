"""Starting and steering workflow runs: Archon's lifecycle, one transition per function.

Allowed transitions (anything else is an INVALID_TRANSITION userError):

=========  ===============================  =================================
action     from                             to
=========  ===============================  =================================
cancel     PENDING, RUNNING, PAUSED         CANCELLED (in-flight nodes stop)
resume     FAILED, PAUSED                   RUNNING (completed nodes kept)
abandon    RUNNING, PAUSED, FAILED          CANCELLED (history kept)
approve    PAUSED                           RUNNING
reject     PAUSED                           RUNNING (rework) or CANCELLED
delete     COMPLETED, FAILED, CANCELLED     gone, with its events
=========  ===============================  =================================

The work itself happens in durable jobs (``execution``); these functions only change
rows, record events and enqueue, all in the caller's transaction.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.engines.workflows.definition import WorkflowDefinition, parse_workflow
from atrium.engines.workflows.scheduler import NodeState, NodeStatus, resume_states
from atrium.models.events import EventRecord, TopicSequence
from atrium.models.repositories import Environment, Repository
from atrium.models.threads import Thread
from atrium.models.workflows import (
    TERMINAL_RUN_STATUSES,
    RunStatus,
    WorkflowNodeRun,
    WorkflowRun,
)
from atrium.resolvers.access import get_for_action, not_found, require
from atrium.resolvers.repositories import repositories as repository_service
from atrium.resolvers.threads.visibility import visible_threads
from atrium.resolvers.workflows import events
from atrium.resolvers.workflows.definitions import find_definition, list_commands

ADVANCE_JOB = "workflow.advance"
NODE_JOB = "workflow.node"
MAX_MESSAGE = 100_000


def _invalid(run: WorkflowRun, action: str, allowed: tuple[RunStatus, ...]) -> UserErrors:
    names = ", ".join(s.value.lower() for s in allowed)
    return UserErrors.single(
        f"Cannot {action} a {run.status.value.lower()} run (only {names})",
        UserErrorCode.INVALID_TRANSITION,
        ("runId",),
    )


def run_workdir(settings: Any, run_id: str) -> Path:
    """Where ``bash`` nodes of a run without a repository run."""
    return Path(settings.data_dir).expanduser().resolve() / "workflow-runs" / run_id


async def enqueue_advance(context: Context, session: AsyncSession, run: WorkflowRun) -> None:
    await context.enqueue(
        session, ADVANCE_JOB, {"run_id": run.id}, organization_id=run.organization_id
    )


async def enqueue_node(
    context: Context, session: AsyncSession, run: WorkflowRun, node_id: str
) -> None:
    await context.enqueue(
        session,
        NODE_JOB,
        {"run_id": run.id, "node_id": node_id},
        organization_id=run.organization_id,
        max_attempts=3,
    )


async def set_status(
    context: Context,
    session: AsyncSession,
    run: WorkflowRun,
    status: RunStatus,
    *,
    error: str | None = None,
    **data: Any,
) -> None:
    now = datetime.now(UTC)
    run.status = status
    if status is RunStatus.RUNNING:
        run.started_at = run.started_at or now
        run.finished_at = None
        run.error = None
    if status in TERMINAL_RUN_STATUSES:
        run.finished_at = now
    if error is not None:
        run.error = error[:4000]
    await session.flush()
    await events.emit(context, session, run, events.WORKFLOW_STATUS, error=run.error, **data)
    if status in (RunStatus.COMPLETED, RunStatus.CANCELLED):
        await release_environment(context, session, run)


async def release_environment(context: Context, session: AsyncSession, run: WorkflowRun) -> None:
    """Remove the run's worktree once the run can no longer continue (jobs do this too,
    with no user to check, so it does not go through ``removeEnvironment``'s policy)."""
    if run.environment_id is None:
        return
    environment = await session.get(Environment, run.environment_id)
    if environment is not None:
        await repository_service.release_environment(context, session, environment)


def _check_commands_exist(definition: WorkflowDefinition, commands: set[str]) -> list[UserError]:
    wanted: list[tuple[str, str]] = []
    for node in definition.nodes:
        if node.command:
            wanted.append((node.id, node.command))
        if node.loop is not None and node.loop.command:
            wanted.append((node.id, node.loop.command))
    return [
        UserError(
            f"Node '{node_id}' uses command '{name}', which does not exist",
            UserErrorCode.NOT_FOUND,
            ("workflowName",),
        )
        for node_id, name in wanted
        if name not in commands
    ]


async def start_run(
    context: Context,
    session: AsyncSession,
    *,
    organization_id: str,
    workflow_name: str,
    message: str = "",
    inputs: dict[str, Any] | None = None,
    thread_id: str | None = None,
    repository_id: str | None = None,
    routine_id: str | None = None,
) -> WorkflowRun:
    require(context, organization_id, Action.WRITE, field=("organizationId",))
    stored = await find_definition(session, organization_id, workflow_name)
    if stored is None:
        raise not_found("Workflow", workflow_name, ("workflowName",))
    if len(message) > MAX_MESSAGE:
        raise UserErrors.single("Message too long", UserErrorCode.TOO_LONG, ("message",))
    commands = {c.name for c in await list_commands(session, organization_id)}
    errors = _check_commands_exist(stored.definition, commands)
    if errors:
        raise UserErrors(errors)
    if thread_id is not None:
        thread = await session.scalar(
            select(Thread).where(Thread.id == thread_id, visible_threads(context))
        )
        if thread is None or thread.organization_id != organization_id:
            raise not_found("Thread", thread_id, ("threadId",))
    run = WorkflowRun(
        organization_id=organization_id,
        workflow_name=stored.name,
        source=stored.source,
        definition=stored.definition.raw,
        status=RunStatus.PENDING,
        message=message,
        inputs=inputs or {},
        thread_id=thread_id,
        routine_id=routine_id,
        started_by_id=context.principal.user_id,
    )
    session.add(run)
    await session.flush()
    if repository_id is not None:
        repository = await get_for_action(
            context, session, Repository, repository_id, Action.READ, field=("repositoryId",)
        )
        if repository.organization_id != organization_id:
            raise not_found("Repository", repository_id, ("repositoryId",))
        environment = await repository_service.create_environment(
            context, session, repository_id=repository_id, owner_id=run.id
        )
        run.repository_id = repository_id
        run.environment_id = environment.id
    session.add_all(
        WorkflowNodeRun(
            run_id=run.id, node_id=node.id, kind=node.kind.value, status=NodeStatus.PENDING
        )
        for node in stored.definition.nodes
    )
    await session.flush()
    await events.emit(context, session, run, events.WORKFLOW_STATUS, message=message or None)
    await enqueue_advance(context, session, run)
    return run


async def _run_for(context: Context, session: AsyncSession, run_id: str) -> WorkflowRun:
    run = await get_for_action(
        context, session, WorkflowRun, run_id, Action.WRITE, field=("runId",)
    )
    await session.refresh(run)
    return run


async def _nodes(session: AsyncSession, run_id: str) -> dict[str, WorkflowNodeRun]:
    rows = await session.scalars(select(WorkflowNodeRun).where(WorkflowNodeRun.run_id == run_id))
    return {row.node_id: row for row in rows}


async def _stop_nodes(session: AsyncSession, run_id: str) -> None:
    """Nodes waiting to run or for approval are cancelled; running ones stop themselves
    (their job watches the run's status) and record that they were cancelled."""
    await session.execute(
        update(WorkflowNodeRun)
        .where(
            WorkflowNodeRun.run_id == run_id,
            WorkflowNodeRun.status.in_([NodeStatus.QUEUED, NodeStatus.WAITING_APPROVAL]),
        )
        .values(status=NodeStatus.CANCELLED, finished_at=datetime.now(UTC))
    )


async def cancel_run(
    context: Context, session: AsyncSession, run_id: str, *, abandon: bool = False
) -> WorkflowRun:
    run = await _run_for(context, session, run_id)
    allowed = (
        (RunStatus.RUNNING, RunStatus.PAUSED, RunStatus.FAILED)
        if abandon
        else (RunStatus.PENDING, RunStatus.RUNNING, RunStatus.PAUSED)
    )
    if run.status not in allowed:
        raise _invalid(run, "abandon" if abandon else "cancel", allowed)
    await _stop_nodes(session, run.id)
    reason = "Abandoned" if abandon else "Cancelled"
    who = context.principal.user_id
    await set_status(
        context, session, run, RunStatus.CANCELLED, error=f"{reason} by {who or 'the system'}"
    )
    return run


async def resume_run(context: Context, session: AsyncSession, run_id: str) -> WorkflowRun:
    run = await _run_for(context, session, run_id)
    allowed = (RunStatus.FAILED, RunStatus.PAUSED)
    if run.status not in allowed:
        raise _invalid(run, "resume", allowed)
    definition, _ = parse_workflow(run.definition)
    assert definition is not None
    rows = await _nodes(session, run.id)
    # the engine's rule: completed nodes are kept, everything else is decided again
    fresh = resume_states(
        definition, {n: NodeState(NodeStatus(r.status), r.output) for n, r in rows.items()}
    )
    for node_id, state in fresh.items():
        node = rows[node_id]
        if state.status is NodeStatus.PENDING and node.status != NodeStatus.PENDING:
            node.status = NodeStatus.PENDING
            node.error = None
            node.skip_reason = None
            node.lease = None
            node.iteration = 0
    await set_status(context, session, run, RunStatus.RUNNING, resumed=True)
    await enqueue_advance(context, session, run)
    return run


async def _waiting_node(
    session: AsyncSession, run: WorkflowRun, node_id: str | None
) -> WorkflowNodeRun:
    waiting = [
        n
        for n in (await _nodes(session, run.id)).values()
        if n.status == NodeStatus.WAITING_APPROVAL
    ]
    if node_id is not None:
        waiting = [n for n in waiting if n.node_id == node_id]
    if len(waiting) == 1:
        return waiting[0]
    if not waiting:
        raise UserErrors.single(
            "No node of this run is waiting for approval"
            + (f" with id '{node_id}'" if node_id else ""),
            UserErrorCode.NOT_FOUND,
            ("nodeId",),
        )
    names = ", ".join(sorted(n.node_id for n in waiting))
    raise UserErrors.single(
        f"Several nodes wait for approval ({names}): say which", UserErrorCode.REQUIRED, ("nodeId",)
    )


async def approve_run(
    context: Context,
    session: AsyncSession,
    run_id: str,
    *,
    comment: str | None = None,
    node_id: str | None = None,
) -> WorkflowRun:
    run = await _run_for(context, session, run_id)
    if run.status is not RunStatus.PAUSED:
        raise _invalid(run, "approve", (RunStatus.PAUSED,))
    node = await _waiting_node(session, run, node_id)
    node.status = NodeStatus.COMPLETED
    node.output = {
        "approved": True,
        "comment": comment,
        "revision": node.output_text,
        "approved_by": context.principal.user_id,
    }
    node.finished_at = datetime.now(UTC)
    await session.flush()
    await events.emit(
        context,
        session,
        run,
        events.APPROVAL_RECEIVED,
        node_id=node.node_id,
        approved=True,
        comment=comment,
    )
    await set_status(context, session, run, RunStatus.RUNNING)
    await enqueue_advance(context, session, run)
    return run


async def reject_run(
    context: Context,
    session: AsyncSession,
    run_id: str,
    *,
    reason: str | None = None,
    node_id: str | None = None,
) -> WorkflowRun:
    run = await _run_for(context, session, run_id)
    if run.status is not RunStatus.PAUSED:
        raise _invalid(run, "reject", (RunStatus.PAUSED,))
    node = await _waiting_node(session, run, node_id)
    definition, _ = parse_workflow(run.definition)
    assert definition is not None
    approval = definition.node(node.node_id).approval
    await events.emit(
        context,
        session,
        run,
        events.APPROVAL_RECEIVED,
        node_id=node.node_id,
        approved=False,
        reason=reason,
    )
    if (
        approval is not None
        and approval.on_reject_prompt
        and node.rework_count < max(approval.max_attempts, 1)
    ):
        node.rework_count += 1
        node.rework_reason = reason or ""
        node.status = NodeStatus.QUEUED
        await set_status(context, session, run, RunStatus.RUNNING)
        await enqueue_node(context, session, run, node.node_id)
        return run
    node.status = NodeStatus.CANCELLED
    node.error = f"Rejected: {reason}" if reason else "Rejected"
    node.finished_at = datetime.now(UTC)
    await _stop_nodes(session, run.id)
    await set_status(context, session, run, RunStatus.CANCELLED, error=node.error)
    return run


async def delete_run(context: Context, session: AsyncSession, run_id: str) -> str:
    run = await _run_for(context, session, run_id)
    if run.status not in TERMINAL_RUN_STATUSES:
        raise _invalid(run, "delete", tuple(TERMINAL_RUN_STATUSES))
    topic = events.run_topic(run.id)
    await release_environment(context, session, run)
    await session.execute(delete(EventRecord).where(EventRecord.topic == topic))
    await session.execute(delete(TopicSequence).where(TopicSequence.topic == topic))
    await session.execute(delete(WorkflowNodeRun).where(WorkflowNodeRun.run_id == run.id))
    await session.delete(run)
    await session.flush()
    workdir = run_workdir(context.settings, run.id)

    async def clean_up() -> None:
        shutil.rmtree(workdir, ignore_errors=True)

    context.after_commit(clean_up)
    return run_id
