"""Agents (ArchAstro, Archestra): assistants, MCP gateways, LLM proxies and profiles.

One table for every agent type, as Archestra has it: the type decides which fields
matter (a model and system prompt for AGENT, upstream settings for LLM_PROXY…). Scope
decides who sees an agent: its author (PERSONAL), its teams (TEAM), the organization
(ORG), or everyone, created with the organization (BUILT_IN).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atrium.models.base import Base, created_at_column, id_column, updated_at_column
from atrium.models.identity import enum_column


class AgentType(StrEnum):
    AGENT = "AGENT"
    MCP_GATEWAY = "MCP_GATEWAY"
    LLM_PROXY = "LLM_PROXY"
    PROFILE = "PROFILE"


class AgentScope(StrEnum):
    PERSONAL = "PERSONAL"
    TEAM = "TEAM"
    ORG = "ORG"
    BUILT_IN = "BUILT_IN"


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[str] = id_column("agt")
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[AgentType] = enum_column(AgentType, default=AgentType.AGENT)  # type: ignore[assignment]
    scope: Mapped[AgentScope] = enum_column(AgentScope, default=AgentScope.ORG)  # type: ignore[assignment]
    model: Mapped[str | None] = mapped_column(String(200))
    system_prompt: Mapped[str] = mapped_column(Text, default="")
    # Where replies come from; None falls back to the server's settings (ATRIUM_LLM_*).
    provider: Mapped[str | None] = mapped_column(String(20))
    provider_base_url: Mapped[str | None] = mapped_column(String(2000))
    provider_api_key: Mapped[str | None] = mapped_column(String(500))
    # The organization's assistant for Archon conversations (one per organization).
    is_default_assistant: Mapped[bool] = mapped_column(Boolean, default=False)
    built_in_key: Mapped[str | None] = mapped_column(String(50))
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class AgentTeam(Base):
    """The teams an agent belongs to (who sees a TEAM agent)."""

    __tablename__ = "agent_teams"
    __table_args__ = (UniqueConstraint("agent_id", "team_id"),)

    id: Mapped[str] = id_column("agtm")
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = created_at_column()


class AgentLabel(Base):
    """A key/value label; a table rather than JSON so filters are plain indexed joins."""

    __tablename__ = "agent_labels"
    __table_args__ = (UniqueConstraint("agent_id", "key"),)

    id: Mapped[str] = id_column("albl")
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[str] = mapped_column(String(200))
