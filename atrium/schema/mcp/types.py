"""MCP types: registry entries with their tools, gateways and their recorded tool calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from atrium.models import agents as agent_models
from atrium.models import mcp as models
from atrium.resolvers.identity import loaders as identity_loaders
from atrium.resolvers.mcp import loaders
from atrium.resolvers.mcp.gateways import SEPARATOR, server_prefix
from atrium.schema.agents import Agent
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    Node,
    child_connection,
)
from atrium.schema.identity.types import Organization, Team, User, load_organization, load_user

strawberry.enum(
    models.McpServerType,
    name="McpServerType",
    description="LOCAL (started over stdio), REMOTE (streamable HTTP) or BUILT_IN.",
)
strawberry.enum(
    models.McpServerScope,
    name="McpServerScope",
    description="Who sees an entry: its author, its team, or the organization.",
)
strawberry.enum(
    models.McpInstallStatus,
    name="McpInstallStatus",
    description="NOT_INSTALLED, INSTALLING, INSTALLED (tools listed) or ERROR (see the error).",
)
strawberry.enum(
    models.McpToolCallOutcome,
    name="McpToolCallOutcome",
    description="SUCCESS, ERROR (the tool or its server failed) or TIMEOUT.",
)


@strawberry.type(description="A value a server needs to run (a token, an API key…).")
class McpAuthField:
    name: str = strawberry.field(description="Name: an environment variable or HTTP header.")
    description: str = strawberry.field(description="What to give.")
    required: bool = strawberry.field(description="Installing needs it.")
    has_value: bool = strawberry.field(description="A value is stored (never shown).")


@strawberry.type(description="A tool a server offers, as it listed it.")
class McpTool:
    name: str = strawberry.field(description="Name on its server.")
    description: str = strawberry.field(description="What it does.")
    input_schema: JSON = strawberry.field(description="JSON Schema of its arguments.")


def _tool(tool: dict[str, Any]) -> McpTool:
    return McpTool(
        name=tool["name"],
        description=tool.get("description") or "",
        input_schema=cast("JSON", tool.get("inputSchema") or {}),
    )


@strawberry.type(description="An MCP server in the registry, with its installation.")
class McpServer(Node):
    name: str = strawberry.field(description="Name.")
    version: str = strawberry.field(description="Version.")
    description: str = strawberry.field(description="What it offers.")
    server_type: models.McpServerType = strawberry.field(description="How it is reached.")
    scope: models.McpServerScope = strawberry.field(description="Who sees it.")
    command: str | None = strawberry.field(description="Command that starts a LOCAL server.")
    args: list[str] = strawberry.field(description="Arguments of the command.")
    env: JSON = strawberry.field(description="Environment of a LOCAL server (not secrets).")
    url: str | None = strawberry.field(description="Streamable HTTP URL of a REMOTE server.")
    docs_url: str | None = strawberry.field(description="Documentation.")
    auth_fields: list[McpAuthField] = strawberry.field(description="Values it needs.")
    configured_secrets: list[str] = strawberry.field(
        description="Names of the auth values stored (encrypted; values are never returned)."
    )
    timeout_seconds: float = strawberry.field(description="Time limit of one tool call.")
    installation_status: models.McpInstallStatus = strawberry.field(
        description="Where its installation is."
    )
    installation_error: str | None = strawberry.field(description="Why installing failed.")
    installed_at: datetime | None = strawberry.field(description="When it was last installed.")
    tools: list[McpTool] = strawberry.field(description="Tools it listed when installed.")
    created_at: datetime = strawberry.field(description="When it was registered.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    organization_id: strawberry.Private[str]
    team_id: strawberry.Private[str | None]
    author_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: models.McpServer) -> McpServer:
        names = set(row.secret_names or [])
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            version=row.version,
            description=row.description,
            server_type=row.server_type,
            scope=row.scope,
            command=row.command,
            args=[str(a) for a in row.args or []],
            env=cast("JSON", dict(row.env or {})),
            url=row.url,
            docs_url=row.docs_url,
            auth_fields=[
                McpAuthField(
                    name=f["name"],
                    description=f.get("description", ""),
                    required=bool(f.get("required", True)),
                    has_value=f["name"] in names,
                )
                for f in row.auth_fields or []
            ],
            configured_secrets=sorted(names),
            timeout_seconds=row.timeout_seconds,
            installation_status=row.status,
            installation_error=row.status_error,
            installed_at=row.installed_at,
            tools=[_tool(t) for t in row.tools or []],
            created_at=row.created_at,
            updated_at=row.updated_at,
            organization_id=row.organization_id,
            team_id=row.team_id,
            author_id=row.author_id,
        )

    @strawberry.field(description="Number of tools.")
    def tool_count(self) -> int:
        return len(self.tools)

    @strawberry.field(description="The team of a TEAM entry.")
    async def team(self, info: AtriumInfo) -> Team | None:
        if self.team_id is None:
            return None
        row = await info.context.loaders.get(identity_loaders.teams_by_id).load(self.team_id)
        return Team.from_model(row) if row else None

    @strawberry.field(description="Who registered it.")
    async def author(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.author_id)

    @strawberry.field(description="The organization.")
    async def organization(self, info: AtriumInfo) -> Organization | None:
        return await load_organization(info, self.organization_id)


async def load_server(info: AtriumInfo, server_id: str | None) -> McpServer | None:
    if server_id is None:
        return None
    row = await info.context.loaders.get(loaders.servers_by_id).load(server_id)
    return McpServer.from_model(row) if row else None


@strawberry.type(description="A tool a gateway exposes: a server's tool, named for the gateway.")
class McpGatewayTool:
    name: str = strawberry.field(description="Name at the gateway: `<server>__<tool>`.")
    tool: McpTool = strawberry.field(description="The tool as its server lists it.")
    server: McpServer = strawberry.field(description="The server that runs it.")


@strawberry.type(description="One tool call made through a gateway.")
class McpToolCall(Node):
    tool_name: str = strawberry.field(description="Tool, as named at the gateway.")
    duration_ms: float = strawberry.field(description="Time from forwarding to answer.")
    outcome: models.McpToolCallOutcome = strawberry.field(description="How it ended.")
    error: str | None = strawberry.field(description="What went wrong, if it did.")
    service_account_id: strawberry.ID | None = strawberry.field(
        description="The service account that called, if one did."
    )
    api_key_id: strawberry.ID | None = strawberry.field(description="The API key used, if any.")
    created_at: datetime = strawberry.field(description="When it was called.")
    user_id: strawberry.Private[str | None]
    server_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: Any) -> McpToolCall:
        return cls(
            id=strawberry.ID(row.id),
            tool_name=row.tool_name,
            duration_ms=row.duration_ms,
            outcome=models.McpToolCallOutcome(row.outcome),
            error=row.error,
            service_account_id=strawberry.ID(row.service_account_id)
            if row.service_account_id
            else None,
            api_key_id=strawberry.ID(row.api_key_id) if row.api_key_id else None,
            created_at=row.created_at,
            user_id=row.user_id,
            server_id=row.server_id,
        )

    @strawberry.field(description="The user who called (directly or with a personal key).")
    async def caller(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.user_id)

    @strawberry.field(description="The server that ran it (null once deleted or hidden).")
    async def server(self, info: AtriumInfo) -> McpServer | None:
        return await load_server(info, self.server_id)


@strawberry.type(
    description="An MCP gateway: an agent of type MCP_GATEWAY exposing its servers' tools "
    "at `/mcp/{id}` (streamable HTTP, authenticated with an API key)."
)
class McpGateway:
    id: strawberry.ID = strawberry.field(description="The gateway agent's ID.")
    name: str = strawberry.field(description="Name.")
    description: str = strawberry.field(description="What it is for.")
    scope: agent_models.AgentScope = strawberry.field(description="Who sees it.")
    created_at: datetime = strawberry.field(description="When it was created.")
    row: strawberry.Private[agent_models.Agent]

    @classmethod
    def from_agent(cls, row: agent_models.Agent) -> McpGateway:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            description=row.description,
            scope=row.scope,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="Path of its MCP endpoint on this server.")
    def endpoint_path(self) -> str:
        return f"/mcp/{self.id}"

    @strawberry.field(description="The agent it is.")
    def agent(self) -> Agent:
        return Agent.from_model(self.row)

    @strawberry.field(description="Servers it exposes (those you can see).")
    async def servers(self, info: AtriumInfo) -> list[McpServer]:
        loaders_ = info.context.loaders
        ids = await loaders_.get(loaders.server_ids_by_gateway).load(str(self.id))
        rows = await loaders_.get(loaders.servers_by_id).load_many(ids)
        return [McpServer.from_model(row) for row in rows if row is not None]

    @strawberry.field(description="Tools it exposes: its installed servers' tools.")
    async def tools(self, info: AtriumInfo) -> list[McpGatewayTool]:
        servers = await self.servers(info)
        taken: set[str] = set()
        found: list[McpGatewayTool] = []
        for server in servers:
            if server.installation_status is not models.McpInstallStatus.INSTALLED:
                continue
            prefix = server_prefix(server, taken)
            taken.add(prefix)
            found.extend(
                McpGatewayTool(name=f"{prefix}{SEPARATOR}{t.name}", tool=t, server=server)
                for t in server.tools
            )
        return found

    @strawberry.field(description="Tool calls made through it, newest first.")
    async def tool_calls(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[McpToolCall]:
        return await child_connection(
            info,
            str(self.id),
            loaders.tool_call_pages_by_gateway,
            loaders.tool_call_counts_by_gateway,
            McpToolCall.from_model,
            first,
            after,
            last,
            before,
            descending=True,
        )
