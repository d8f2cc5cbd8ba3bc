"""Types of the LLM proxy domain: virtual keys, usage limits and recorded calls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry

from atrium.core.loaders import NOT_LOADED
from atrium.engines.llm import LimitEntity, LimitInterval, LimitType
from atrium.models import llm as llm_models
from atrium.resolvers.llm import loaders
from atrium.resolvers.llm.counters import LimitState
from atrium.schema.common import AtriumInfo, Node, resolve_later

if TYPE_CHECKING:
    from atrium.schema.agents import Agent

AgentRef = Annotated["Agent", strawberry.lazy("atrium.schema.agents")]
T = TypeVar("T")
_UNSET: Any = object()  # a limit's usage not looked for yet

strawberry.enum(
    LimitEntity,
    name="UsageLimitEntity",
    description="What a usage limit caps: an ORGANIZATION, TEAM, USER, AGENT or VIRTUAL_KEY.",
)
strawberry.enum(
    LimitType,
    name="UsageLimitType",
    description="TOKEN_COST (USD spent on tokens) or TOOL_CALLS (MCP tool calls).",
)
strawberry.enum(
    LimitInterval,
    name="UsageLimitInterval",
    description="When usage resets: every ONE_HOUR, ONE_DAY (24h) or ONE_WEEK from the limit's "
    "creation, or at the start of each UTC CALENDAR_DAY, CALENDAR_WEEK (Monday) or "
    "CALENDAR_MONTH.",
)


async def _load_agent(info: AtriumInfo, agent_id: str | None) -> Agent | None:
    from atrium.schema.agents import load_agent

    return await load_agent(info, agent_id)


@strawberry.type(description="A key for one LLM proxy; its secret was shown once, at creation.")
class LlmVirtualKey(Node):
    name: str = strawberry.field(description="Name.")
    prefix: str = strawberry.field(description="The key's first characters, to recognise it.")
    team_id: strawberry.ID | None = strawberry.field(
        description="Team its calls are attributed to."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    expires_at: datetime | None = strawberry.field(description="When it stops working.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked.")
    last_used_at: datetime | None = strawberry.field(description="Last call (to the minute).")
    proxy_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, row: llm_models.LlmVirtualKey) -> LlmVirtualKey:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            prefix=row.lookup_prefix,
            team_id=strawberry.ID(row.team_id) if row.team_id else None,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
            proxy_id=row.agent_id,
        )

    @strawberry.field(description="The proxy it opens.")
    async def proxy(self, info: AtriumInfo) -> AgentRef | None:
        return await _load_agent(info, self.proxy_id)


@strawberry.type(description="A cap on token cost or tool calls over a resetting window.")
class UsageLimit(Node):
    name: str = strawberry.field(description="Name, quoted in the 429 that enforces it.")
    entity_type: LimitEntity = strawberry.field(description="What it caps.")
    entity_id: strawberry.ID = strawberry.field(description="Which one.")
    limit_type: LimitType = strawberry.field(description="What it counts.")
    limit_value: float = strawberry.field(
        description="The cap: USD for TOKEN_COST, calls for TOOL_CALLS."
    )
    models: list[str] = strawberry.field(description="Only calls to these models (empty: all).")
    interval: LimitInterval = strawberry.field(description="When usage resets.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    usage_state: strawberry.Private[Any] = _UNSET  # LimitState | None, or its loader future

    @classmethod
    def from_model(cls, row: llm_models.UsageLimit) -> UsageLimit:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            entity_type=row.entity_type,
            entity_id=strawberry.ID(row.entity_id),
            limit_type=row.limit_type,
            limit_value=row.value,
            models=list(row.models or []),
            interval=row.interval,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def _from_state(self, info: AtriumInfo, pick: Callable[[LimitState | None], T]) -> T:
        """``pick`` applied to the limit's usage, loaded once per row for all its fields:
        synchronously when the page's batch has loaded it (``usageLimits`` prefetches
        when the query asks for usage), else on one shared loader future."""
        state = self.usage_state
        if state is _UNSET:
            key = str(self.id)
            state = info.context.loaders.peek(loaders.limit_states, key)
            if state is NOT_LOADED:
                state = info.context.loaders.get(loaders.limit_states).load(key)
            self.usage_state = state
        if isinstance(state, asyncio.Future):
            if not state.done() or state.cancelled() or state.exception() is not None:
                return resolve_later(_picked(state, pick))
            state = self.usage_state = state.result()
        return pick(state)

    @strawberry.field(description="Used in the current window.")
    def used(self, info: AtriumInfo) -> float:
        return self._from_state(info, lambda s: s.used if s else 0.0)

    @strawberry.field(description="Left in the current window (never below zero).")
    def remaining(self, info: AtriumInfo) -> float:
        return self._from_state(info, lambda s: s.remaining if s else self.limit_value)

    @strawberry.field(description="Used, as a percentage of the limit.")
    def percent_used(self, info: AtriumInfo) -> float:
        return self._from_state(info, lambda s: round(s.fraction * 100, 4) if s else 0.0)

    @strawberry.field(description="Calls are refused (429) until the next reset.")
    def exhausted(self, info: AtriumInfo) -> bool:
        return self._from_state(info, lambda s: bool(s and s.exhausted))

    @strawberry.field(description="When the current window started.")
    def window_start(self, info: AtriumInfo) -> datetime | None:
        return self._from_state(info, lambda s: s.window.start if s else None)

    @strawberry.field(description="When usage next resets to zero.")
    def next_reset_at(self, info: AtriumInfo) -> datetime | None:
        return self._from_state(info, lambda s: s.window.end if s else None)


USAGE_FIELDS = ("used", "remaining", "percentUsed", "exhausted", "windowStart", "nextResetAt")


async def _picked(state: Awaitable[LimitState | None], pick: Callable[[LimitState | None], T]) -> T:
    return pick(await state)


@strawberry.type(description="One call through an LLM proxy, as recorded.")
class LlmRequestRecord(Node):
    model: str = strawberry.field(description="Model asked for.")
    input_tokens: int = strawberry.field(description="Prompt tokens (from the upstream).")
    output_tokens: int = strawberry.field(description="Completion tokens (from the upstream).")
    cost: float = strawberry.field(description="USD, from the price table.")
    priced: bool = strawberry.field(description="The model is in the price table.")
    streamed: bool = strawberry.field(description="Answered as a stream.")
    status_code: int = strawberry.field(description="HTTP status the caller got.")
    duration_ms: float = strawberry.field(description="Time to answer, upstream included.")
    error: str | None = strawberry.field(description="What went wrong, if anything.")
    team_id: strawberry.ID | None = strawberry.field(description="Team it is attributed to.")
    user_id: strawberry.ID | None = strawberry.field(description="User behind the key.")
    virtual_key_id: strawberry.ID | None = strawberry.field(description="Virtual key used.")
    created_at: datetime = strawberry.field(description="When it was made.")
    proxy_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: llm_models.LlmRequest) -> LlmRequestRecord:
        def _id(value: str | None) -> strawberry.ID | None:
            return strawberry.ID(value) if value else None

        return cls(
            id=strawberry.ID(row.id),
            model=row.model,
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            cost=row.cost,
            priced=row.priced,
            streamed=row.streamed,
            status_code=row.status_code,
            duration_ms=round(row.duration_ms, 3),
            error=row.error,
            team_id=_id(row.team_id),
            user_id=_id(row.user_id),
            virtual_key_id=_id(row.virtual_key_id),
            created_at=row.created_at,
            proxy_id=row.agent_id,
        )

    @strawberry.field(description="The proxy it went through.")
    async def proxy(self, info: AtriumInfo) -> AgentRef | None:
        return await _load_agent(info, self.proxy_id)
