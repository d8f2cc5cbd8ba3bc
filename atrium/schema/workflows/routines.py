"""Routines in the graph: scheduled or event-triggered agent prompts and workflow runs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from sqlalchemy import select
from strawberry.scalars import JSON

from atrium.core.context import Context
from atrium.core.pagination import ConnectionArgs
from atrium.models import workflows as models
from atrium.resolvers.access import default_organization
from atrium.resolvers.loading import org_scoped, visible_org_ids
from atrium.resolvers.workflows import loaders
from atrium.resolvers.workflows import routines as service
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    Node,
    UserError,
    run_mutation,
    statement_connection,
)

strawberry.enum(
    models.RoutineTrigger, name="RoutineTrigger", description="SCHEDULE (cron) or EVENT."
)
strawberry.enum(
    models.RoutineAction,
    name="RoutineAction",
    description="AGENT_PROMPT (a new thread with the agent) or WORKFLOW (a run).",
)
strawberry.enum(models.RoutineStatus, name="RoutineStatus", description="ACTIVE or PAUSED.")

routines_by_id = org_scoped(models.Routine)


@strawberry.type(description="One firing of a routine.")
class RoutineFiring:
    slot: str = strawberry.field(description="The scheduled time or the event's ID.")
    status: str = strawberry.field(description="STARTED or FAILED.")
    run_id: strawberry.ID | None = strawberry.field(description="The workflow run started.")
    thread_id: strawberry.ID | None = strawberry.field(description="The thread started.")
    error: str | None = strawberry.field(description="Why it failed.")
    fired_at: datetime = strawberry.field(description="When.")


@strawberry.type(description="An agent prompt or a workflow run, on a schedule or an event.")
class Routine(Node):
    name: str = strawberry.field(description="Name.")
    description: str = strawberry.field(description="What it is for.")
    trigger: models.RoutineTrigger = strawberry.field(description="SCHEDULE or EVENT.")
    schedule: str | None = strawberry.field(description="Cron expression (SCHEDULE).")
    timezone: str = strawberry.field(description="Time zone of the schedule.")
    event_type: str | None = strawberry.field(description="Event type (EVENT).")
    action: models.RoutineAction = strawberry.field(description="What it does.")
    agent_id: strawberry.ID | None = strawberry.field(description="The agent (AGENT_PROMPT).")
    prompt: str | None = strawberry.field(description="The prompt or the run's message.")
    workflow_name: str | None = strawberry.field(description="The workflow (WORKFLOW).")
    inputs: JSON = strawberry.field(description="The run's inputs.")
    status: models.RoutineStatus = strawberry.field(description="ACTIVE or PAUSED.")
    next_run_at: datetime | None = strawberry.field(description="Next scheduled firing.")
    last_fired_at: datetime | None = strawberry.field(description="Last firing.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_model(cls, row: models.Routine) -> Routine:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            description=row.description,
            trigger=row.trigger,
            schedule=row.schedule,
            timezone=row.timezone,
            event_type=row.event_type,
            action=row.action,
            agent_id=strawberry.ID(row.agent_id) if row.agent_id else None,
            prompt=row.prompt,
            workflow_name=row.workflow_name,
            inputs=cast("JSON", row.inputs),
            status=row.status,
            next_run_at=row.next_run_at,
            last_fired_at=row.last_fired_at,
            created_at=row.created_at,
        )

    @strawberry.field(description="Its latest firings, newest first.")
    async def firings(
        self,
        info: AtriumInfo,
        limit: Annotated[int, strawberry.argument(description="At most this many.")] = 20,
    ) -> list[RoutineFiring]:
        args = ConnectionArgs.of(first=max(1, min(limit, 100)), descending=True)
        page = await info.context.loaders.get(loaders.firings_by_routine).load((self.id, args))
        rows = page.rows  # newest first: IDs are time-ordered (ULIDs)
        return [
            RoutineFiring(
                slot=r.slot,
                status=r.status,
                run_id=strawberry.ID(r.run_id) if r.run_id else None,
                thread_id=strawberry.ID(r.thread_id) if r.thread_id else None,
                error=r.error,
                fired_at=r.fired_at,
            )
            for r in rows
        ]


@strawberry.type
class RoutineQuery:
    @strawberry.field(description="Routines of your organizations, oldest first.")
    async def routines(
        self,
        info: AtriumInfo,
        organization_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this organization.")
        ] = None,
        agent_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this agent's.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Routine]:
        info.context.principal.require_authenticated()
        model = models.Routine
        stmt = select(model).where(model.organization_id.in_(visible_org_ids(info.context)))
        if organization_id is not None:
            stmt = stmt.where(model.organization_id == organization_id)
        if agent_id is not None:
            stmt = stmt.where(model.agent_id == agent_id)
        return await statement_connection(
            info, stmt, model.id, Routine.from_model, first, after, last, before
        )


@strawberry.input(description="A new routine.")
class CreateRoutineInput:
    name: str = strawberry.field(description="Name.")
    trigger: models.RoutineTrigger = strawberry.field(description="SCHEDULE or EVENT.")
    action: models.RoutineAction = strawberry.field(description="What it does.")
    schedule: str | None = strawberry.field(default=None, description="Cron, e.g. `0 9 * * 1`.")
    timezone: str | None = strawberry.field(default=None, description="Time zone (UTC).")
    event_type: str | None = strawberry.field(
        default=None, description="Event type, e.g. `thread.created`."
    )
    agent_id: strawberry.ID | None = strawberry.field(default=None, description="The agent.")
    prompt: str | None = strawberry.field(default=None, description="Prompt or run message.")
    workflow_name: str | None = strawberry.field(default=None, description="The workflow.")
    inputs: JSON | None = strawberry.field(default=None, description="The run's inputs.")
    description: str | None = strawberry.field(default=None, description="What it is for.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Organization; the credential's only one when omitted."
    )


@strawberry.input(description="Changes to a routine; omitted fields stay.")
class UpdateRoutineInput:
    id: strawberry.ID = strawberry.field(description="The routine.")
    name: str | None = strawberry.field(default=None, description="Name.")
    trigger: models.RoutineTrigger | None = strawberry.field(default=None, description="Trigger.")
    action: models.RoutineAction | None = strawberry.field(default=None, description="Action.")
    schedule: str | None = strawberry.field(default=None, description="Cron expression.")
    timezone: str | None = strawberry.field(default=None, description="Time zone.")
    event_type: str | None = strawberry.field(default=None, description="Event type.")
    agent_id: strawberry.ID | None = strawberry.field(default=None, description="The agent.")
    prompt: str | None = strawberry.field(default=None, description="Prompt or run message.")
    workflow_name: str | None = strawberry.field(default=None, description="The workflow.")
    inputs: JSON | None = strawberry.field(default=None, description="The run's inputs.")
    description: str | None = strawberry.field(default=None, description="What it is for.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="If given, the routine must belong to it (else NOT_FOUND)."
    )


@strawberry.input(description="A routine, by ID.")
class RoutineIdInput:
    id: strawberry.ID = strawberry.field(description="The routine.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="If given, the routine must belong to it (else NOT_FOUND)."
    )


@strawberry.type(description="Result of changing a routine.")
class RoutinePayload:
    routine: Routine | None = strawberry.field(description="The routine.")
    deleted_id: strawberry.ID | None = strawberry.field(description="Set when deleted.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


_FIELDS = (
    "name",
    "trigger",
    "action",
    "schedule",
    "timezone",
    "event_type",
    "agent_id",
    "prompt",
    "workflow_name",
    "inputs",
    "description",
)


def _values(input: Any) -> dict[str, Any]:
    return {name: getattr(input, name) for name in _FIELDS}


async def _payload(info: AtriumInfo, action: Any) -> RoutinePayload:
    row, errors = await run_mutation(info, action)
    return RoutinePayload(
        routine=Routine.from_model(row) if row else None, deleted_id=None, user_errors=errors
    )


@strawberry.type
class RoutineMutation:
    @strawberry.mutation(description="Create a routine; it is active at once.")
    async def create_routine(self, info: AtriumInfo, input: CreateRoutineInput) -> RoutinePayload:
        async def action(context: Context, session: Any) -> models.Routine:
            org = default_organization(context, input.organization_id)
            return await service.create_routine(context, session, org, _values(input))

        return await _payload(info, action)

    @strawberry.mutation(description="Change a routine.")
    async def update_routine(self, info: AtriumInfo, input: UpdateRoutineInput) -> RoutinePayload:
        return await _payload(
            info,
            lambda c, s: service.update_routine(
                c, s, input.id, _values(input), organization_id=input.organization_id
            ),
        )

    @strawberry.mutation(description="Activate a paused routine.")
    async def activate_routine(self, info: AtriumInfo, input: RoutineIdInput) -> RoutinePayload:
        return await _payload(
            info,
            lambda c, s: service.set_routine_status(
                c, s, input.id, models.RoutineStatus.ACTIVE, organization_id=input.organization_id
            ),
        )

    @strawberry.mutation(description="Pause a routine: it stops firing until activated.")
    async def pause_routine(self, info: AtriumInfo, input: RoutineIdInput) -> RoutinePayload:
        return await _payload(
            info,
            lambda c, s: service.set_routine_status(
                c, s, input.id, models.RoutineStatus.PAUSED, organization_id=input.organization_id
            ),
        )

    @strawberry.mutation(description="Delete a routine and its firings.")
    async def delete_routine(self, info: AtriumInfo, input: RoutineIdInput) -> RoutinePayload:
        deleted, errors = await run_mutation(
            info,
            lambda c, s: service.delete_routine(
                c, s, input.id, organization_id=input.organization_id
            ),
        )
        return RoutinePayload(
            routine=None,
            deleted_id=strawberry.ID(deleted) if deleted else None,
            user_errors=errors,
        )


NODE_TYPES: dict[str, tuple[Any, Any]] = {"rtn": (routines_by_id, Routine.from_model)}
