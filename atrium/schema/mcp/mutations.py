"""MCP mutations: registering, installing and uninstalling servers, and choosing what
gateways expose."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from atrium.core.errors import BadUserInput
from atrium.models import mcp as models
from atrium.resolvers.mcp import gateways, installation, servers
from atrium.schema.common import AtriumInfo, UserError, run_mutation
from atrium.schema.mcp.types import McpGateway, McpServer

ID = strawberry.ID


@strawberry.input(description="A value for an auth field (stored encrypted, never returned).")
class McpSecretInput:
    name: str = strawberry.field(description="The auth field's name.")
    value: str = strawberry.field(description="Its value; empty removes it.")


@strawberry.input(description="An auth field a server needs.")
class McpAuthFieldInput:
    name: str = strawberry.field(description="Environment variable (LOCAL) or header (REMOTE).")
    description: str | None = strawberry.field(default=None, description="What to give.")
    required: bool = strawberry.field(default=True, description="Installing needs it.")


@strawberry.input(description="A new registry entry.")
class CreateMcpServerInput:
    name: str = strawberry.field(description="Name.")
    organization_id: ID | None = strawberry.field(
        default=None, description="Organization; the credential's only one when omitted."
    )
    server_type: models.McpServerType = strawberry.field(
        default=models.McpServerType.LOCAL, description="How it is reached."
    )
    scope: models.McpServerScope = strawberry.field(
        default=models.McpServerScope.ORG, description="Who sees it."
    )
    team_id: ID | None = strawberry.field(default=None, description="Team of a TEAM entry.")
    version: str | None = strawberry.field(default=None, description="Version.")
    description: str | None = strawberry.field(default=None, description="What it offers.")
    command: str | None = strawberry.field(default=None, description="Command (LOCAL).")
    args: list[str] | None = strawberry.field(default=None, description="Its arguments.")
    env: JSON | None = strawberry.field(default=None, description="Environment (not secrets).")
    url: str | None = strawberry.field(default=None, description="Streamable HTTP URL.")
    docs_url: str | None = strawberry.field(default=None, description="Documentation URL.")
    auth_fields: list[McpAuthFieldInput] | None = strawberry.field(
        default=None, description="Values it needs."
    )
    secrets: list[McpSecretInput] | None = strawberry.field(
        default=None, description="Values of auth fields (encrypted, never returned)."
    )
    timeout_seconds: float | None = strawberry.field(
        default=None, description="Time limit of one tool call (default 30)."
    )


@strawberry.input(description="Changes to a registry entry; omitted fields stay.")
class UpdateMcpServerInput:
    id: ID = strawberry.field(description="The entry.")
    name: str | None = strawberry.field(default=None, description="Name.")
    server_type: models.McpServerType | None = strawberry.field(default=None, description="Kind.")
    scope: models.McpServerScope | None = strawberry.field(default=None, description="Who sees.")
    team_id: ID | None = strawberry.field(default=None, description="Team of a TEAM entry.")
    version: str | None = strawberry.field(default=None, description="Version.")
    description: str | None = strawberry.field(default=None, description="What it offers.")
    command: str | None = strawberry.field(default=None, description="Command (LOCAL).")
    args: list[str] | None = strawberry.field(default=None, description="Replaces arguments.")
    env: JSON | None = strawberry.field(default=None, description="Replaces the environment.")
    url: str | None = strawberry.field(default=None, description="Streamable HTTP URL.")
    docs_url: str | None = strawberry.field(default=None, description="Documentation URL.")
    auth_fields: list[McpAuthFieldInput] | None = strawberry.field(
        default=None, description="Replaces the auth fields."
    )
    secrets: list[McpSecretInput] | None = strawberry.field(
        default=None, description="Sets these values (others stay; empty removes one)."
    )
    timeout_seconds: float | None = strawberry.field(default=None, description="Call limit.")


@strawberry.input(description="A registry entry to act on.")
class McpServerIdInput:
    id: ID = strawberry.field(description="The entry.")


@strawberry.input(description="The servers a gateway exposes.")
class SetMcpGatewayServersInput:
    gateway_id: ID = strawberry.field(description="The gateway (an MCP_GATEWAY agent).")
    server_ids: list[ID] = strawberry.field(description="Replaces its servers.")


@strawberry.type(description="Result of changing a registry entry.")
class McpServerPayload:
    mcp_server: McpServer | None = strawberry.field(description="The entry.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of deleting a registry entry.")
class DeleteMcpServerPayload:
    deleted_id: ID | None = strawberry.field(description="The deleted ID.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of changing a gateway.")
class McpGatewayPayload:
    mcp_gateway: McpGateway | None = strawberry.field(description="The gateway.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


def _fields(input: Any) -> servers.ServerFields:
    env = input.env
    if env is not None and (
        not isinstance(env, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
    ):
        raise BadUserInput("`env` is an object of strings")
    return servers.ServerFields(
        name=input.name,
        version=input.version,
        description=input.description,
        server_type=input.server_type,
        scope=input.scope,
        team_id=input.team_id,
        command=input.command,
        args=list(input.args) if input.args is not None else None,
        env=dict(env) if env is not None else None,
        url=input.url,
        docs_url=input.docs_url,
        auth_fields=[
            {"name": f.name, "description": f.description or "", "required": f.required}
            for f in input.auth_fields
        ]
        if input.auth_fields is not None
        else None,
        secrets={s.name: s.value for s in input.secrets} if input.secrets is not None else None,
        timeout_seconds=input.timeout_seconds,
    )


def _payload(row: Any, errors: list[UserError]) -> McpServerPayload:
    return McpServerPayload(
        mcp_server=McpServer.from_model(row) if row else None, user_errors=errors
    )


@strawberry.type
class McpMutation:
    @strawberry.mutation(description="Register an MCP server in the registry.")
    async def create_mcp_server(
        self, info: AtriumInfo, input: CreateMcpServerInput
    ) -> McpServerPayload:
        fields = _fields(input)
        row, errors = await run_mutation(
            info,
            lambda c, s: servers.create_server(
                c, s, organization_id=input.organization_id, fields=fields
            ),
        )
        return _payload(row, errors)

    @strawberry.mutation(description="Change a registry entry (reinstall to apply it).")
    async def update_mcp_server(
        self, info: AtriumInfo, input: UpdateMcpServerInput
    ) -> McpServerPayload:
        fields = _fields(input)
        row, errors = await run_mutation(
            info, lambda c, s: servers.update_server(c, s, server_id=input.id, fields=fields)
        )
        return _payload(row, errors)

    @strawberry.mutation(description="Remove an entry from the registry (and its gateways).")
    async def delete_mcp_server(
        self, info: AtriumInfo, input: McpServerIdInput
    ) -> DeleteMcpServerPayload:
        deleted, errors = await run_mutation(
            info, lambda c, s: servers.delete_server(c, s, input.id)
        )
        return DeleteMcpServerPayload(
            deleted_id=ID(deleted) if deleted else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Install an entry: a job starts or reaches the server and lists its tools "
        "(status INSTALLING, then INSTALLED or ERROR)."
    )
    async def install_mcp_server(
        self, info: AtriumInfo, input: McpServerIdInput
    ) -> McpServerPayload:
        row, errors = await run_mutation(
            info, lambda c, s: installation.install_server(c, s, input.id)
        )
        return _payload(row, errors)

    @strawberry.mutation(description="Install an installed (or failed) entry again.")
    async def reinstall_mcp_server(
        self, info: AtriumInfo, input: McpServerIdInput
    ) -> McpServerPayload:
        row, errors = await run_mutation(
            info, lambda c, s: installation.install_server(c, s, input.id, reinstall=True)
        )
        return _payload(row, errors)

    @strawberry.mutation(description="Uninstall an entry: its tools leave every gateway.")
    async def uninstall_mcp_server(
        self, info: AtriumInfo, input: McpServerIdInput
    ) -> McpServerPayload:
        row, errors = await run_mutation(
            info, lambda c, s: installation.uninstall_server(c, s, input.id)
        )
        return _payload(row, errors)

    @strawberry.mutation(description="Choose the servers a gateway exposes.")
    async def set_mcp_gateway_servers(
        self, info: AtriumInfo, input: SetMcpGatewayServersInput
    ) -> McpGatewayPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: gateways.set_gateway_servers(
                c, s, input.gateway_id, [str(i) for i in input.server_ids]
            ),
        )
        return McpGatewayPayload(
            mcp_gateway=McpGateway.from_agent(row) if row else None, user_errors=errors
        )
