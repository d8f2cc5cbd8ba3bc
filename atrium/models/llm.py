"""LLM proxies (Archestra): virtual keys, recorded requests, usage limits and counters.

A proxy is an ``Agent`` of type LLM_PROXY (its upstream is the agent's provider
settings). Every call through it is an ``LlmRequest`` row: tokens, model and cost, the
source of statistics. A ``UsageLimit`` caps TOKEN_COST (USD) or TOOL_CALLS for one
organization, team, user, agent or virtual key over a resetting window; its usage is a
``UsageLimitCounter`` row per window, bumped with an upsert when a call is recorded, so
the check before forwarding is one indexed read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from atrium.engines.llm import LimitEntity, LimitInterval, LimitType
from atrium.models.base import Base, UTCDateTime, created_at_column, id_column, updated_at_column
from atrium.models.identity import enum_column


def _org() -> Mapped[str]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)


class LlmVirtualKey(Base):
    """A key for one proxy, shown once; only its SHA-256 is stored (like API keys)."""

    __tablename__ = "llm_virtual_keys"
    __table_args__ = (Index("ix_llm_virtual_keys_lookup", "lookup_prefix"),)

    id: Mapped[str] = id_column("vkey")
    organization_id: Mapped[str] = _org()
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    lookup_prefix: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()


class LlmRequest(Base):
    """One call through a proxy: who, which model, tokens, cost, outcome."""

    __tablename__ = "llm_requests"
    __table_args__ = (
        Index("ix_llm_requests_org_created", "organization_id", "created_at"),
        Index("ix_llm_requests_agent_created", "agent_id", "created_at"),
    )

    id: Mapped[str] = id_column("llmr")
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    team_id: Mapped[str | None] = mapped_column(String(40))
    user_id: Mapped[str | None] = mapped_column(String(40))
    virtual_key_id: Mapped[str | None] = mapped_column(String(40), index=True)
    api_key_id: Mapped[str | None] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(200))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)  # USD
    priced: Mapped[bool] = mapped_column(Boolean, default=True)  # model in the price table
    streamed: Mapped[bool] = mapped_column(Boolean, default=False)
    status_code: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()


class UsageLimit(Base):
    __tablename__ = "usage_limits"
    __table_args__ = (Index("ix_usage_limits_entity", "entity_type", "entity_id"),)

    id: Mapped[str] = id_column("ulim")
    organization_id: Mapped[str] = _org()
    name: Mapped[str] = mapped_column(String(200))
    entity_type: Mapped[LimitEntity] = enum_column(LimitEntity)  # type: ignore[assignment]
    entity_id: Mapped[str] = mapped_column(String(40))
    limit_type: Mapped[LimitType] = enum_column(LimitType)  # type: ignore[assignment]
    value: Mapped[float] = mapped_column(Float)
    models: Mapped[list[str] | None] = mapped_column(JSON)
    interval: Mapped[LimitInterval] = enum_column(LimitInterval)  # type: ignore[assignment]
    anchor_at: Mapped[datetime] = mapped_column(UTCDateTime())  # rolling windows start here
    created_by_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class UsageLimitCounter(Base):
    """A limit's usage in one window; a window without a row has used nothing."""

    __tablename__ = "usage_limit_counters"
    __table_args__ = (UniqueConstraint("limit_id", "window_start"),)

    id: Mapped[str] = id_column("ulc")
    limit_id: Mapped[str] = mapped_column(ForeignKey("usage_limits.id", ondelete="CASCADE"))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    used: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = updated_at_column()
