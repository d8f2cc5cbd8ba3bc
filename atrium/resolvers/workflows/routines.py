"""Routines (ArchAstro): an agent prompt or a workflow run, on a schedule or an event.

* **Schedules** are cron expressions (croniter) in the routine's time zone. The
  periodic ``routine.tick`` job fires every routine whose ``next_run_at`` has come; it
  moves ``next_run_at`` with a compare-and-set, and each firing's slot (the scheduled
  time) is unique per routine, so however many workers tick, a slot fires once.
* **Events**: an event hook (run in the transaction that records the event) enqueues a
  ``routine.fire`` job for each active routine listening to that event type in the
  organization; the event ID is the slot, so a retried job fires once.

A firing acts as the routine's creator, with the role they have *now* in the
organization (someone who has left cannot keep running things there), and is recorded
with what it started or why it failed.
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.auth import CredentialKind, Principal
from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.jobs import JobContext, job_handler, periodic_job
from atrium.core.policy import Action, Scope
from atrium.core.pubsub import Event
from atrium.engines import cron
from atrium.models.agents import Agent
from atrium.models.identity import Membership
from atrium.models.workflows import (
    Routine,
    RoutineAction,
    RoutineFiring,
    RoutineStatus,
    RoutineTrigger,
)
from atrium.resolvers.access import get_for_action, not_found, require
from atrium.resolvers.threads.messages import post_message
from atrium.resolvers.threads.threads import create_thread
from atrium.resolvers.workflows.definitions import find_definition
from atrium.resolvers.workflows.runs import start_run

TICK_JOB = "routine.tick"
FIRE_JOB = "routine.fire"
TICK_SECONDS = 15.0
MAX_PROMPT = 100_000
MAX_DUE_PER_TICK = 200
# Per request: changes whose routines were looked up already (one lookup per change).
_HANDLED: weakref.WeakKeyDictionary[Context, set[str]] = weakref.WeakKeyDictionary()


async def _validate(
    context: Context, session: AsyncSession, organization_id: str, values: dict[str, Any]
) -> list[UserError]:
    errors: list[UserError] = []
    name = (values.get("name") or "").strip()
    if not name:
        errors.append(UserError("Give the routine a name", UserErrorCode.REQUIRED, ("name",)))
    elif len(name) > 200:
        errors.append(UserError("At most 200 characters", UserErrorCode.TOO_LONG, ("name",)))
    trigger = values["trigger"]
    if trigger is RoutineTrigger.SCHEDULE:
        try:
            ZoneInfo(values.get("timezone") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            errors.append(UserError("Unknown time zone", UserErrorCode.INVALID, ("timezone",)))
        schedule = values.get("schedule")
        if not schedule:
            errors.append(
                UserError(
                    "A schedule routine needs a cron schedule",
                    UserErrorCode.REQUIRED,
                    ("schedule",),
                )
            )
        elif not cron.is_valid(schedule):
            errors.append(
                UserError(
                    f"Not a cron expression: '{schedule}'", UserErrorCode.INVALID, ("schedule",)
                )
            )
    elif not values.get("event_type"):
        errors.append(
            UserError(
                "An event routine needs an event type, e.g. thread.created",
                UserErrorCode.REQUIRED,
                ("eventType",),
            )
        )
    action = values["action"]
    if action is RoutineAction.AGENT_PROMPT:
        if not values.get("agent_id"):
            errors.append(
                UserError("An agent prompt needs an agent", UserErrorCode.REQUIRED, ("agentId",))
            )
        prompt = values.get("prompt") or ""
        if not prompt.strip():
            errors.append(UserError("Give the prompt", UserErrorCode.REQUIRED, ("prompt",)))
        elif len(prompt) > MAX_PROMPT:
            errors.append(UserError("Prompt too long", UserErrorCode.TOO_LONG, ("prompt",)))
    else:
        workflow = values.get("workflow_name")
        if not workflow:
            errors.append(
                UserError("Say which workflow", UserErrorCode.REQUIRED, ("workflowName",))
            )
        elif await find_definition(session, organization_id, workflow) is None:
            errors.append(
                UserError(
                    f"No workflow named '{workflow}'", UserErrorCode.NOT_FOUND, ("workflowName",)
                )
            )
    agent_id = values.get("agent_id")
    if agent_id:
        agent = await session.get(Agent, agent_id)
        if agent is None or agent.organization_id != organization_id:
            errors.append(
                UserError(
                    f"Agent with id '{agent_id}' not found", UserErrorCode.NOT_FOUND, ("agentId",)
                )
            )
    return errors


def _schedule(routine: Routine) -> None:
    if routine.trigger is RoutineTrigger.SCHEDULE and routine.status is RoutineStatus.ACTIVE:
        assert routine.schedule is not None
        routine.next_run_at = cron.next_after(routine.schedule, datetime.now(UTC), routine.timezone)
    else:
        routine.next_run_at = None


async def create_routine(
    context: Context, session: AsyncSession, organization_id: str, values: dict[str, Any]
) -> Routine:
    require(context, organization_id, Action.WRITE, field=("organizationId",))
    errors = await _validate(context, session, organization_id, values)
    if errors:
        raise UserErrors(errors)
    routine = Routine(
        organization_id=organization_id,
        name=values["name"].strip(),
        description=values.get("description") or "",
        trigger=values["trigger"],
        schedule=values.get("schedule"),
        timezone=values.get("timezone") or "UTC",
        event_type=values.get("event_type"),
        action=values["action"],
        agent_id=values.get("agent_id"),
        prompt=values.get("prompt"),
        workflow_name=values.get("workflow_name"),
        inputs=values.get("inputs") or {},
        status=RoutineStatus.ACTIVE,
        created_by_id=context.principal.user_id,
    )
    _schedule(routine)
    session.add(routine)
    await session.flush()
    return routine


async def _routine(
    context: Context, session: AsyncSession, routine_id: str, organization_id: str | None
) -> Routine:
    routine = await get_for_action(context, session, Routine, routine_id, Action.WRITE)
    if organization_id is not None and routine.organization_id != organization_id:
        raise not_found("Routine", routine_id, ("id",))  # the wrong app's URL
    return routine


async def update_routine(
    context: Context,
    session: AsyncSession,
    routine_id: str,
    changes: dict[str, Any],
    *,
    organization_id: str | None = None,
) -> Routine:
    routine = await _routine(context, session, routine_id, organization_id)
    fields = (
        "name",
        "description",
        "trigger",
        "schedule",
        "timezone",
        "event_type",
        "action",
        "agent_id",
        "prompt",
        "workflow_name",
        "inputs",
    )
    merged = {f: getattr(routine, f) for f in fields}
    merged.update({k: v for k, v in changes.items() if v is not None})
    errors = await _validate(context, session, routine.organization_id, merged)
    if errors:
        raise UserErrors(errors)
    for name in fields:
        setattr(routine, name, merged[name])
    _schedule(routine)
    await session.flush()
    return routine


async def set_routine_status(
    context: Context,
    session: AsyncSession,
    routine_id: str,
    status: RoutineStatus,
    *,
    organization_id: str | None = None,
) -> Routine:
    routine = await _routine(context, session, routine_id, organization_id)
    routine.status = status
    _schedule(routine)
    await session.flush()
    return routine


async def delete_routine(
    context: Context, session: AsyncSession, routine_id: str, *, organization_id: str | None = None
) -> str:
    routine = await _routine(context, session, routine_id, organization_id)
    await session.delete(routine)
    await session.flush()
    return routine_id


# --- firing ---------------------------------------------------------------------------


async def _acting_as_creator(context: Context, session: AsyncSession, routine: Routine) -> Context:
    role = None
    if routine.created_by_id is not None:
        role = await session.scalar(
            select(Membership.role).where(
                Membership.organization_id == routine.organization_id,
                Membership.user_id == routine.created_by_id,
            )
        )
    if role is None:
        raise UserErrors.single(
            "The routine's creator is no longer in the organization",
            UserErrorCode.FORBIDDEN,
            ("createdBy",),
        )
    context.principal = Principal(
        kind=CredentialKind.ACCESS_TOKEN,
        user_id=routine.created_by_id,
        scope=Scope.WRITE,
        roles={routine.organization_id: role},
    )
    return context


async def fire(context: Context, routine_id: str, slot: str, trigger: str) -> str:
    """Fire ``routine`` for ``slot`` once; returns the firing's status."""
    async with context.session() as session:
        routine = await session.get(Routine, routine_id)
        if routine is None:
            return "DELETED"
        firing = RoutineFiring(
            routine_id=routine.id,
            organization_id=routine.organization_id,
            slot=slot[:64],
            status="STARTED",
        )
        try:
            async with session.begin_nested():
                session.add(firing)
                await session.flush()
        except IntegrityError:
            return "ALREADY_FIRED"
        context.firing_routine_id = routine.id
        try:
            async with session.begin_nested():
                await _acting_as_creator(context, session, routine)
                if routine.action is RoutineAction.WORKFLOW:
                    assert routine.workflow_name is not None
                    run = await start_run(
                        context,
                        session,
                        organization_id=routine.organization_id,
                        workflow_name=routine.workflow_name,
                        message=routine.prompt or "",
                        inputs={**routine.inputs, "trigger": trigger},
                        routine_id=routine.id,
                    )
                    firing.run_id = run.id
                else:
                    thread = await create_thread(
                        context,
                        session,
                        organization_id=routine.organization_id,
                        user_id=routine.created_by_id,
                        agent_id=routine.agent_id,
                        title=f"{routine.name} ({trigger})"[:200],
                    )
                    await post_message(
                        context, session, thread_id=thread.id, content=routine.prompt or ""
                    )
                    firing.thread_id = thread.id
        except UserErrors as errors:
            firing.status = "FAILED"
            firing.error = "; ".join(e.message for e in errors.errors)[:2000]
        finally:
            context.firing_routine_id = None
        routine.last_fired_at = datetime.now(UTC)
        await session.flush()
        status = firing.status
    await context.commit()
    return status


@periodic_job(TICK_JOB, TICK_SECONDS)
async def tick(job: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Fire every active schedule routine that is due, each slot once."""
    now = datetime.now(UTC)
    context = Context.for_job(job)
    fired = 0
    try:
        async with context.session() as session:
            due = (
                await session.execute(
                    select(Routine.id, Routine.next_run_at, Routine.schedule, Routine.timezone)
                    .where(
                        Routine.status == RoutineStatus.ACTIVE,
                        Routine.trigger == RoutineTrigger.SCHEDULE,
                        Routine.next_run_at <= now,
                    )
                    .order_by(Routine.next_run_at)
                    .limit(MAX_DUE_PER_TICK)
                )
            ).all()
        await context.commit()
        for routine_id, slot_time, schedule, timezone in due:
            assert schedule is not None and slot_time is not None  # a due SCHEDULE routine
            async with context.session() as session:
                moved = await session.execute(
                    update(Routine)
                    .where(Routine.id == routine_id, Routine.next_run_at == slot_time)
                    .values(next_run_at=cron.next_after(schedule, now, timezone))
                )
            await context.commit()
            if moved.rowcount:  # type: ignore[attr-defined]
                await fire(context, routine_id, slot_time.isoformat(), "schedule")
                fired += 1
        return {"fired": fired}
    finally:
        await context.close()


@job_handler(FIRE_JOB)
async def fire_on_event(job: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    context = Context.for_job(job)
    try:
        status = await fire(context, payload["routine_id"], payload["slot"], payload["type"])
        return {"status": status}
    finally:
        await context.close()


async def on_event(context: Context, session: AsyncSession, event: Event) -> None:
    """Event hook: active routines listening to this event type in its organization fire.

    Stored events only (not typing or token deltas), and not those a routine's own firing
    caused (as GitHub Actions' own token does not trigger workflows). One change can be
    stored on several topics (a team thread's on the thread's and the team's); the slot
    names the change (type and subject), not the topic's copy, so it fires a routine once.
    """
    if event.organization_id is None or event.sequence is None or context.firing_routine_id:
        return
    subject = event.payload.get("subject_id") or event.id
    slot = f"{event.type}:{subject}"[:64]
    handled = _HANDLED.setdefault(context, set())
    if slot in handled:  # the same change's copy on another topic
        return
    handled.add(slot)
    routine_ids = (
        await session.scalars(
            select(Routine.id).where(
                Routine.organization_id == event.organization_id,
                Routine.status == RoutineStatus.ACTIVE,
                Routine.trigger == RoutineTrigger.EVENT,
                Routine.event_type == event.type,
            )
        )
    ).all()
    for routine_id in routine_ids:
        await context.enqueue(
            session,
            FIRE_JOB,
            {"routine_id": routine_id, "slot": slot, "type": event.type},
            organization_id=event.organization_id,
        )
