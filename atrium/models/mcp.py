"""MCP (Archestra): the registry of MCP servers, the servers each gateway exposes, and
the record of every tool call made through a gateway.

A registry entry is a catalog row and its installation at once: how to reach the server
(a command for a LOCAL one started over stdio, a URL for a REMOTE one spoken to over
streamable HTTP), the auth fields it needs (their values stored encrypted, never
returned), and what installing it found (status, error, tool list). A gateway is an
agent of type MCP_GATEWAY; ``mcp_gateway_servers`` says which servers it exposes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atrium.models.base import Base, created_at_column, id_column, updated_at_column
from atrium.models.identity import enum_column


class McpServerType(StrEnum):
    LOCAL = "LOCAL"  # started over stdio: command + args + env
    REMOTE = "REMOTE"  # reached over streamable HTTP at a URL
    BUILT_IN = "BUILT_IN"  # served by the platform itself (a URL it knows)


class McpServerScope(StrEnum):
    PERSONAL = "PERSONAL"
    TEAM = "TEAM"
    ORG = "ORG"


class McpInstallStatus(StrEnum):
    NOT_INSTALLED = "NOT_INSTALLED"
    INSTALLING = "INSTALLING"
    INSTALLED = "INSTALLED"
    ERROR = "ERROR"


class McpToolCallOutcome(StrEnum):
    SUCCESS = "SUCCESS"
    ERROR = "ERROR"  # the tool answered with isError, or the server failed
    TIMEOUT = "TIMEOUT"


class McpServer(Base):
    __tablename__ = "mcp_servers"

    id: Mapped[str] = id_column("mcp")
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(50), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    server_type: Mapped[McpServerType] = enum_column(McpServerType, default=McpServerType.LOCAL)  # type: ignore[assignment]
    scope: Mapped[McpServerScope] = enum_column(McpServerScope, default=McpServerScope.ORG)  # type: ignore[assignment]
    team_id: Mapped[str | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    command: Mapped[str | None] = mapped_column(String(500))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    env: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # not secret
    url: Mapped[str | None] = mapped_column(String(2000))
    docs_url: Mapped[str | None] = mapped_column(String(2000))
    # [{"name", "description", "required"}]: what a user gives when installing
    auth_fields: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Fernet token of {"field": "value"}; only its keys are ever shown
    secrets: Mapped[str | None] = mapped_column(Text)
    secret_names: Mapped[list[Any]] = mapped_column(JSON, default=list)
    timeout_seconds: Mapped[float] = mapped_column(Float, default=30.0)
    status: Mapped[McpInstallStatus] = enum_column(  # type: ignore[assignment]
        McpInstallStatus, default=McpInstallStatus.NOT_INSTALLED
    )
    status_error: Mapped[str | None] = mapped_column(Text)
    # [{"name", "description", "inputSchema"}] as the server listed them
    tools: Mapped[list[Any]] = mapped_column(JSON, default=list)
    installed_at: Mapped[datetime | None] = mapped_column()
    # bumped on every install: gateways reconnect when it changes
    generation: Mapped[int] = mapped_column(Integer, default=0)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class McpGatewayServer(Base):
    """A server a gateway (an MCP_GATEWAY agent) exposes."""

    __tablename__ = "mcp_gateway_servers"
    __table_args__ = (UniqueConstraint("gateway_id", "server_id"),)

    id: Mapped[str] = id_column("mgs")
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    gateway_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    server_id: Mapped[str] = mapped_column(
        ForeignKey("mcp_servers.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = created_at_column()


class McpToolCall(Base):
    """One tools/call through a gateway: who, which tool, how long, how it ended."""

    __tablename__ = "mcp_tool_calls"

    id: Mapped[str] = id_column("mtc")
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    gateway_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    server_id: Mapped[str | None] = mapped_column(
        ForeignKey("mcp_servers.id", ondelete="SET NULL"), index=True
    )
    tool_name: Mapped[str] = mapped_column(String(300))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    service_account_id: Mapped[str | None] = mapped_column(String(40))
    api_key_id: Mapped[str | None] = mapped_column(String(40))
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    outcome: Mapped[McpToolCallOutcome] = enum_column(McpToolCallOutcome)  # type: ignore[assignment]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
