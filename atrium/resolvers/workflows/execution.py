"""Running workflows as durable jobs: ``workflow.advance`` plans, ``workflow.node`` works.

``workflow.advance`` asks the pure scheduler (``atrium.engines.workflows.scheduler``)
what can happen now, given the node rows, and applies it: skips, approval gates, cancel
nodes, one ``workflow.node`` job per node to start, and the run's new status. Every
change of a node row is a conditional update on its current status, so two advance jobs
racing on one run (two branches finished together) cannot dispatch a node twice.

``workflow.node`` runs one node. It takes the node by writing its job's id into the row
(``lease``) and only a completion carrying that lease is written, so a worker whose
lease lapsed can never overwrite the work of the one that took over. A node found
COMPLETED is never run again, which is what makes resume and crash recovery skip
finished work; a node found RUNNING was cut off by a crash and runs again. While a node
runs, its job watches the run's status and stops the work (kills the shell, closes the
model stream) when the run is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.jobs import JobContext, PermanentJobError, job_handler
from atrium.core.pubsub import Event
from atrium.engines.workflows.definition import Node, NodeKind, WorkflowDefinition, parse_workflow
from atrium.engines.workflows.outputs import parse_output
from atrium.engines.workflows.scheduler import NodeState, NodeStatus, RunOutcome, loop_done, plan
from atrium.engines.workflows.templates import render
from atrium.models.agents import Agent
from atrium.models.repositories import Environment
from atrium.models.threads import Thread
from atrium.models.workflows import RunStatus, WorkflowNodeRun, WorkflowRun
from atrium.providers.base import ChatMessage, Delta, ProviderError
from atrium.providers.factory import create_provider
from atrium.resolvers.threads.replies import provider_config
from atrium.resolvers.threads.threads import default_assistant
from atrium.resolvers.workflows import events
from atrium.resolvers.workflows.definitions import find_command
from atrium.resolvers.workflows.runs import (
    ADVANCE_JOB,
    NODE_JOB,
    enqueue_node,
    run_workdir,
    set_status,
)

logger = logging.getLogger("atrium.workflows")

_OUTCOME_STATUS = {
    RunOutcome.PAUSED: RunStatus.PAUSED,
    RunOutcome.COMPLETED: RunStatus.COMPLETED,
    RunOutcome.FAILED: RunStatus.FAILED,
    RunOutcome.CANCELLED: RunStatus.CANCELLED,
}


class NodeFailed(Exception):
    """The node's work failed (a shell exit code, a model error): the node is FAILED."""


class RunStopped(Exception):
    """The run left RUNNING (cancelled, abandoned, deleted) while the node worked."""


def _definition(run: WorkflowRun) -> WorkflowDefinition:
    definition, problems = parse_workflow(run.definition)
    if definition is None:
        raise PermanentJobError(f"stored definition no longer parses: {problems}")
    return definition


async def _node_rows(session: AsyncSession, run_id: str) -> dict[str, WorkflowNodeRun]:
    rows = await session.scalars(
        select(WorkflowNodeRun)
        .where(WorkflowNodeRun.run_id == run_id)
        .execution_options(populate_existing=True)
    )
    return {row.node_id: row for row in rows}


async def _move(session: AsyncSession, row: WorkflowNodeRun, expected: str, **values: Any) -> bool:
    """Change a node row only if it is still in ``expected``; True if this call did."""
    result = await session.execute(
        update(WorkflowNodeRun)
        .where(WorkflowNodeRun.id == row.id, WorkflowNodeRun.status == expected)
        .values(updated_at=datetime.now(UTC), **values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- advance -------------------------------------------------------------------------


@job_handler(ADVANCE_JOB)
async def advance_run(job: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    context = Context.for_job(job)
    try:
        async with context.session() as session:
            query = select(WorkflowRun).where(WorkflowRun.id == payload["run_id"])
            if not job.db.is_sqlite:
                query = query.with_for_update()  # one advance per run at a time
            run = await session.scalar(query.execution_options(populate_existing=True))
            if run is None or run.status not in (RunStatus.PENDING, RunStatus.RUNNING):
                return {"status": run.status.value if run else "DELETED"}
            await advance(context, session, run)
            status = run.status.value
        await context.commit()
        return {"status": status}
    finally:
        await context.close()


async def advance(context: Context, session: AsyncSession, run: WorkflowRun) -> None:
    """Apply every decision the scheduler can make now; then set the run's status."""
    definition = _definition(run)
    if run.status is RunStatus.PENDING:
        await set_status(context, session, run, RunStatus.RUNNING)
    while True:
        rows = await _node_rows(session, run.id)
        states = {
            node_id: NodeState(NodeStatus(row.status), row.output) for node_id, row in rows.items()
        }
        step = plan(definition, states, run.inputs)
        changed = False
        now = datetime.now(UTC)
        for node_id, reason in step.skip.items():
            if await _move(
                session,
                rows[node_id],
                NodeStatus.PENDING,
                status=NodeStatus.SKIPPED,
                skip_reason=reason,
                finished_at=now,
            ):
                changed = True
                await events.emit(
                    context, session, run, events.NODE_SKIPPED, node_id=node_id, reason=reason
                )
        if step.cancel is not None:
            node_id, reason = step.cancel
            await _move(
                session,
                rows[node_id],
                NodeStatus.PENDING,
                status=NodeStatus.CANCELLED,
                error=reason,
                finished_at=now,
            )
            await session.execute(
                update(WorkflowNodeRun)
                .where(
                    WorkflowNodeRun.run_id == run.id,
                    WorkflowNodeRun.status.in_([NodeStatus.QUEUED, NodeStatus.WAITING_APPROVAL]),
                )
                .values(status=NodeStatus.CANCELLED, finished_at=now)
            )
            await set_status(
                context, session, run, RunStatus.CANCELLED, error=reason, node_id=node_id
            )
            return
        for node_id in step.start:
            node = definition.node(node_id)
            if node.kind is NodeKind.APPROVAL:
                if await _move(
                    session,
                    rows[node_id],
                    NodeStatus.PENDING,
                    status=NodeStatus.WAITING_APPROVAL,
                    started_at=now,
                ):
                    changed = True
                    assert node.approval is not None
                    await events.emit(
                        context,
                        session,
                        run,
                        events.APPROVAL_REQUESTED,
                        node_id=node_id,
                        message=_render(node.approval.message, run, rows),
                    )
            elif await _move(session, rows[node_id], NodeStatus.PENDING, status=NodeStatus.QUEUED):
                changed = True
                await enqueue_node(context, session, run, node_id)
        if not changed:
            break
    status = _OUTCOME_STATUS.get(step.outcome)
    if status is not None and status is not run.status:
        failed = sorted(n for n, s in states.items() if s.status is NodeStatus.FAILED)
        error = f"Failed nodes: {', '.join(failed)}" if failed else None
        await set_status(context, session, run, status, error=error)


def _outputs(rows: dict[str, WorkflowNodeRun]) -> dict[str, Any]:
    return {n: r.output for n, r in rows.items() if r.status == NodeStatus.COMPLETED}


def _render(
    template: str,
    run: WorkflowRun,
    rows: dict[str, WorkflowNodeRun],
    iteration: int | None = None,
    extra: dict[str, str] | None = None,
) -> str:
    for name, value in (extra or {}).items():
        template = template.replace(f"${name}", value)
    return render(
        template,
        message=run.message,
        inputs=run.inputs,
        outputs=_outputs(rows),
        iteration=iteration,
    )


# --- one node ------------------------------------------------------------------------


@dataclass
class NodeResult:
    text: str
    output: Any
    data: dict[str, Any]


@job_handler(NODE_JOB)
async def run_node(job: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    context = Context.for_job(job)
    run_id, node_id = payload["run_id"], payload["node_id"]
    # The job's ID and attempt: a worker that takes over a job whose lease lapsed runs
    # the same job at a later attempt, and must fence off the one it replaced.
    lease = f"{job.job_id}:{job.attempt}"
    try:
        async with context.session() as session:
            run = await session.get(WorkflowRun, run_id, populate_existing=True)
            rows = await _node_rows(session, run_id) if run else {}
            row = rows.get(node_id)
            if run is None or row is None:
                return {"status": "DELETED"}
            if row.status not in (NodeStatus.QUEUED, NodeStatus.RUNNING):
                return {"status": row.status}  # already done: never run twice
            if run.status is not RunStatus.RUNNING:
                await _move(session, row, row.status, status=NodeStatus.CANCELLED)
                await context.commit()
                return {"status": NodeStatus.CANCELLED.value}
            taken = await session.execute(
                update(WorkflowNodeRun)
                .where(
                    WorkflowNodeRun.id == row.id,
                    WorkflowNodeRun.status == row.status,
                    # fenced: whoever held it before is the one we saw (or nobody)
                    WorkflowNodeRun.lease.is_(None)
                    if row.lease is None
                    else WorkflowNodeRun.lease == row.lease,
                )
                .values(
                    status=NodeStatus.RUNNING,
                    lease=lease,
                    attempts=row.attempts + 1,
                    started_at=datetime.now(UTC),
                    updated_at=datetime.now(UTC),
                    error=None,
                )
            )
            if not taken.rowcount:  # type: ignore[attr-defined]
                return {"status": "SUPERSEDED"}  # another worker took it meanwhile
            node = _definition(run).node(node_id)
            await events.emit(
                context,
                session,
                run,
                events.NODE_STARTED,
                node_id=node_id,
                kind=node.kind.value,
                attempt=row.attempts + 1,
            )
        await context.commit()
        outcome: NodeResult | Exception
        try:
            outcome = await _watched(context, run, _work(context, run, node, rows))
        except RunStopped as stopped:
            outcome = stopped
        except (NodeFailed, ProviderError) as error:
            if isinstance(error, ProviderError) and error.retryable and not job.last_attempt:
                await _release(context, run, node_id, lease)
                raise  # the job system retries it with backoff
            outcome = error
        return await _finish(context, run, node, lease, outcome)
    finally:
        await context.close()


async def _release(context: Context, run: WorkflowRun, node_id: str, lease: str) -> None:
    async with context.session() as session:
        await session.execute(
            update(WorkflowNodeRun)
            .where(
                WorkflowNodeRun.run_id == run.id,
                WorkflowNodeRun.node_id == node_id,
                WorkflowNodeRun.lease == lease,
            )
            .values(status=NodeStatus.QUEUED)
        )
    await context.commit()


async def _finish(
    context: Context, run: WorkflowRun, node: Node, lease: str, outcome: NodeResult | Exception
) -> dict[str, Any]:
    now = datetime.now(UTC)
    limit = context.settings.workflow_output_limit
    async with context.session() as session:
        query = select(WorkflowRun).where(WorkflowRun.id == run.id)
        if not context.db.is_sqlite:
            query = query.with_for_update()  # as advance_run: one planner per run at a time
        run = await session.scalar(query.execution_options(populate_existing=True)) or run
        mine = (WorkflowNodeRun.run_id == run.id) & (WorkflowNodeRun.node_id == node.id)
        mine = (
            mine & (WorkflowNodeRun.lease == lease) & (WorkflowNodeRun.status == NodeStatus.RUNNING)
        )
        if isinstance(outcome, NodeResult):
            status, values = (
                NodeStatus.COMPLETED,
                {
                    "output": outcome.output,
                    "output_text": outcome.text[:limit],
                },
            )
            if node.kind is NodeKind.APPROVAL:  # a rework round: ask again
                status, values = NodeStatus.WAITING_APPROVAL, {"output_text": outcome.text[:limit]}
        elif isinstance(outcome, RunStopped):
            status, values = NodeStatus.CANCELLED, {"error": str(outcome)}
        else:
            status, values = NodeStatus.FAILED, {"error": str(outcome)[:4000]}
        result = await session.execute(
            update(WorkflowNodeRun)
            .where(mine)
            .values(status=status, finished_at=now, updated_at=now, lease=None, **values)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return {"status": "SUPERSEDED"}  # another worker took this node over
        if status is NodeStatus.WAITING_APPROVAL:
            assert node.approval is not None and isinstance(outcome, NodeResult)
            await events.emit(
                context,
                session,
                run,
                events.APPROVAL_REQUESTED,
                node_id=node.id,
                message=node.approval.message,
                revision=outcome.text[:2000],
            )
        else:
            kind = {
                NodeStatus.COMPLETED: events.NODE_COMPLETED,
                NodeStatus.CANCELLED: events.NODE_CANCELLED,
                NodeStatus.FAILED: events.NODE_FAILED,
            }[status]
            data = outcome.data if isinstance(outcome, NodeResult) else {"error": str(outcome)}
            await events.emit(context, session, run, kind, node_id=node.id, **data)
        if run.status is RunStatus.RUNNING:
            # plan the next step in this transaction: no advance job to claim in between
            await advance(context, session, run)
    await context.commit()
    return {"status": status.value}


async def _watched(context: Context, run: WorkflowRun, work: Awaitable[NodeResult]) -> NodeResult:
    """Run ``work``, cancelling it if the run stops being RUNNING meanwhile."""
    task = asyncio.ensure_future(work)
    poll = context.settings.workflow_cancel_poll_seconds
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=poll)
            if done:
                return task.result()
            async with context.db.sessionmaker() as session:
                status = await session.scalar(
                    select(WorkflowRun.status).where(WorkflowRun.id == run.id)
                )
            if status is not RunStatus.RUNNING:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                raise RunStopped(f"Run {str(status.value).lower() if status else 'deleted'}")
    finally:
        if not task.done():
            task.cancel()


async def _work(
    context: Context,
    run: WorkflowRun,
    node: Node,
    rows: dict[str, WorkflowNodeRun],
) -> NodeResult:
    row = rows[node.id]
    if node.kind is NodeKind.PROMPT:
        assert node.prompt is not None
        return await _prompt(context, run, node, _render(node.prompt, run, rows))
    if node.kind is NodeKind.COMMAND:
        assert node.command is not None
        return await _prompt(context, run, node, await _command(context, run, node.command, rows))
    if node.kind is NodeKind.BASH:
        assert node.bash is not None
        return await _bash(context, run, node, _render(node.bash, run, rows))
    if node.kind is NodeKind.LOOP:
        return await _loop(context, run, node, rows, row.iteration)
    if node.kind is NodeKind.APPROVAL:  # a rejected gate's rework prompt
        assert node.approval is not None and node.approval.on_reject_prompt is not None
        prompt = _render(
            node.approval.on_reject_prompt,
            run,
            rows,
            extra={"REJECTION_REASON": row.rework_reason or ""},
        )
        return await _prompt(context, run, node, prompt)
    raise PermanentJobError(f"node kind {node.kind} is not run by a job")


async def _command(
    context: Context,
    run: WorkflowRun,
    name: str,
    rows: dict[str, WorkflowNodeRun],
    iteration: int | None = None,
) -> str:
    async with context.db.sessionmaker() as session:
        command = await find_command(session, run.organization_id, name)
    if command is None:
        raise NodeFailed(f"Command '{name}' no longer exists")
    return _render(command.template, run, rows, iteration)


async def _loop(
    context: Context, run: WorkflowRun, node: Node, rows: dict[str, WorkflowNodeRun], done: int
) -> NodeResult:
    loop = node.loop
    assert loop is not None
    result: NodeResult | None = None
    for iteration in range(done + 1, loop.max_iterations + 1):
        if loop.prompt is not None:
            prompt = _render(loop.prompt, run, rows, iteration)
        else:
            assert loop.command is not None
            prompt = await _command(context, run, loop.command, rows, iteration)
        result = await _prompt(context, run, node, prompt)
        finished = loop_done(
            loop, result.output, result.text, outputs=_outputs(rows), inputs=run.inputs
        )
        async with context.session() as session:
            await session.execute(
                update(WorkflowNodeRun)
                .where(WorkflowNodeRun.run_id == run.id, WorkflowNodeRun.node_id == node.id)
                .values(iteration=iteration, output=result.output, output_text=result.text)
            )
            await events.emit(
                context,
                session,
                run,
                events.LOOP_ITERATION,
                node_id=node.id,
                iteration=iteration,
                done=finished,
                output=result.text[:2000],
            )
        await context.commit()
        if finished:
            return NodeResult(result.text, result.output, {"iterations": iteration, "until": True})
    if result is None:  # resumed after its last iteration had already run
        row = rows[node.id]
        return NodeResult(row.output_text or "", row.output, {"iterations": done})
    return NodeResult(
        result.text,
        result.output,
        {"iterations": loop.max_iterations, "until": False, "reason": "max_iterations"},
    )


async def _publish(context: Context, run: WorkflowRun, node_id: str, chunk: str) -> None:
    """A piece of output for listeners now (ephemeral: the node row keeps the whole)."""
    bus = getattr(context.services, "bus", None)
    if bus is None:
        return
    payload = {
        "run_id": run.id,
        "workflow_name": run.workflow_name,
        "status": RunStatus.RUNNING.value,
        "node_id": node_id,
        "delta": chunk,
    }
    for topic in (events.run_topic(run.id), events.dashboard_topic(run.organization_id)):
        await bus.publish(
            Event(
                type=events.NODE_OUTPUT,
                topic=topic,
                payload=payload,
                organization_id=run.organization_id,
            )
        )


async def _agent(context: Context, run: WorkflowRun) -> Agent | None:
    async with context.db.sessionmaker() as session:
        if run.thread_id is not None:
            thread = await session.get(Thread, run.thread_id)
            if thread is not None and thread.agent_id is not None:
                agent = await session.get(Agent, thread.agent_id)
                if agent is not None:
                    return agent
        return await default_assistant(session, run.organization_id)


async def _prompt(context: Context, run: WorkflowRun, node: Node, prompt: str) -> NodeResult:
    """Ask the run's agent (the thread's, else the organization's assistant), streaming."""
    agent = await _agent(context, run)
    if agent is None:
        raise NodeFailed("No agent to answer: the organization has no default assistant")
    provider = create_provider(provider_config(agent, context.settings))
    messages = []
    if agent.system_prompt:
        messages.append(ChatMessage("system", agent.system_prompt))
    messages.append(ChatMessage("user", prompt))
    parts: list[str] = []
    timeout = node.timeout_seconds or context.settings.workflow_node_timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            async for item in provider.stream(messages):
                if isinstance(item, Delta) and item.text:
                    parts.append(item.text)
                    await _publish(context, run, node.id, item.text)
    except TimeoutError:
        raise NodeFailed(f"The model did not finish within {timeout:g} s") from None
    text = "".join(parts)
    return NodeResult(text, parse_output(text), {"chars": len(text)})


async def _workdir(context: Context, run: WorkflowRun) -> str:
    """The run's worktree if it has one, else a scratch folder of its own."""
    worktree = None
    if run.environment_id is not None:
        async with context.db.sessionmaker() as session:
            environment = await session.get(Environment, run.environment_id)
        worktree = environment.path if environment is not None else None
    scratch = run_workdir(context.settings, run.id)
    return await asyncio.to_thread(_existing_or_created, worktree, scratch)


def _existing_or_created(worktree: str | None, scratch: Path) -> str:
    if worktree is not None and Path(worktree).is_dir():
        return worktree
    scratch.mkdir(parents=True, exist_ok=True)
    return str(scratch)


async def _bash(context: Context, run: WorkflowRun, node: Node, script: str) -> NodeResult:
    if not context.settings.workflow_bash_enabled:
        raise NodeFailed("bash nodes are turned off on this server (ATRIUM_WORKFLOW_BASH)")
    cwd = await _workdir(context, run)
    timeout = node.timeout_seconds or context.settings.workflow_node_timeout_seconds
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": cwd,
        "LANG": "C.UTF-8",
        "ARGUMENTS": run.message,
        "WORKFLOW_RUN_ID": run.id,
    }
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        script,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own process group, so a cancel kills its children too
    )
    limit = context.settings.workflow_output_limit
    chunks: list[bytes] = []
    size = 0

    async def read() -> None:
        nonlocal size
        assert process.stdout is not None
        while chunk := await process.stdout.read(65536):
            if size < limit:
                chunks.append(chunk)
                size += len(chunk)
                await _publish(context, run, node.id, chunk.decode(errors="replace"))

    try:
        async with asyncio.timeout(timeout):
            await read()
            code = await process.wait()
    except TimeoutError:
        _kill(process)
        raise NodeFailed(f"Timed out after {timeout:g} s") from None
    except BaseException:
        _kill(process)
        raise
    text = b"".join(chunks).decode(errors="replace")[:limit]
    if code != 0:
        tail = text[-1000:]
        raise NodeFailed(f"Exited with code {code}: {tail}")
    return NodeResult(text, parse_output(text), {"exit_code": code})


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
