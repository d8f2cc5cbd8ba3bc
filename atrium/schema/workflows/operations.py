"""Workflow queries and mutations: definitions, commands, runs and their lifecycle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON

from atrium.core.context import Context
from atrium.core.errors import NotFound
from atrium.core.policy import Action
from atrium.models import workflows as models
from atrium.resolvers.access import default_organization, readable_organization, require
from atrium.resolvers.loading import visible_org_ids
from atrium.resolvers.workflows import definitions, execution, loaders, runs
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    UserError,
    run_mutation,
    statement_connection,
)
from atrium.schema.workflows.types import (
    WorkflowCommand,
    WorkflowDefinition,
    WorkflowProblem,
    WorkflowRun,
    WorkflowRunStatusCount,
    WorkflowValidation,
)

_ = execution  # importing it registers the workflow job handlers


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


OrgArg = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="Organization; the credential's only one when omitted."),
]


def _org(info: AtriumInfo, organization_id: str | None) -> str:
    return readable_organization(info.context, organization_id)


def _runs_statement(
    info: AtriumInfo,
    organization_id: str | None,
    statuses: list[models.RunStatus] | None,
    workflow_name: str | None,
    thread_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Any:
    info.context.principal.require_authenticated()
    run = models.WorkflowRun
    stmt = select(run).where(run.organization_id.in_(visible_org_ids(info.context)))
    if organization_id is not None:
        stmt = stmt.where(run.organization_id == organization_id)
    if statuses:
        stmt = stmt.where(run.status.in_(statuses))
    if workflow_name is not None:
        stmt = stmt.where(run.workflow_name == workflow_name)
    if thread_id is not None:
        stmt = stmt.where(run.thread_id == thread_id)
    if since is not None:
        stmt = stmt.where(run.created_at >= since)
    if until is not None:
        stmt = stmt.where(run.created_at < until)
    return stmt


@strawberry.type(description="Runs at a glance: counts per status and the runs themselves.")
class WorkflowDashboard:
    counts: list[WorkflowRunStatusCount] = strawberry.field(
        description="Runs per status (every status, zero included), within the filters' dates."
    )
    total: int = strawberry.field(description="Runs within the filters' dates.")
    runs: Connection[WorkflowRun] = strawberry.field(description="The runs, newest first.")


@strawberry.type
class WorkflowQuery:
    @strawberry.field(description="Workflows you can run: bundled and your organization's.")
    async def workflows(
        self, info: AtriumInfo, organization_id: OrgArg = None
    ) -> list[WorkflowDefinition]:
        org = _org(info, organization_id)
        async with info.context.session() as session:
            found = await definitions.list_definitions(session, org)
        return [WorkflowDefinition.of(d) for d in found]

    @strawberry.field(description="One workflow by name (the organization's shadows bundled).")
    async def workflow(
        self,
        info: AtriumInfo,
        name: Annotated[str, _arg("Its name.")],
        organization_id: OrgArg = None,
    ) -> WorkflowDefinition:
        org = _org(info, organization_id)
        async with info.context.session() as session:
            found = await definitions.find_definition(session, org, name)
        if found is None:
            raise NotFound("Workflow", name)
        return WorkflowDefinition.of(found)

    @strawberry.field(description="Check a definition without saving it: every problem found.")
    def validate_workflow(
        self,
        info: AtriumInfo,
        definition: Annotated[JSON | None, _arg("The definition as JSON.")] = None,
        yaml: Annotated[str | None, _arg("Or as YAML text.")] = None,
    ) -> WorkflowValidation:
        info.context.principal.require_authenticated()
        parsed, problems = definitions.parse_source(definition, yaml)  # type: ignore[arg-type]
        return WorkflowValidation(
            valid=parsed is not None, problems=[WorkflowProblem.of(p) for p in problems]
        )

    @strawberry.field(description="Commands (`command:` nodes): bundled and your organization's.")
    async def workflow_commands(
        self, info: AtriumInfo, organization_id: OrgArg = None
    ) -> list[WorkflowCommand]:
        org = _org(info, organization_id)
        async with info.context.session() as session:
            found = await definitions.list_commands(session, org)
        return [WorkflowCommand.of(c) for c in found]

    @strawberry.field(description="A workflow run by ID.")
    async def workflow_run(
        self, info: AtriumInfo, id: Annotated[strawberry.ID, _arg("The run.")]
    ) -> WorkflowRun:
        info.context.principal.require_authenticated()
        row = await info.context.loaders.get(loaders.runs_by_id).load(id)
        if row is None:
            raise NotFound("WorkflowRun", id)
        return WorkflowRun.from_model(row)

    @strawberry.field(description="The latest run in a thread (Archon's run by worker).")
    async def latest_workflow_run(
        self, info: AtriumInfo, thread_id: Annotated[strawberry.ID, _arg("The thread.")]
    ) -> WorkflowRun:
        stmt = _runs_statement(info, None, None, None, thread_id, None, None)
        async with info.context.session() as session:
            row = await session.scalar(stmt.order_by(models.WorkflowRun.id.desc()).limit(1))
        if row is None:
            raise NotFound("WorkflowRun", thread_id)
        return WorkflowRun.from_model(row)

    @strawberry.field(description="Workflow runs, newest first.")
    async def workflow_runs(
        self,
        info: AtriumInfo,
        organization_id: Annotated[strawberry.ID | None, _arg("Only this organization.")] = None,
        statuses: Annotated[list[models.RunStatus] | None, _arg("Only these statuses.")] = None,
        workflow_name: Annotated[str | None, _arg("Only runs of this workflow.")] = None,
        thread_id: Annotated[strawberry.ID | None, _arg("Only runs in this thread.")] = None,
        since: Annotated[datetime | None, _arg("Started at or after.")] = None,
        until: Annotated[datetime | None, _arg("Started before.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[WorkflowRun]:
        stmt = _runs_statement(
            info, organization_id, statuses, workflow_name, thread_id, since, until
        )
        return await statement_connection(
            info,
            stmt,
            models.WorkflowRun.id,
            WorkflowRun.from_model,
            first,
            after,
            last,
            before,
            descending=True,
        )

    @strawberry.field(description="The runs dashboard: counts per status and the runs.")
    async def workflow_dashboard(
        self,
        info: AtriumInfo,
        organization_id: OrgArg = None,
        statuses: Annotated[list[models.RunStatus] | None, _arg("Only these statuses.")] = None,
        since: Annotated[datetime | None, _arg("Started at or after.")] = None,
        until: Annotated[datetime | None, _arg("Started before.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> WorkflowDashboard:
        org = _org(info, organization_id)
        dated = _runs_statement(info, org, None, None, None, since, until).subquery()
        async with info.context.session() as session:
            rows = await session.execute(
                select(dated.c.status, func.count()).group_by(dated.c.status)
            )
            by_status = {models.RunStatus(s): int(n) for s, n in rows.all()}
        runs = await statement_connection(
            info,
            _runs_statement(info, org, statuses, None, None, since, until),
            models.WorkflowRun.id,
            WorkflowRun.from_model,
            first,
            after,
            last,
            before,
            descending=True,
        )
        return WorkflowDashboard(
            counts=[
                WorkflowRunStatusCount(status=s, count=by_status.get(s, 0))
                for s in models.RunStatus
            ],
            total=sum(by_status.values()),
            runs=runs,
        )


# --- mutations -----------------------------------------------------------------------


@strawberry.input(description="Save (create or replace) an organization's workflow.")
class SaveWorkflowInput:
    name: str = strawberry.field(description="Its name; must match the definition's.")
    definition: JSON | None = strawberry.field(default=None, description="As JSON.")
    yaml: str | None = strawberry.field(default=None, description="Or as YAML text.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Organization; the credential's only one when omitted."
    )


@strawberry.input(description="An organization's workflow or command, by name.")
class WorkflowNameInput:
    name: str = strawberry.field(description="Its name.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Organization; the credential's only one when omitted."
    )


@strawberry.input(description="Save (create or replace) a command.")
class SaveWorkflowCommandInput:
    name: str = strawberry.field(description="Its name.")
    template: str = strawberry.field(description="The prompt template.")
    description: str = strawberry.field(default="", description="What it is for.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Organization; the credential's only one when omitted."
    )


@strawberry.input(description="Start a run of a workflow.")
class RunWorkflowInput:
    workflow_name: str = strawberry.field(description="The workflow.")
    message: str = strawberry.field(default="", description="What to do (`$ARGUMENTS`).")
    inputs: JSON | None = strawberry.field(default=None, description="Named inputs.")
    thread_id: strawberry.ID | None = strawberry.field(
        default=None, description="The thread (conversation) it belongs to; its agent answers."
    )
    repository_id: strawberry.ID | None = strawberry.field(
        default=None, description="Run in a fresh worktree of this repository."
    )
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Organization; the credential's only one when omitted."
    )


@strawberry.input(description="A run, by ID.")
class WorkflowRunIdInput:
    run_id: strawberry.ID = strawberry.field(description="The run.")


@strawberry.input(description="Approve a paused run's gate.")
class ApproveWorkflowRunInput:
    run_id: strawberry.ID = strawberry.field(description="The run.")
    comment: str | None = strawberry.field(default=None, description="A comment.")
    node_id: str | None = strawberry.field(default=None, description="The gate, if several wait.")


@strawberry.input(description="Reject a paused run's gate.")
class RejectWorkflowRunInput:
    run_id: strawberry.ID = strawberry.field(description="The run.")
    reason: str | None = strawberry.field(default=None, description="Why.")
    node_id: str | None = strawberry.field(default=None, description="The gate, if several wait.")


@strawberry.type(description="Result of saving or deleting a workflow.")
class WorkflowPayload:
    workflow: WorkflowDefinition | None = strawberry.field(description="The workflow.")
    deleted_name: str | None = strawberry.field(description="Set when deleted.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of saving or deleting a command.")
class WorkflowCommandPayload:
    command: WorkflowCommand | None = strawberry.field(description="The command.")
    deleted_name: str | None = strawberry.field(description="Set when deleted.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of starting or steering a run.")
class WorkflowRunPayload:
    run: WorkflowRun | None = strawberry.field(description="The run, as it is now.")
    deleted_id: strawberry.ID | None = strawberry.field(description="Set when deleted.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


RunAction = Callable[[Context, AsyncSession], Awaitable[models.WorkflowRun]]


async def _run_payload(info: AtriumInfo, action: RunAction) -> WorkflowRunPayload:
    row, errors = await run_mutation(info, action)
    return WorkflowRunPayload(
        run=WorkflowRun.from_model(row) if row else None, deleted_id=None, user_errors=errors
    )


@strawberry.type
class WorkflowMutation:
    @strawberry.mutation(description="Save an organization's workflow (validated first).")
    async def save_workflow(self, info: AtriumInfo, input: SaveWorkflowInput) -> WorkflowPayload:
        async def action(context: Context, session: AsyncSession) -> Any:
            org = default_organization(context, input.organization_id)
            return await definitions.save_definition(
                context,
                session,
                org,
                input.name,
                definition=cast("dict[str, Any] | None", input.definition),
                yaml=input.yaml,
            )

        stored, errors = await run_mutation(info, action)
        return WorkflowPayload(
            workflow=WorkflowDefinition.of(stored) if stored else None,
            deleted_name=None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Delete an organization's workflow (never a bundled one).")
    async def delete_workflow(self, info: AtriumInfo, input: WorkflowNameInput) -> WorkflowPayload:
        async def action(context: Context, session: AsyncSession) -> str:
            org = default_organization(context, input.organization_id)
            return await definitions.delete_definition(context, session, org, input.name)

        name, errors = await run_mutation(info, action)
        return WorkflowPayload(workflow=None, deleted_name=name, user_errors=errors)

    @strawberry.mutation(description="Save an organization's command.")
    async def save_workflow_command(
        self, info: AtriumInfo, input: SaveWorkflowCommandInput
    ) -> WorkflowCommandPayload:
        async def action(context: Context, session: AsyncSession) -> Any:
            org = default_organization(context, input.organization_id)
            return await definitions.save_command(
                context, session, org, input.name, input.template, input.description
            )

        command, errors = await run_mutation(info, action)
        return WorkflowCommandPayload(
            command=WorkflowCommand.of(command) if command else None,
            deleted_name=None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Delete an organization's command.")
    async def delete_workflow_command(
        self, info: AtriumInfo, input: WorkflowNameInput
    ) -> WorkflowCommandPayload:
        async def action(context: Context, session: AsyncSession) -> str:
            org = default_organization(context, input.organization_id)
            return await definitions.delete_command(context, session, org, input.name)

        name, errors = await run_mutation(info, action)
        return WorkflowCommandPayload(command=None, deleted_name=name, user_errors=errors)

    @strawberry.mutation(description="Start a run; it proceeds as durable jobs.")
    async def run_workflow(self, info: AtriumInfo, input: RunWorkflowInput) -> WorkflowRunPayload:
        async def action(context: Context, session: AsyncSession) -> models.WorkflowRun:
            org = default_organization(context, input.organization_id)
            require(context, org, Action.WRITE, field=("organizationId",))
            return await runs.start_run(
                context,
                session,
                organization_id=org,
                workflow_name=input.workflow_name,
                message=input.message,
                inputs=cast("dict[str, Any]", input.inputs or {}),
                thread_id=input.thread_id,
                repository_id=input.repository_id,
            )

        return await _run_payload(info, action)

    @strawberry.mutation(description="Cancel a pending, running or paused run.")
    async def cancel_workflow_run(
        self, info: AtriumInfo, input: WorkflowRunIdInput
    ) -> WorkflowRunPayload:
        return await _run_payload(info, lambda c, s: runs.cancel_run(c, s, input.run_id))

    @strawberry.mutation(description="Resume a failed or paused run; completed nodes are kept.")
    async def resume_workflow_run(
        self, info: AtriumInfo, input: WorkflowRunIdInput
    ) -> WorkflowRunPayload:
        return await _run_payload(info, lambda c, s: runs.resume_run(c, s, input.run_id))

    @strawberry.mutation(description="Give up a running, paused or failed run (kept, cancelled).")
    async def abandon_workflow_run(
        self, info: AtriumInfo, input: WorkflowRunIdInput
    ) -> WorkflowRunPayload:
        return await _run_payload(
            info, lambda c, s: runs.cancel_run(c, s, input.run_id, abandon=True)
        )

    @strawberry.mutation(description="Approve a paused run's gate; the run continues.")
    async def approve_workflow_run(
        self, info: AtriumInfo, input: ApproveWorkflowRunInput
    ) -> WorkflowRunPayload:
        return await _run_payload(
            info,
            lambda c, s: runs.approve_run(
                c, s, input.run_id, comment=input.comment, node_id=input.node_id
            ),
        )

    @strawberry.mutation(
        description="Reject a paused run's gate: its rework prompt runs, or the run is cancelled."
    )
    async def reject_workflow_run(
        self, info: AtriumInfo, input: RejectWorkflowRunInput
    ) -> WorkflowRunPayload:
        return await _run_payload(
            info,
            lambda c, s: runs.reject_run(
                c, s, input.run_id, reason=input.reason, node_id=input.node_id
            ),
        )

    @strawberry.mutation(description="Delete a finished run and its events.")
    async def delete_workflow_run(
        self, info: AtriumInfo, input: WorkflowRunIdInput
    ) -> WorkflowRunPayload:
        deleted, errors = await run_mutation(info, lambda c, s: runs.delete_run(c, s, input.run_id))
        return WorkflowRunPayload(
            run=None,
            deleted_id=strawberry.ID(deleted) if deleted else None,
            user_errors=errors,
        )


NODE_TYPES: dict[str, tuple[Any, Any]] = {
    "run": (loaders.runs_by_id, WorkflowRun.from_model),
}
