"""MCP gateways: agents of type MCP_GATEWAY exposing the tools of their servers.

A gateway's tools are its installed servers' tools, each named ``<server>__<tool>``
(the server's name made an identifier; two servers with the same name are told apart by
the end of their IDs). A gateway exposes to each caller only the servers that caller may
see in the registry, as ``McpGateway.servers`` shows them: a PERSONAL server assigned to
an organization's gateway serves its author alone, and its secrets never serve anyone
else. Calls are forwarded by :mod:`atrium.resolvers.mcp.calls`.

Per request the endpoint reads the gateway and its servers in one statement
(:func:`find_gateway`); their secrets stay encrypted until a call opens a session.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.auth import Principal
from atrium.core.context import Context
from atrium.core.db import Database
from atrium.core.errors import UserErrorCode, UserErrors
from atrium.models.agents import Agent, AgentScope, AgentType
from atrium.models.mcp import McpGatewayServer, McpInstallStatus, McpServer
from atrium.resolvers.access import default_organization, not_found
from atrium.resolvers.agents import agents as agent_service
from atrium.resolvers.agents.visibility import visible_agents
from atrium.resolvers.mcp.installation import StoredEndpoint
from atrium.resolvers.mcp.servers import visible_servers

SEPARATOR = "__"
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
    wanted = list(dict.fromkeys(server_ids))
    found = set(
        await session.scalars(
            select(McpServer.id).where(
                McpServer.id.in_(wanted),
                McpServer.organization_id == gateway.organization_id,
                visible_servers(context),
            )
        )
    )
    for i, server_id in enumerate(wanted):
        if server_id not in found:
            raise not_found("McpServer", server_id, ("serverIds", str(i)))
    await session.execute(delete(McpGatewayServer).where(McpGatewayServer.gateway_id == gateway.id))
    session.add_all(
        McpGatewayServer(
            organization_id=gateway.organization_id, gateway_id=gateway.id, server_id=server_id
        )
        for server_id in wanted
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
    stored: StoredEndpoint  # how to reach it, secrets still encrypted


@dataclass(frozen=True)
class GatewayCaller:
    """Who is calling which gateway, and what it exposes to them, as the endpoint found it."""

    db: Database
    principal: Principal
    gateway_id: str
    organization_id: str
    servers: dict[str, ExposedServer]
    secret_key: str
    internal_allowed: bool = False  # settings.mcp_internal_urls_allowed
    services: Any = None  # for TOOL_CALLS usage limits (``atrium.resolvers.llm.limits``)


async def find_gateway(
    context: Context, session: AsyncSession, gateway_id: str
) -> tuple[str, dict[str, ExposedServer]] | None:
    """The gateway's organization and the installed servers it exposes to the caller, by
    tool prefix, in one statement; None when the caller cannot see the gateway."""
    stmt = _exposure_statement(context)
    rows = (await session.execute(stmt, {"gateway_id": gateway_id})).all()
    if not rows:
        return None
    servers: dict[str, ExposedServer] = {}
    for row in rows:
        if row.id is None:  # no servers, or one not installed or not visible to the caller
            continue
        servers[server_prefix(row, set(servers))] = ExposedServer(
            id=row.id,
            name=row.name,
            tools=tuple(row.tools or ()),
            timeout_seconds=row.timeout_seconds,
            stored=StoredEndpoint.of(row),
        )
    return rows[0].organization_id, servers


# Building the statement (its two visibility conditions) costs about as much as running
# it, so the statements of recent callers are kept: a statement depends on nothing but
# the caller (the gateway is a parameter), and a caller's next request reuses it.
_STATEMENTS: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
MAX_STATEMENTS = 64  # about 40 KB each


def _exposure_statement(context: Context) -> Any:
    principal = context.principal
    key = (
        principal.kind,
        principal.user_id,
        principal.service_account_id,
        principal.scope,
        tuple(sorted(principal.roles.items())),
    )
    stmt = _STATEMENTS.get(key)
    if stmt is not None:
        _STATEMENTS.move_to_end(key)
        return stmt
    stmt = (
        select(
            Agent.organization_id,
            McpServer.id,
            McpServer.name,
            McpServer.tools,
            McpServer.timeout_seconds,
            McpServer.generation,
            McpServer.server_type,
            McpServer.command,
            McpServer.args,
            McpServer.env,
            McpServer.url,
            McpServer.secrets,
        )
        .select_from(Agent)
        .outerjoin(McpGatewayServer, McpGatewayServer.gateway_id == Agent.id)
        .outerjoin(
            McpServer,
            and_(
                McpServer.id == McpGatewayServer.server_id,
                McpServer.organization_id == Agent.organization_id,
                McpServer.status == McpInstallStatus.INSTALLED,
                visible_servers(context),
            ),
        )
        .where(
            Agent.id == bindparam("gateway_id"),
            Agent.type == AgentType.MCP_GATEWAY,
            visible_agents(context),
        )
        .order_by(McpGatewayServer.id)
    )
    _STATEMENTS[key] = stmt
    if len(_STATEMENTS) > MAX_STATEMENTS:
        _STATEMENTS.popitem(last=False)
    return stmt


def gateway_tools(caller: GatewayCaller) -> list[dict[str, Any]]:
    """Every tool the gateway exposes, named ``<server>__<tool>``."""
    return [
        {**tool, "name": f"{prefix}{SEPARATOR}{tool['name']}"}
        for prefix, server in caller.servers.items()
        for tool in server.tools
    ]
