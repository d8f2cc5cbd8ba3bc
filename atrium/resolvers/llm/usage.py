"""Recording a call through a proxy: its row, its cost, the limit counters and events.

Runs after the answer has gone to the client (a background task), in one short
transaction of its own, so the caller never waits for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, update

from atrium.core.auth import CredentialKind, Principal
from atrium.core.context import Context
from atrium.core.metrics import record_llm_call
from atrium.engines.llm import LimitType, Subject, cost_of
from atrium.models.llm import LlmRequest, LlmVirtualKey
from atrium.resolvers.llm import counters
from atrium.resolvers.llm.events import publish_crossings
from atrium.resolvers.llm.limits import organization_limits
from atrium.resolvers.llm.runtime import llm_runtime

_LAST_USED_RESOLUTION = timedelta(minutes=1)


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
    extra: dict[str, str] = field(default_factory=dict)

    def finish(self) -> None:
        if self.finished is None:
            self.finished = time.perf_counter()


async def record_call(context: Context, call: CallRecord) -> LlmRequest:
    """Store ``call`` and count it against its limits; commits the context."""
    runtime = llm_runtime(context.services)
    now = runtime.clock()
    call.finish()
    seconds = (call.finished or time.perf_counter()) - call.started
    cost = cost_of(call.answered_model or call.model, call.input_tokens, call.output_tokens)
    subject = call.subject
    async with context.session() as session:
        row = LlmRequest(
            organization_id=subject.organization_id,
            agent_id=subject.agent_id,
            team_id=call.team_id,
            user_id=subject.user_id,
            virtual_key_id=subject.virtual_key_id,
            api_key_id=call.api_key_id,
            model=call.model,
            input_tokens=call.input_tokens,
            output_tokens=call.output_tokens,
            cost=cost.total,
            priced=cost.known,
            streamed=call.streamed,
            status_code=call.status,
            duration_ms=seconds * 1000,
            error=call.error,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        if cost.total > 0:
            limits = await organization_limits(runtime, session, subject.organization_id)
            rules = [
                item
                for item in limits
                if item.rule.applies(subject, LimitType.TOKEN_COST, call.model)
            ]
            crossings = await counters.bump(session, rules, cost.total, now)
            await publish_crossings(context, session, subject.organization_id, crossings)
        if subject.virtual_key_id is not None:
            await session.execute(
                update(LlmVirtualKey)
                .where(
                    LlmVirtualKey.id == subject.virtual_key_id,
                    or_(
                        LlmVirtualKey.last_used_at.is_(None),
                        LlmVirtualKey.last_used_at < now - _LAST_USED_RESOLUTION,
                    ),
                )
                .values(last_used_at=now)
            )
    await context.commit()
    record_llm_call(
        subject.agent_id or "",
        call.model,
        call.status,
        call.streamed,
        seconds,
        call.input_tokens,
        call.output_tokens,
        cost.total,
    )
    return row


def recording_principal(subject: Subject, api_key_id: str | None) -> Principal:
    """Who recorded events name as their actor: the key's or caller's user."""
    return Principal(kind=CredentialKind.API_KEY, user_id=subject.user_id, api_key_id=api_key_id)
