"""MCP in the graph (Archestra): the registry, installations, gateways and tool calls."""

from typing import Any

from atrium.resolvers.mcp import loaders
from atrium.schema.mcp.mutations import McpMutation
from atrium.schema.mcp.queries import McpQuery
from atrium.schema.mcp.types import McpServer, McpToolCall

NODE_TYPES: dict[str, tuple[Any, Any]] = {
    "mcp": (loaders.servers_by_id, McpServer.from_model),
    "mtc": (loaders.tool_calls_by_id, McpToolCall.from_model),
}

__all__ = ["NODE_TYPES", "McpMutation", "McpQuery"]
