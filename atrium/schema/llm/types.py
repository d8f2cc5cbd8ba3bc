"""Types of the LLM proxy domain: virtual keys, usage limits and recorded calls."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from atrium.engines.llm import LimitEntity, LimitInterval, LimitType
from atrium.models import llm as llm_models
from atrium.resolvers.llm import loaders
from atrium.resolvers.llm.counters import LimitState
from atrium.schema.common import AtriumInfo, Node

if TYPE_CHECKING:
    from atrium.schema.agents import Agent

AgentRef = Annotated["Agent", strawberry.lazy("atrium.schema.agents")]

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

    async def _state(self, info: AtriumInfo) -> LimitState | None:
        return await info.context.loaders.get(loaders.limit_states).load(self.id)

    @strawberry.field(description="Used in the current window.")
    async def used(self, info: AtriumInfo) -> float:
        state = await self._state(info)
        return state.used if state else 0.0

    @strawberry.field(description="Left in the current window (never below zero).")
    async def remaining(self, info: AtriumInfo) -> float:
        state = await self._state(info)
        return state.remaining if state else self.limit_value

    @strawberry.field(description="Used, as a percentage of the limit.")
    async def percent_used(self, info: AtriumInfo) -> float:
        state = await self._state(info)
        return round(state.fraction * 100, 4) if state else 0.0

    @strawberry.field(description="Calls are refused (429) until the next reset.")
    async def exhausted(self, info: AtriumInfo) -> bool:
        state = await self._state(info)
        return bool(state and state.exhausted)

    @strawberry.field(description="When the current window started.")
    async def window_start(self, info: AtriumInfo) -> datetime | None:
        state = await self._state(info)
        return state.window.start if state else None

    @strawberry.field(description="When usage next resets to zero.")
    async def next_reset_at(self, info: AtriumInfo) -> datetime | None:
        state = await self._state(info)
        return state.window.end if state else None


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
