"""MCP gateways: agents of type MCP_GATEWAY exposing the tools of their servers.

A gateway's tools are its installed servers' tools, each named ``<server>__<tool>``
(the server's name made an identifier; two servers with the same name are told apart by
the end of their IDs). A call goes to the server's pooled session with the server's
timeout, and is recorded — caller, tool, duration, outcome — whatever its outcome.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, REQUEST_TIMEOUT, CallToolResult
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.auth import Principal
from atrium.core.context import Context
from atrium.core.db import Database
from atrium.core.errors import UserErrorCode, UserErrors
from atrium.core.metrics import MCP_TOOL_CALLS
from atrium.engines.llm.limits import Subject
from atrium.models.agents import Agent, AgentScope, AgentType
from atrium.models.mcp import McpGatewayServer, McpInstallStatus, McpServer
from atrium.models.mcp import McpToolCallOutcome as Outcome
from atrium.resolvers.access import default_organization, not_found
from atrium.resolvers.agents import agents as agent_service
from atrium.resolvers.agents.visibility import visible_agents
from atrium.resolvers.llm.limits import check_tool_call_limits, record_tool_call_usage
from atrium.resolvers.mcp.connections import Endpoint, pool
from atrium.resolvers.mcp.installation import endpoint_for
from atrium.resolvers.mcp.recording import recorder
from atrium.resolvers.mcp.servers import get_visible

SEPARATOR = "__"
SERVER_UNAVAILABLE = -32002  # JSON-RPC server error range: the tool's server is down
LIMIT_REACHED = -32003  # a TOOL_CALLS usage limit is spent (the REST proxy's 429)
MAX_SERVERS = 100
_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_-]+")


def server_prefix(server: Any, taken: set[str] | None = None) -> str:
    base = _NOT_IDENTIFIER.sub("_", server.name.strip()).strip("_").lower() or "server"
    base = base.replace(SEPARATOR, "_")[:60]
    if taken is not None and base in taken:
        base = f"{base}_{server.id[-6:].lower()}"
    return base


def gateway_statement(context: Context, gateway_id: str) -> Any:
    return select(Agent).where(
        Agent.id == gateway_id, Agent.type == AgentType.MCP_GATEWAY, visible_agents(context)
    )


async def get_gateway(
    context: Context, session: AsyncSession, gateway_id: str, field: tuple[str, ...] = ("id",)
) -> Agent:
    gateway = await session.scalar(gateway_statement(context, gateway_id))
    if gateway is None:
        raise not_found("McpGateway", gateway_id, field)
    return gateway


async def default_gateway(
    context: Context, session: AsyncSession, organization_id: str | None
) -> Agent | None:
    """The organization's default gateway: its built-in one if any, else its oldest
    organization-wide one (Archestra's ``/api/mcp-gateways/default``)."""
    organization_id = default_organization(context, organization_id)
    stmt = (
        select(Agent)
        .where(
            Agent.organization_id == organization_id,
            Agent.type == AgentType.MCP_GATEWAY,
            Agent.scope.in_([AgentScope.BUILT_IN, AgentScope.ORG]),
            visible_agents(context),
        )
        .order_by((Agent.scope == AgentScope.BUILT_IN).desc(), Agent.id)
        .limit(1)
    )
    return await session.scalar(stmt)


async def set_gateway_servers(
    context: Context, session: AsyncSession, gateway_id: str, server_ids: list[str]
) -> Agent:
    """Replace the servers a gateway exposes (whoever may change the agent may do this)."""
    gateway = await get_gateway(context, session, gateway_id)
    await agent_service.get_manageable(context, session, gateway.id)
    if len(server_ids) > MAX_SERVERS:
        raise UserErrors.single(
            f"At most {MAX_SERVERS} servers", UserErrorCode.TOO_LONG, ("serverIds",)
        )
    for i, server_id in enumerate(dict.fromkeys(server_ids)):
        server = await get_visible(context, session, server_id, ("serverIds", str(i)))
        if server.organization_id != gateway.organization_id:
            raise not_found("McpServer", server_id, ("serverIds", str(i)))
    await session.execute(delete(McpGatewayServer).where(McpGatewayServer.gateway_id == gateway.id))
    session.add_all(
        McpGatewayServer(
            organization_id=gateway.organization_id, gateway_id=gateway.id, server_id=server_id
        )
        for server_id in dict.fromkeys(server_ids)
    )
    await session.flush()
    return gateway


@dataclass(frozen=True)
class ExposedServer:
    """What a gateway request needs of one of its servers (read once per request)."""

    id: str
    name: str
    tools: tuple[dict[str, Any], ...]
    timeout_seconds: float
    endpoint: Endpoint


@dataclass(frozen=True)
class GatewayCaller:
    """Who is calling which gateway, and what it exposes, as the endpoint found them."""

    db: Database
    principal: Principal
    gateway_id: str
    organization_id: str
    servers: dict[str, ExposedServer]
    services: Any = None  # for TOOL_CALLS usage limits (``atrium.resolvers.llm.limits``)
    team_ids: frozenset[str] = frozenset()  # the gateway's teams, for TEAM limits


async def exposed_servers(
    session: AsyncSession, gateway: Agent, secret_key: str, *, internal_allowed: bool = True
) -> dict[str, ExposedServer]:
    """The gateway's installed servers by tool prefix (one statement)."""
    stmt = (
        select(McpServer)
        .join(McpGatewayServer, McpGatewayServer.server_id == McpServer.id)
        .where(
            McpGatewayServer.gateway_id == gateway.id,
            McpServer.organization_id == gateway.organization_id,
            McpServer.status == McpInstallStatus.INSTALLED,
        )
        .order_by(McpGatewayServer.id)
    )
    servers: dict[str, ExposedServer] = {}
    for row in (await session.scalars(stmt)).all():
        servers[server_prefix(row, set(servers))] = ExposedServer(
            id=row.id,
            name=row.name,
            tools=tuple(row.tools or ()),
            timeout_seconds=row.timeout_seconds,
            endpoint=endpoint_for(row, secret_key, internal_allowed=internal_allowed),
        )
    return servers


def gateway_tools(caller: GatewayCaller) -> list[dict[str, Any]]:
    """Every tool the gateway exposes, named ``<server>__<tool>``."""
    return [
        {**tool, "name": f"{prefix}{SEPARATOR}{tool['name']}"}
        for prefix, server in caller.servers.items()
        for tool in server.tools
    ]


async def call_tool(
    caller: GatewayCaller, name: str, arguments: dict[str, Any] | None
) -> CallToolResult:
    """Forward one tools/call, time it out, record it; raise MCPError for protocol errors."""
    prefix, _, tool = name.partition(SEPARATOR)
    server = caller.servers.get(prefix)
    if server is None or not tool or not any(t["name"] == tool for t in server.tools):
        raise MCPError(INVALID_PARAMS, f"Unknown tool: {name}")
    limits = await _check_limits(caller)
    timeout = server.timeout_seconds
    started = time.perf_counter()
    outcome, error = Outcome.SUCCESS, None
    try:
        session = await pool().session(server.endpoint)
        try:
            result = await session.call_tool(tool, arguments or {}, read_timeout_seconds=timeout)
        except MCPError as failure:
            if failure.code == REQUEST_TIMEOUT:
                outcome, error = Outcome.TIMEOUT, f"Tool {name} timed out after {timeout:g}s"
                raise MCPError(REQUEST_TIMEOUT, error) from None
            outcome, error = Outcome.ERROR, failure.message
            raise
        except Exception as failure:  # the transport died: reconnect on the next call
            pool().discard(server.id)
            raise ConnectionError(str(failure) or type(failure).__name__) from failure
        if result.is_error:
            outcome = Outcome.ERROR
            error = " ".join(getattr(c, "text", "") for c in result.content)[:2000] or None
        return result
    except ConnectionError as failure:
        outcome, error = Outcome.ERROR, f"Server {server.name} unavailable: {failure}"
        raise MCPError(SERVER_UNAVAILABLE, error) from None
    finally:
        _record(caller, server, name, time.perf_counter() - started, outcome, error)
        if limits is not None:
            await _count_call(*limits)


async def _check_limits(caller: GatewayCaller) -> tuple[Context, Subject] | None:
    """Refuse the call when a TOOL_CALLS limit over the caller, the gateway or one of its
    teams is spent; else what counting the call afterwards needs (None: no services)."""
    if caller.services is None:
        return None
    context = Context.for_services(caller.services, principal=caller.principal)
    subject = Subject(
        organization_id=caller.organization_id,
        team_ids=caller.team_ids,
        user_id=caller.principal.user_id,
        agent_id=caller.gateway_id,
    )
    try:
        async with context.session() as session:
            spent = await check_tool_call_limits(context, session, subject)
    finally:
        await context.close()
    if spent is not None:
        rule = spent.limit.rule
        raise MCPError(
            LIMIT_REACHED,
            f"Usage limit '{rule.name}' reached: {spent.used:g} of {rule.value:g} tool calls; "
            f"it resets at {spent.window.end.isoformat()}",
        )
    return context, subject


async def _count_call(context: Context, subject: Subject) -> None:
    """Count a forwarded call against the TOOL_CALLS limits (events at 80% and 100%)."""
    try:
        async with context.session() as session:
            await record_tool_call_usage(context, session, subject)
        await context.commit()
    finally:
        await context.close()


def _record(
    caller: GatewayCaller,
    server: ExposedServer,
    name: str,
    seconds: float,
    outcome: Outcome,
    error: str | None,
) -> None:
    principal = caller.principal
    recorder().record(
        caller.db,
        {
            "organization_id": caller.organization_id,
            "gateway_id": caller.gateway_id,
            "server_id": server.id,
            "tool_name": name,
            "user_id": principal.user_id,
            "service_account_id": principal.service_account_id,
            "api_key_id": principal.api_key_id,
            "duration_ms": round(seconds * 1000, 3),
            "outcome": outcome,
            "error": error,
        },
    )
    MCP_TOOL_CALLS.labels(caller.gateway_id, server.name, name, outcome.value).inc()
