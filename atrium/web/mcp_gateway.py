"""``/mcp/{gatewayId}``: a gateway's tools as one MCP endpoint (streamable HTTP).

The ``mcp`` SDK's server side speaks the protocol: one low-level ``Server`` whose
``tools/list`` and ``tools/call`` handlers ask :mod:`atrium.resolvers.mcp.gateways` and
:mod:`atrium.resolvers.mcp.calls`.
Requests are stateless (no MCP session to keep between them) and answered as JSON. The
caller authenticates with an Atrium API key (``Authorization: Bearer`` or ``x-api-key``)
or access token: no or a bad credential is a 401, a gateway the caller cannot see a 404,
before any MCP is spoken. Listing tools needs READ; calling one needs WRITE.

The SDK is imported on the first request that reaches a gateway, not with the
application: it is large, and most servers never serve MCP.
"""

from __future__ import annotations

from functools import cache, partial
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from atrium.core.context import Context
from atrium.core.errors import AtriumError
from atrium.core.policy import Action
from atrium.resolvers.auth.credentials import authenticate
from atrium.resolvers.mcp import calls, gateways
from atrium.resolvers.mcp.connections import close_connections
from atrium.resolvers.mcp.recording import flush_recorder
from atrium.web.request import credential_of
from atrium.web.state import AppState

if TYPE_CHECKING:
    import mcp_types as types
    from mcp.server.lowlevel import Server

SCOPE_KEY = "atrium.mcp_gateway"


def _caller(ctx: Any) -> gateways.GatewayCaller:
    request = ctx.request
    caller = request.scope.get(SCOPE_KEY) if request is not None else None
    if caller is None:  # pragma: no cover - only reachable through mcp_gateway()
        from mcp.shared.exceptions import MCPError
        from mcp_types import INVALID_REQUEST

        raise MCPError(INVALID_REQUEST, "No gateway")
    return caller


async def _list_tools(
    ctx: Any, params: types.PaginatedRequestParams | None
) -> types.ListToolsResult:
    import mcp_types as types

    tools = gateways.gateway_tools(_caller(ctx))
    return types.ListToolsResult(tools=[types.Tool.model_validate(tool) for tool in tools])


async def _call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
    caller = _caller(ctx)
    if not caller.principal.can(Action.WRITE, caller.organization_id):
        from mcp.shared.exceptions import MCPError
        from mcp_types import INVALID_REQUEST

        raise MCPError(INVALID_REQUEST, "Your role or key scope does not allow calling tools")
    return await calls.call_tool(caller, params.name, dict(params.arguments or {}))


@cache
def mcp_server() -> Server[Any]:
    """The SDK's server that speaks for every gateway (built, and the SDK imported, once)."""
    from mcp.server.lowlevel import Server

    return Server(
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


async def close_mcp() -> None:
    """At shutdown, before the database closes: stop the servers the gateways started
    (close their sessions) and write the tool calls still queued for recording."""
    await close_connections()
    await flush_recorder()


async def _serve(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive)
    state: AppState = request.app.state.atrium
    gateway_id = request.path_params.get("gateway_id", "")
    credential = credential_of(request)
    if not credential:
        await _refuse(401, "unauthorized", "An API key is required")(scope, receive, send)
        return
    # One read-only session (on SQLite, no write lock): the key, the gateway, its servers.
    context = Context(db=state.db, settings=state.settings, services=state.services, read_only=True)
    try:
        async with context.session() as session:
            context.principal = await authenticate(
                session, state.settings, credential, write=partial(context.write_soon, session)
            )
            found = await gateways.find_gateway(context, session, gateway_id)
        await context.commit()  # then the key's "last used" stamp, when one is due
    except AtriumError as error:
        await _refuse(401, "unauthorized", error.message)(scope, receive, send)
        return
    finally:
        await context.close()
    if found is None:
        message = f"MCP gateway with id '{gateway_id}' not found"
        await _refuse(404, "not_found", message)(scope, receive, send)
        return
    organization_id, servers = found
    scope[SCOPE_KEY] = gateways.GatewayCaller(
        db=state.db,
        principal=context.principal,
        gateway_id=gateway_id,
        organization_id=organization_id,
        servers=servers,
        secret_key=state.settings.secret_key,
        internal_allowed=state.settings.mcp_internal_urls_allowed,
        services=state.services,
    )
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

    # Stateless: a fresh transport per request, so a manager per request costs little (about
    # 45 µs) and needs no lifespan of the application's (tests and workers run none).
    manager = StreamableHTTPSessionManager(mcp_server(), stateless=True, json_response=True)
    async with manager.run():
        await manager.handle_request(scope, receive, send)
