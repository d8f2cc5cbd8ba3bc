"""Batch functions for the MCP registry and gateways: one statement per batch, visibility
applied in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from atrium.core.context import Context
from atrium.models.mcp import McpGatewayServer, McpServer, McpToolCall
from atrium.resolvers.loading import by_ids, child_counts, child_pages, visible_org_ids
from atrium.resolvers.mcp.servers import visible_servers


async def servers_by_id(context: Context, keys: list[str]) -> list[McpServer | None]:
    return await by_ids(
        context, select(McpServer).where(McpServer.id.in_(keys), visible_servers(context)), keys
    )


async def server_ids_by_gateway(context: Context, keys: list[str]) -> list[list[str]]:
    """The servers each gateway exposes that the caller can see, oldest assignment first."""
    stmt = (
        select(McpGatewayServer.gateway_id, McpGatewayServer.server_id)
        .join(McpServer, McpServer.id == McpGatewayServer.server_id)
        .where(McpGatewayServer.gateway_id.in_(keys), visible_servers(context))
        .order_by(McpGatewayServer.id)
    )
    found: dict[str, list[str]] = {key: [] for key in keys}
    async with context.session() as session:
        for gateway_id, server_id in (await session.execute(stmt)).all():
            found[gateway_id].append(server_id)
    return [found[key] for key in keys]


def _calls(context: Context) -> Select[Any]:
    return select(McpToolCall).where(McpToolCall.organization_id.in_(visible_org_ids(context)))


tool_call_pages_by_gateway = child_pages(McpToolCall, McpToolCall.gateway_id, _calls, plain=True)
tool_call_counts_by_gateway = child_counts(McpToolCall, McpToolCall.gateway_id, _calls)


async def tool_calls_by_id(context: Context, keys: list[str]) -> list[McpToolCall | None]:
    stmt = select(McpToolCall).where(
        McpToolCall.id.in_(keys), McpToolCall.organization_id.in_(visible_org_ids(context))
    )
    return await by_ids(context, stmt, keys)
