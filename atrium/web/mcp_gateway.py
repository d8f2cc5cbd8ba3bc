"""``/mcp/{gatewayId}``: a gateway's tools as one MCP endpoint (streamable HTTP).

The ``mcp`` SDK's server side speaks the protocol: one low-level ``Server`` whose
``tools/list`` and ``tools/call`` handlers ask :mod:`atrium.resolvers.mcp.gateways`.
Requests are stateless (no MCP session to keep between them) and answered as JSON. The
caller authenticates with an Atrium API key (``Authorization: Bearer`` or ``x-api-key``)
or access token: no or a bad credential is a 401, a gateway the caller cannot see a 404,
before any MCP is spoken. Listing tools needs READ; calling one needs WRITE.
"""

from __future__ import annotations

from typing import Any

import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import MCPError
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from atrium.core.context import Context
from atrium.core.errors import AtriumError
from atrium.core.policy import Action
from atrium.models.agents import Agent, AgentTeam, AgentType
from atrium.resolvers.agents.visibility import visible_agents
from atrium.resolvers.auth.credentials import authenticate
from atrium.resolvers.mcp import gateways
from atrium.web.request import credential_of
from atrium.web.state import AppState

SCOPE_KEY = "atrium.mcp_gateway"


def _caller(ctx: Any) -> gateways.GatewayCaller:
    request = ctx.request
    caller = request.scope.get(SCOPE_KEY) if request is not None else None
    if caller is None:  # pragma: no cover - only reachable through mcp_gateway()
        raise MCPError(types.INVALID_REQUEST, "No gateway")
    return caller


async def _list_tools(
    ctx: Any, params: types.PaginatedRequestParams | None
) -> types.ListToolsResult:
    tools = gateways.gateway_tools(_caller(ctx))
    return types.ListToolsResult(tools=[types.Tool.model_validate(tool) for tool in tools])


async def _call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
    caller = _caller(ctx)
    if not caller.principal.can(Action.WRITE, caller.organization_id):
        raise MCPError(types.INVALID_REQUEST, "Your role or key scope does not allow calling tools")
    return await gateways.call_tool(caller, params.name, dict(params.arguments or {}))


SERVER: Server[Any] = Server(
    "atrium-mcp-gateway",
    version="1",
    description="Tools of the MCP servers assigned to this Atrium gateway.",
    on_list_tools=_list_tools,
    on_call_tool=_call_tool,
)


def _refuse(status: int, code: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="atrium"'} if status == 401 else None
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)


class McpGatewayEndpoint:
    """The ASGI endpoint (a class, so Starlette routes to it raw): authenticate, find the
    gateway, hand the request to the SDK."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _serve(scope, receive, send)


def mount_mcp_gateway(app: Any) -> None:
    """Route ``/mcp/{gateway_id}`` (GET, POST, DELETE as streamable HTTP has them)."""
    app.router.routes.append(
        Route("/mcp/{gateway_id}", McpGatewayEndpoint(), methods=["GET", "POST", "DELETE"])
    )


async def _serve(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive)
    state: AppState = request.app.state.atrium
    gateway_id = request.path_params.get("gateway_id", "")
    credential = credential_of(request)
    if not credential:
        await _refuse(401, "unauthorized", "An API key is required")(scope, receive, send)
        return
    context = Context(db=state.db, settings=state.settings, services=state.services)
    organization_id: str | None = None
    servers: dict[str, gateways.ExposedServer] = {}
    team_ids: frozenset[str] = frozenset()
    try:
        async with context.session() as session:  # one session: key, gateway, servers
            context.principal = await authenticate(session, state.settings, credential)
            gateway = await session.scalar(
                select(Agent).where(
                    Agent.id == gateway_id,
                    Agent.type == AgentType.MCP_GATEWAY,
                    visible_agents(context),
                )
            )
            if gateway is not None:
                organization_id = gateway.organization_id
                servers = await gateways.exposed_servers(
                    session,
                    gateway,
                    state.settings.secret_key,
                    internal_allowed=state.settings.mcp_internal_urls_allowed,
                )
                team_ids = frozenset(
                    await session.scalars(
                        select(AgentTeam.team_id).where(AgentTeam.agent_id == gateway.id)
                    )
                )
            await session.commit()  # authenticate may note the key's last use
    except AtriumError as error:
        await _refuse(401, "unauthorized", error.message)(scope, receive, send)
        return
    finally:
        await context.close()
    if organization_id is None:
        message = f"MCP gateway with id '{gateway_id}' not found"
        await _refuse(404, "not_found", message)(scope, receive, send)
        return
    scope[SCOPE_KEY] = gateways.GatewayCaller(
        db=state.db,
        principal=context.principal,
        gateway_id=gateway_id,
        organization_id=organization_id,
        servers=servers,
        services=state.services,
        team_ids=team_ids,
    )
    # Stateless: a fresh transport per request, so a manager per request costs little and
    # needs no lifespan of the application's (tests and workers run none).
    manager = StreamableHTTPSessionManager(SERVER, stateless=True, json_response=True)
    async with manager.run():
        await manager.handle_request(scope, receive, send)
