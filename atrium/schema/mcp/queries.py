"""MCP queries: the registry and the gateways."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy import select

from atrium.core.errors import BadUserInput, NotFound, UserErrors
from atrium.models import agents as agent_models
from atrium.models import mcp as models
from atrium.resolvers.agents.visibility import visible_agents
from atrium.resolvers.mcp import gateways, servers
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    statement_connection,
)
from atrium.schema.mcp.types import McpGateway, McpServer, load_server

ID = strawberry.ID
MAX_FILTER_VALUES = 50


@strawberry.type
class McpQuery:
    @strawberry.field(description="A registry entry by ID. NOT_FOUND when unknown or hidden.")
    async def mcp_server(
        self, info: AtriumInfo, id: Annotated[ID, strawberry.argument(description="ID.")]
    ) -> McpServer:
        info.context.principal.require_authenticated()
        found = await load_server(info, id)
        if found is None:
            raise NotFound("McpServer", id)
        return found

    @strawberry.field(description="The MCP registry: entries you can see, filtered.")
    async def mcp_servers(
        self,
        info: AtriumInfo,
        organization_id: Annotated[
            ID | None, strawberry.argument(description="Only this organization.")
        ] = None,
        name: Annotated[str | None, strawberry.argument(description="Name contains.")] = None,
        server_types: Annotated[
            list[models.McpServerType] | None, strawberry.argument(description="Any of these.")
        ] = None,
        scopes: Annotated[
            list[models.McpServerScope] | None, strawberry.argument(description="Any of these.")
        ] = None,
        statuses: Annotated[
            list[models.McpInstallStatus] | None,
            strawberry.argument(description="Installation status is any of these."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[McpServer]:
        info.context.principal.require_authenticated()
        model = models.McpServer
        stmt = select(model).where(servers.visible_servers(info.context))
        if organization_id is not None:
            stmt = stmt.where(model.organization_id == organization_id)
        if name:
            stmt = stmt.where(model.name.ilike(f"%{name.replace('%', '')}%"))
        for values, column in (
            (server_types, model.server_type),
            (scopes, model.scope),
            (statuses, model.status),
        ):
            if values:
                if len(values) > MAX_FILTER_VALUES:
                    raise BadUserInput(f"At most {MAX_FILTER_VALUES} values per filter")
                stmt = stmt.where(column.in_(values))
        return await statement_connection(
            info, stmt, model.id, McpServer.from_model, first, after, last, before
        )

    @strawberry.field(description="An MCP gateway (an MCP_GATEWAY agent) by ID.")
    async def mcp_gateway(
        self, info: AtriumInfo, id: Annotated[ID, strawberry.argument(description="ID.")]
    ) -> McpGateway:
        info.context.principal.require_authenticated()
        async with info.context.session() as session:
            row = await session.scalar(gateways.gateway_statement(info.context, id))
        if row is None:
            raise NotFound("McpGateway", id)
        return McpGateway.from_agent(row)

    @strawberry.field(description="MCP gateways you can see.")
    async def mcp_gateways(
        self,
        info: AtriumInfo,
        organization_id: Annotated[
            ID | None, strawberry.argument(description="Only this organization.")
        ] = None,
        name: Annotated[str | None, strawberry.argument(description="Name contains.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[McpGateway]:
        info.context.principal.require_authenticated()
        model = agent_models.Agent
        stmt = select(model).where(
            model.type == agent_models.AgentType.MCP_GATEWAY, visible_agents(info.context)
        )
        if organization_id is not None:
            stmt = stmt.where(model.organization_id == organization_id)
        if name:
            stmt = stmt.where(model.name.ilike(f"%{name.replace('%', '')}%"))
        return await statement_connection(
            info, stmt, model.id, McpGateway.from_agent, first, after, last, before
        )

    @strawberry.field(
        description="The organization's default gateway: its built-in one, else its oldest "
        "organization-wide one; null when it has none."
    )
    async def default_mcp_gateway(
        self,
        info: AtriumInfo,
        organization_id: Annotated[
            ID | None,
            strawberry.argument(description="Organization; the credential's only one if omitted."),
        ] = None,
    ) -> McpGateway | None:
        context = info.context
        context.principal.require_authenticated()
        if organization_id is not None and context.principal.role_in(organization_id) is None:
            raise NotFound("Organization", organization_id)
        try:
            async with context.session() as session:
                row = await gateways.default_gateway(context, session, organization_id)
        except UserErrors as error:  # no organization given and several reachable
            raise BadUserInput(error.errors[0].message) from None
        return McpGateway.from_agent(row) if row else None
