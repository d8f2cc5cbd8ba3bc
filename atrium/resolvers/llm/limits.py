"""Usage limits: define them, find the ones a call falls under, and count tool calls.

A limit caps TOKEN_COST (USD) or TOOL_CALLS for an organization, team, user, agent or
virtual key, optionally for some models only, over a window that resets on its interval.
Only admins define limits. The MCP gateway counts tool calls through
:func:`check_tool_call_limits` (before a call) and :func:`record_tool_call_usage` (after).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.engines.llm import LimitEntity, LimitInterval, LimitRule, LimitType, Subject, window_at
from atrium.models.agents import Agent
from atrium.models.identity import Membership, Team
from atrium.models.llm import LlmRequest, LlmVirtualKey, UsageLimit
from atrium.resolvers.access import default_organization, get_for_action, not_found, require
from atrium.resolvers.llm import counters
from atrium.resolvers.llm.counters import LimitState
from atrium.resolvers.llm.events import publish_crossings
from atrium.resolvers.llm.runtime import CachedLimit, LlmRuntime, llm_runtime

if TYPE_CHECKING:
    from atrium.resolvers.llm.usage import CallRecord

MAX_MODELS = 50


@dataclass(frozen=True)
class LimitFields:
    name: str | None = None
    entity_type: LimitEntity | None = None
    entity_id: str | None = None
    limit_type: LimitType | None = None
    value: float | None = None
    models: list[str] | None = None  # [] clears the filter
    interval: LimitInterval | None = None


def cached(row: UsageLimit) -> CachedLimit:
    models = frozenset(m.lower() for m in row.models) if row.models else None
    rule = LimitRule(
        row.id, row.name, row.entity_type, row.entity_id, row.limit_type, row.value, models
    )
    return CachedLimit(rule, row.interval, row.anchor_at)


async def organization_limits(
    runtime: LlmRuntime, session: AsyncSession, organization_id: str
) -> list[CachedLimit]:
    """The organization's limit definitions, cached briefly per process."""
    found = runtime.limits.get(organization_id)
    if found is None:
        rows = await session.scalars(
            select(UsageLimit).where(UsageLimit.organization_id == organization_id)
        )
        found = runtime.limits.put(organization_id, [cached(row) for row in rows])
    return found


def _changed(context: Context, organization_id: str, limit_id: str) -> None:
    """Drop the cached definitions and counters of a limit created, changed or deleted:
    now, and again once the change has committed (a call in between may have cached the
    old ones). Other processes pick the change up within ``CACHE_SECONDS``."""
    runtime = llm_runtime(context.services)

    def forget() -> None:
        runtime.limits.drop(organization_id)
        runtime.ledger.forget(limit_id)

    async def forget_after_commit() -> None:
        forget()

    forget()
    context.after_commit(forget_after_commit)


def _models(values: list[str] | None) -> list[str] | None:
    return sorted({m.strip() for m in values or [] if m.strip()}) or None


def _validate(fields: LimitFields, creating: bool) -> None:
    if creating and not (fields.name or "").strip():
        raise UserErrors.single("Name can't be blank", UserErrorCode.REQUIRED, ("name",))
    if fields.name is not None and len(fields.name) > 200:
        raise UserErrors.single("At most 200 characters", UserErrorCode.TOO_LONG, ("name",))
    if fields.value is not None and not fields.value >= 0:
        raise UserErrors.single("Must be zero or more", UserErrorCode.INVALID, ("limitValue",))
    if fields.models is not None and len(fields.models) > MAX_MODELS:
        raise UserErrors.single(f"At most {MAX_MODELS} models", UserErrorCode.INVALID, ("models",))


async def _check_entity(
    session: AsyncSession, organization_id: str, entity: LimitEntity, entity_id: str
) -> None:
    model: Any = {
        LimitEntity.TEAM: Team,
        LimitEntity.AGENT: Agent,
        LimitEntity.VIRTUAL_KEY: LlmVirtualKey,
    }.get(entity)
    if entity is LimitEntity.ORGANIZATION:
        ok = entity_id == organization_id
    elif entity is LimitEntity.USER:
        ok = bool(
            await session.scalar(
                select(Membership.id).where(
                    Membership.organization_id == organization_id,
                    Membership.user_id == entity_id,
                )
            )
        )
    else:
        row = await session.get(model, entity_id)
        ok = row is not None and row.organization_id == organization_id
    if not ok:
        raise not_found(entity.value.title().replace("_", ""), entity_id, ("entityId",))


async def _past_usage(
    runtime: LlmRuntime, session: AsyncSession, item: CachedLimit, now: Any
) -> float:
    """What the current window already spent, for a limit created or changed mid-window:
    the recorded calls, and this process's calls the recorder has not written yet (one
    statement, so a batch committing meanwhile is counted once either way)."""
    rule = item.rule
    if rule.type is not LimitType.TOKEN_COST:
        return 0.0
    window = window_at(item.interval, now, item.anchor_at)
    column = {
        LimitEntity.ORGANIZATION: LlmRequest.organization_id,
        LimitEntity.TEAM: LlmRequest.team_id,
        LimitEntity.USER: LlmRequest.user_id,
        LimitEntity.AGENT: LlmRequest.agent_id,
        LimitEntity.VIRTUAL_KEY: LlmRequest.virtual_key_id,
    }[rule.entity]
    unwritten = [
        item
        for item in (runtime.recorder.unwritten() if runtime.recorder else [])
        if window.contains(item.at)
        and _recorded_for(item.call, rule.entity) == rule.entity_id
        and (rule.models is None or item.call.model.lower() in rule.models)
    ]
    ids = [item.id for item in unwritten]
    already = case((LlmRequest.id.in_(ids), LlmRequest.cost), else_=0.0) if ids else 0.0
    stmt = select(
        func.coalesce(func.sum(LlmRequest.cost), 0.0), func.coalesce(func.sum(already), 0.0)
    ).where(
        column == rule.entity_id,
        LlmRequest.created_at >= window.start,
        LlmRequest.created_at < window.end,
    )
    if rule.models is not None:
        stmt = stmt.where(func.lower(LlmRequest.model).in_(sorted(rule.models)))
    stored, written = (await session.execute(stmt)).one()
    return float(stored) - float(written) + sum(item.cost.total for item in unwritten)


def _recorded_for(call: CallRecord, entity: LimitEntity) -> str | None:
    """The column of ``call``'s row that a limit on ``entity`` sums by."""
    subject = call.subject
    return {
        LimitEntity.ORGANIZATION: subject.organization_id,
        LimitEntity.TEAM: call.team_id,
        LimitEntity.USER: subject.user_id,
        LimitEntity.AGENT: subject.agent_id,
        LimitEntity.VIRTUAL_KEY: subject.virtual_key_id,
    }[entity]


async def create_usage_limit(
    context: Context, session: AsyncSession, *, organization_id: str | None, fields: LimitFields
) -> UsageLimit:
    organization_id = default_organization(context, organization_id)
    require(context, organization_id, Action.ORG_UPDATE, field=("organizationId",))
    _validate(fields, creating=True)
    entity = fields.entity_type or LimitEntity.ORGANIZATION
    entity_id = fields.entity_id or (
        organization_id if entity is LimitEntity.ORGANIZATION else None
    )
    if entity_id is None:
        raise UserErrors.single("Say which one", UserErrorCode.REQUIRED, ("entityId",))
    await _check_entity(session, organization_id, entity, entity_id)
    if fields.value is None:
        raise UserErrors.single("Give a limit", UserErrorCode.REQUIRED, ("limitValue",))
    runtime = llm_runtime(context.services)
    now = runtime.clock()
    row = UsageLimit(
        organization_id=organization_id,
        name=(fields.name or "").strip(),
        entity_type=entity,
        entity_id=entity_id,
        limit_type=fields.limit_type or LimitType.TOKEN_COST,
        value=fields.value,
        models=_models(fields.models),
        interval=fields.interval or LimitInterval.CALENDAR_MONTH,
        anchor_at=now,
        created_by_id=context.principal.user_id,
    )
    session.add(row)
    await session.flush()
    item = cached(row)
    past = await _past_usage(runtime, session, item, now)
    await counters.set_usage(session, item, past, now)
    _changed(context, organization_id, row.id)
    return row


async def _limit_for_admin(context: Context, session: AsyncSession, limit_id: str) -> UsageLimit:
    return await get_for_action(context, session, UsageLimit, limit_id, Action.ORG_UPDATE)


async def update_usage_limit(
    context: Context, session: AsyncSession, limit_id: str, fields: LimitFields
) -> UsageLimit:
    row = await _limit_for_admin(context, session, limit_id)
    _validate(fields, creating=False)
    if fields.name is not None:
        row.name = fields.name.strip()
    if fields.value is not None:
        row.value = fields.value
    if fields.models is not None:
        row.models = _models(fields.models)
    if fields.interval is not None and fields.interval is not row.interval:
        runtime = llm_runtime(context.services)
        row.interval = fields.interval
        row.anchor_at = runtime.clock()
        await session.flush()
        item = cached(row)
        past = await _past_usage(runtime, session, item, row.anchor_at)
        await counters.set_usage(session, item, past, row.anchor_at)
    await session.flush()
    _changed(context, row.organization_id, row.id)
    return row


async def delete_usage_limit(context: Context, session: AsyncSession, limit_id: str) -> str:
    row = await _limit_for_admin(context, session, limit_id)
    await session.delete(row)
    await session.flush()
    _changed(context, row.organization_id, row.id)
    return limit_id


# --- Tool calls (counted by the MCP gateway) ----------------------------------------


async def check_tool_call_limits(
    context: Context, session: AsyncSession, subject: Subject
) -> LimitState | None:
    """The first exhausted TOOL_CALLS limit over ``subject``, or None: call this before
    forwarding a tool call and refuse it (429) when a limit is returned."""
    runtime = llm_runtime(context.services)
    limits = await organization_limits(runtime, session, subject.organization_id)
    rules = [i for i in limits if i.rule.applies(subject, LimitType.TOOL_CALLS)]
    states = await counters.read_states(session, rules, runtime.clock())
    return next((state for state in states if state.exhausted), None)


async def record_tool_call_usage(
    context: Context, session: AsyncSession, subject: Subject, count: int = 1
) -> None:
    """Count ``count`` tool calls against every TOOL_CALLS limit over ``subject``, in the
    caller's transaction; crossing 80% or 100% queues an event on the organization."""
    runtime = llm_runtime(context.services)
    limits = await organization_limits(runtime, session, subject.organization_id)
    rules = [i for i in limits if i.rule.applies(subject, LimitType.TOOL_CALLS)]
    crossings = await counters.bump(session, rules, float(count), runtime.clock())
    await publish_crossings(context, session, subject.organization_id, crossings)
