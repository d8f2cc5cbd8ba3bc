"""Forwarding a gateway's tools/call to the server that runs the tool.

A call goes to the server's pooled session (:mod:`atrium.resolvers.mcp.connections`)
with the server's timeout, after the TOOL_CALLS usage limits over the caller, the gateway
and its teams allow it, and is recorded — caller, tool, duration, outcome — whatever its
outcome. An organization without TOOL_CALLS limits (their definitions are cached) costs a
call no database access, and the gateway's teams are read only when a TEAM limit exists.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from atrium.core.context import Context
from atrium.core.metrics import MCP_TOOL_CALLS
from atrium.engines.llm.limits import LimitEntity, LimitRule, LimitType, Subject
from atrium.models.agents import AgentTeam
from atrium.models.mcp import McpToolCallOutcome as Outcome
from atrium.resolvers.llm.limits import (
    check_tool_call_limits,
    organization_limits,
    record_tool_call_usage,
)
from atrium.resolvers.llm.runtime import llm_runtime
from atrium.resolvers.mcp.connections import pool
from atrium.resolvers.mcp.gateways import SEPARATOR, ExposedServer, GatewayCaller
from atrium.resolvers.mcp.recording import recorder

if TYPE_CHECKING:
    from mcp_types import CallToolResult

SERVER_UNAVAILABLE = -32002  # JSON-RPC server error range: the tool's server is down
LIMIT_REACHED = -32003  # a TOOL_CALLS usage limit is spent (the REST proxy's 429)


async def call_tool(
    caller: GatewayCaller, name: str, arguments: dict[str, Any] | None
) -> CallToolResult:
    """Forward one tools/call, time it out, record it; raise MCPError for protocol errors."""
    from mcp.shared.exceptions import MCPError
    from mcp_types import INVALID_PARAMS, REQUEST_TIMEOUT

    prefix, _, tool = name.partition(SEPARATOR)
    server = caller.servers.get(prefix)
    if server is None or not tool or not any(t["name"] == tool for t in server.tools):
        raise MCPError(INVALID_PARAMS, f"Unknown tool: {name}")
    limits = await _check_limits(caller)
    timeout = server.timeout_seconds
    stored = server.stored
    started = time.perf_counter()
    outcome, error = Outcome.SUCCESS, None
    try:
        async with pool().use(
            server.id,
            stored,
            lambda: stored.endpoint(caller.secret_key, internal_allowed=caller.internal_allowed),
        ) as session:
            try:
                result = await session.call_tool(
                    tool, arguments or {}, read_timeout_seconds=timeout
                )
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
    teams is spent; else what counting the call afterwards needs (None: nothing to count,
    as when the organization has no TOOL_CALLS limits — their list is cached)."""
    if caller.services is None:
        return None
    runtime = llm_runtime(caller.services)
    cached = runtime.limits.get(caller.organization_id)
    if cached is not None and not _tool_call_rules(cached):
        return None  # the usual case, without a session
    from mcp.shared.exceptions import MCPError

    context = Context.for_services(caller.services, principal=caller.principal)
    try:
        async with context.session() as session:
            limits = await organization_limits(runtime, session, caller.organization_id)
            rules = _tool_call_rules(limits)
            if not rules:
                return None
            team_ids: frozenset[str] = frozenset()
            if any(rule.entity is LimitEntity.TEAM for rule in rules):
                team_ids = frozenset(
                    await session.scalars(
                        select(AgentTeam.team_id).where(AgentTeam.agent_id == caller.gateway_id)
                    )
                )
            subject = Subject(
                organization_id=caller.organization_id,
                team_ids=team_ids,
                user_id=caller.principal.user_id,
                agent_id=caller.gateway_id,
            )
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


def _tool_call_rules(limits: list[Any]) -> list[LimitRule]:
    return [item.rule for item in limits if item.rule.type is LimitType.TOOL_CALLS]


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
