"""Recording calls through a proxy: their rows, cost, limit counters, events and metrics.

The proxy hands each finished call to the process's recorder
(:mod:`atrium.resolvers.llm.recorder`), which prices it, counts it in memory at once
and writes it with others in one short transaction (:func:`write_calls`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.auth import CredentialKind, Principal
from atrium.core.context import Context
from atrium.core.ids import new_id
from atrium.core.metrics import record_llm_call
from atrium.engines.llm import Cost, LimitType, Subject, Window, cost_of, crossed, window_at
from atrium.models.llm import LlmRequest, LlmVirtualKey
from atrium.resolvers.llm import counters
from atrium.resolvers.llm.counters import Crossing
from atrium.resolvers.llm.events import publish_crossings
from atrium.resolvers.llm.ledger import CounterKey
from atrium.resolvers.llm.limits import organization_limits
from atrium.resolvers.llm.runtime import CachedLimit, LlmRuntime

_LAST_USED_RESOLUTION = timedelta(minutes=1)
MODEL_LENGTH = 200  # llm_requests.model is a VARCHAR(200)


@dataclass
class CallRecord:
    """What the proxy learnt about one call; filled in while the answer streams."""

    subject: Subject
    model: str  # as requested (what limits and statistics refer to)
    streamed: bool
    started: float  # time.perf_counter() at arrival
    api_key_id: str | None = None
    team_id: str | None = None
    answered_model: str | None = None  # as the upstream reported it (priced with)
    status: int = 200
    input_tokens: int = 0
    output_tokens: int = 0
    error: str | None = None
    finished: float | None = None

    def finish(self) -> None:
        if self.finished is None:
            self.finished = time.perf_counter()

    @property
    def seconds(self) -> float:
        return (self.finished or time.perf_counter()) - self.started


@dataclass
class Recorded:
    """A finished call, priced and stamped, waiting to be written."""

    id: str  # its row's ID, chosen now: readers can tell whether it is written yet
    call: CallRecord
    at: datetime  # the runtime clock when it finished: its row's time and limit windows
    cost: Cost
    limits: list[CachedLimit]  # the TOKEN_COST limits it counts against (when it ended)
    counted: list[CounterKey]  # ledger entries it was added to (settled once written)


def recorded(runtime: LlmRuntime, call: CallRecord, limits: Sequence[CachedLimit]) -> Recorded:
    """Price ``call``, count it in the ledger against its TOKEN_COST limits and in the
    metrics: everything but the database write.

    Its limits are the organization's definitions as cached now (a limit created or
    changed while the call ran counts it), else ``limits``, those its admission found.
    """
    call.finish()
    at = runtime.clock()
    cost = cost_of(call.answered_model or call.model, call.input_tokens, call.output_tokens)
    counted: list[CounterKey] = []
    defined = runtime.limits.get(call.subject.organization_id)
    if cost.total <= 0:
        limits = []
    elif defined is not None:
        limits = [
            item
            for item in defined
            if item.rule.applies(call.subject, LimitType.TOKEN_COST, call.model)
        ]
    for item in limits:
        key = (item.rule.id, window_at(item.interval, at, item.anchor_at).start)
        runtime.ledger.add(key, cost.total)
        counted.append(key)
    record_llm_call(
        call.subject.agent_id or "",
        call.model,
        call.status,
        call.streamed,
        call.seconds,
        call.input_tokens,
        call.output_tokens,
        cost.total,
    )
    return Recorded(new_id("llmr"), call, at, cost, list(limits), counted)


def _row(item: Recorded, linked: bool) -> dict[str, object]:
    call, subject = item.call, item.call.subject
    return {
        "id": item.id,
        "organization_id": subject.organization_id,
        "agent_id": subject.agent_id if linked else None,
        "team_id": call.team_id,
        "user_id": subject.user_id,
        "virtual_key_id": subject.virtual_key_id,
        "api_key_id": call.api_key_id,
        "model": call.model[:MODEL_LENGTH],
        "input_tokens": call.input_tokens,
        "output_tokens": call.output_tokens,
        "cost": item.cost.total,
        "priced": item.cost.known,
        "streamed": call.streamed,
        "status_code": call.status,
        "duration_ms": call.seconds * 1000,
        "error": call.error,
        "created_at": item.at,
    }


@dataclass
class _Bump:
    limit: CachedLimit
    window: Window
    calls: list[tuple[Recorded, float]] = field(default_factory=list)


async def write_calls(
    context: Context,
    session: AsyncSession,
    runtime: LlmRuntime,
    batch: Sequence[Recorded],
    *,
    count: bool = True,
    linked: bool = True,
) -> None:
    """Store ``batch`` in ``session`` (``linked``: with its proxy) and (``count``) add it
    to its limits' counters: one insert, one upsert per (limit, window), one update per
    virtual key whose last use this process has not set in the last minute.

    Each call counts against the limits found when it ended (the ledger counted it
    against those), in the windows of those definitions, if they are still defined.
    Crossing 80% or 100% queues an event naming the call's user as its actor. The
    caller commits, then calls :func:`written`.
    """
    await session.execute(insert(LlmRequest), [_row(item, linked) for item in batch])
    now = runtime.clock()
    bumps: dict[CounterKey, _Bump] = {}
    by_organization: dict[str, dict[str, CachedLimit]] = {}
    for item in batch if count else ():
        if not item.limits:
            continue
        organization_id = item.call.subject.organization_id
        defined = by_organization.get(organization_id)
        if defined is None:
            limits = await organization_limits(runtime, session, organization_id)
            defined = by_organization[organization_id] = {i.rule.id: i for i in limits}
        for limit in item.limits:
            current = defined.get(limit.rule.id)
            if current is not None:  # the window the ledger counted; today's name and value
                window = window_at(limit.interval, item.at, limit.anchor_at)
                bump = bumps.setdefault((limit.rule.id, window.start), _Bump(current, window))
                bump.calls.append((item, item.cost.total))
    crossings: list[tuple[Recorded, Crossing]] = []
    for bump in bumps.values():
        total = sum(amount for _, amount in bump.calls)
        after = await counters.add_usage(session, bump.limit, bump.window, total, now)
        before = after - total
        for index, (item, amount) in enumerate(bump.calls):  # which call crossed what
            last = index == len(bump.calls) - 1
            reached = after if last else before + amount
            for threshold in crossed(bump.limit.rule.value, before, reached):
                crossings.append((item, Crossing(bump.limit, bump.window, threshold, reached)))
            before = reached
    for item, crossing in crossings:
        context.principal = recording_principal(item.call.subject, item.call.api_key_id)
        await publish_crossings(context, session, item.call.subject.organization_id, [crossing])
    last_used: dict[str, datetime] = {}
    for item in batch:
        key_id = item.call.subject.virtual_key_id
        if key_id is not None and (key_id not in last_used or last_used[key_id] < item.at):
            last_used[key_id] = item.at
    for key_id, at in last_used.items():
        noted = runtime.key_last_used.get(key_id)
        if noted is not None and at < noted + _LAST_USED_RESOLUTION:
            continue  # this process set it less than a minute before: nothing would change
        await session.execute(
            update(LlmVirtualKey)
            .where(
                LlmVirtualKey.id == key_id,
                or_(
                    LlmVirtualKey.last_used_at.is_(None),
                    LlmVirtualKey.last_used_at < at - _LAST_USED_RESOLUTION,
                ),
            )
            .values(last_used_at=at)
        )


def written(runtime: LlmRuntime, batch: Sequence[Recorded]) -> None:
    """``batch`` has committed: remember when this process last set each key's last use."""
    uses = runtime.key_last_used
    if len(uses) > 10_000:
        uses.clear()
    for item in batch:
        key_id = item.call.subject.virtual_key_id
        if key_id is not None:
            last = uses.get(key_id)
            if last is None or last + _LAST_USED_RESOLUTION <= item.at:
                uses[key_id] = item.at


def recording_principal(subject: Subject, api_key_id: str | None) -> Principal:
    """Who recorded events name as their actor: the key's or caller's user."""
    return Principal(kind=CredentialKind.API_KEY, user_id=subject.user_id, api_key_id=api_key_id)
