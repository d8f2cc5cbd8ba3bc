"""MCP (Archestra): the server registry, installation, gateways and their tool calls."""
