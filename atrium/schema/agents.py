"""Agents in the graph: types, the filtered list, and create / update / delete / import."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from sqlalchemy import exists, select
from strawberry.scalars import JSON

from atrium.core.errors import BadUserInput, NotFound
from atrium.models import agents as models
from atrium.resolvers.agents import agents as service
from atrium.resolvers.agents import loaders
from atrium.resolvers.agents.visibility import visible_agents
from atrium.resolvers.identity import loaders as identity_loaders
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    Node,
    UserError,
    run_mutation,
    statement_connection,
)
from atrium.schema.identity.types import Organization, Team, User, load_organization, load_user

MAX_FILTER_VALUES = 50

strawberry.enum(
    models.AgentType, name="AgentType", description="AGENT, MCP_GATEWAY, LLM_PROXY or PROFILE."
)
strawberry.enum(
    models.AgentScope,
    name="AgentScope",
    description="Who sees it: its author (PERSONAL), its teams (TEAM), the organization (ORG), "
    "or every organization has it (BUILT_IN).",
)


@strawberry.type(description="A key/value label.")
class Label:
    key: str = strawberry.field(description="Key.")
    value: str = strawberry.field(description="Value.")


@strawberry.input(description="A key/value label.")
class LabelInput:
    key: str = strawberry.field(description="Key (1-100 characters).")
    value: str = strawberry.field(description="Value (up to 200 characters).")


@strawberry.type(description="An AI agent, MCP gateway, LLM proxy or profile.")
class Agent(Node):
    name: str = strawberry.field(description="Name.")
    description: str = strawberry.field(description="What it does.")
    type: models.AgentType = strawberry.field(description="What kind of agent.")
    scope: models.AgentScope = strawberry.field(description="Who sees it.")
    model: str | None = strawberry.field(description="Model it answers with (server default).")
    system_prompt: str = strawberry.field(description="Instructions given with every reply.")
    provider: str | None = strawberry.field(description="`offline` or `openai` (server default).")
    provider_base_url: str | None = strawberry.field(description="OpenAI-compatible base URL.")
    has_provider_api_key: bool = strawberry.field(description="A key is set (never shown).")
    is_default_assistant: bool = strawberry.field(
        description="Answers the organization's Archon conversations."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    organization_id: strawberry.Private[str]
    author_id: strawberry.Private[str | None]
    row: strawberry.Private[models.Agent]

    @classmethod
    def from_model(cls, row: models.Agent) -> Agent:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            description=row.description,
            type=row.type,
            scope=row.scope,
            model=row.model,
            system_prompt=row.system_prompt,
            provider=row.provider,
            provider_base_url=row.provider_base_url,
            has_provider_api_key=bool(row.provider_api_key),
            is_default_assistant=row.is_default_assistant,
            created_at=row.created_at,
            updated_at=row.updated_at,
            organization_id=row.organization_id,
            author_id=row.author_id,
            row=row,
        )

    @strawberry.field(description="Labels, by key.")
    async def labels(self, info: AtriumInfo) -> list[Label]:
        found = await info.context.loaders.get(loaders.labels_by_agent).load(self.id)
        return [Label(key=k, value=v) for k, v in found.items()]

    @strawberry.field(description="Teams it belongs to.")
    async def teams(self, info: AtriumInfo) -> list[Team]:
        team_ids = await info.context.loaders.get(loaders.team_ids_by_agent).load(self.id)
        rows = await info.context.loaders.get(identity_loaders.teams_by_id).load_many(team_ids)
        return [Team.from_model(row) for row in rows if row is not None]

    @strawberry.field(description="Who created it (null for built-in agents).")
    async def author(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.author_id)

    @strawberry.field(description="The organization.")
    async def organization(self, info: AtriumInfo) -> Organization | None:
        return await load_organization(info, self.organization_id)

    @strawberry.field(
        description="Portable configuration (no IDs, no secrets) for `importAgent` elsewhere."
    )
    async def configuration(self, info: AtriumInfo) -> JSON:
        labels = await info.context.loaders.get(loaders.labels_by_agent).load(self.id)
        team_ids = await info.context.loaders.get(loaders.team_ids_by_agent).load(self.id)
        return cast("JSON", service.export_configuration(self.row, labels, team_ids))


async def load_agent(info: AtriumInfo, agent_id: str | None) -> Agent | None:
    if agent_id is None:
        return None
    row = await info.context.loaders.get(loaders.agents_by_id).load(agent_id)
    return Agent.from_model(row) if row else None


@strawberry.type
class AgentQuery:
    @strawberry.field(description="An agent by ID. NOT_FOUND when unknown or hidden from you.")
    async def agent(
        self, info: AtriumInfo, id: Annotated[strawberry.ID, strawberry.argument(description="ID.")]
    ) -> Agent:
        info.context.principal.require_authenticated()
        found = await load_agent(info, id)
        if found is None:
            raise NotFound("Agent", id)
        return found

    @strawberry.field(description="Agents you can see, filtered as Archestra filters them.")
    async def agents(
        self,
        info: AtriumInfo,
        organization_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this organization.")
        ] = None,
        name: Annotated[str | None, strawberry.argument(description="Name contains.")] = None,
        types: Annotated[
            list[models.AgentType] | None, strawberry.argument(description="Any of these types.")
        ] = None,
        scopes: Annotated[
            list[models.AgentScope] | None, strawberry.argument(description="Any of these scopes.")
        ] = None,
        labels: Annotated[
            list[LabelInput] | None, strawberry.argument(description="All of these labels.")
        ] = None,
        team_ids: Annotated[
            list[strawberry.ID] | None, strawberry.argument(description="In any of these teams.")
        ] = None,
        author_ids: Annotated[
            list[strawberry.ID] | None, strawberry.argument(description="By any of these users.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Agent]:
        info.context.principal.require_authenticated()
        for argument, values in (
            ("labels", labels),
            ("teamIds", team_ids),
            ("authorIds", author_ids),
        ):
            if values is not None and len(values) > MAX_FILTER_VALUES:
                raise BadUserInput(f"`{argument}` takes at most {MAX_FILTER_VALUES} values")
        model = models.Agent
        stmt = select(model).where(visible_agents(info.context))
        if organization_id is not None:
            stmt = stmt.where(model.organization_id == organization_id)
        if name:
            stmt = stmt.where(model.name.ilike(f"%{name.replace('%', '')}%"))
        if types:
            stmt = stmt.where(model.type.in_(types))
        if scopes:
            stmt = stmt.where(model.scope.in_(scopes))
        for label in labels or []:
            stmt = stmt.where(
                exists().where(
                    models.AgentLabel.agent_id == model.id,
                    models.AgentLabel.key == label.key,
                    models.AgentLabel.value == label.value,
                )
            )
        if team_ids:
            stmt = stmt.where(
                exists().where(
                    models.AgentTeam.agent_id == model.id, models.AgentTeam.team_id.in_(team_ids)
                )
            )
        if author_ids:
            stmt = stmt.where(model.author_id.in_(author_ids))
        return await statement_connection(
            info, stmt, model.id, Agent.from_model, first, after, last, before
        )


@strawberry.input(description="A new agent.")
class CreateAgentInput:
    name: str = strawberry.field(description="Name.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Organization; the credential's only one when omitted."
    )
    description: str | None = strawberry.field(default=None, description="What it does.")
    type: models.AgentType = strawberry.field(default=models.AgentType.AGENT, description="Kind.")
    scope: models.AgentScope = strawberry.field(
        default=models.AgentScope.ORG, description="Who sees it (not BUILT_IN)."
    )
    labels: list[LabelInput] | None = strawberry.field(default=None, description="Labels.")
    team_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Teams (required for TEAM scope)."
    )
    model: str | None = strawberry.field(default=None, description="Model name.")
    system_prompt: str | None = strawberry.field(default=None, description="Instructions.")
    provider: str | None = strawberry.field(default=None, description="`offline` or `openai`.")
    provider_base_url: str | None = strawberry.field(default=None, description="Base URL.")
    provider_api_key: str | None = strawberry.field(
        default=None, description="Key for the provider (stored, never returned)."
    )


@strawberry.input(description="Changes to an agent; omitted fields stay.")
class UpdateAgentInput:
    id: strawberry.ID = strawberry.field(description="The agent.")
    name: str | None = strawberry.field(default=None, description="Name.")
    description: str | None = strawberry.field(default=None, description="What it does.")
    type: models.AgentType | None = strawberry.field(default=None, description="Kind.")
    scope: models.AgentScope | None = strawberry.field(default=None, description="Who sees it.")
    labels: list[LabelInput] | None = strawberry.field(
        default=None, description="Replaces all labels."
    )
    team_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Replaces its teams."
    )
    model: str | None = strawberry.field(default=None, description="Model name.")
    system_prompt: str | None = strawberry.field(default=None, description="Instructions.")
    provider: str | None = strawberry.field(default=None, description="`offline` or `openai`.")
    provider_base_url: str | None = strawberry.field(
        default=None, description="Base URL (empty string clears it)."
    )
    provider_api_key: str | None = strawberry.field(
        default=None, description="Key (empty string clears it)."
    )


@strawberry.input(description="An agent to delete.")
class DeleteAgentInput:
    id: strawberry.ID = strawberry.field(description="The agent.")


@strawberry.input(description="An exported configuration to create an agent from.")
class ImportAgentInput:
    configuration: JSON = strawberry.field(description="What `Agent.configuration` returned.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Organization; the credential's only one when omitted."
    )
    team_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Teams, for a TEAM agent."
    )


@strawberry.type(description="Result of changing an agent.")
class AgentPayload:
    agent: Agent | None = strawberry.field(description="The agent.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of deleting an agent.")
class DeleteAgentPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The deleted ID.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


def _fields(input: Any) -> service.AgentFields:
    labels = input.labels
    return service.AgentFields(
        name=input.name,
        description=input.description,
        type=input.type,
        scope=input.scope,
        labels={label.key: label.value for label in labels} if labels is not None else None,
        team_ids=list(input.team_ids) if input.team_ids is not None else None,
        model=input.model,
        system_prompt=input.system_prompt,
        provider=input.provider,
        provider_base_url=input.provider_base_url,
        provider_api_key=input.provider_api_key,
    )


def _payload(row: Any, errors: list[UserError]) -> AgentPayload:
    return AgentPayload(agent=Agent.from_model(row) if row else None, user_errors=errors)


@strawberry.type
class AgentMutation:
    @strawberry.mutation(description="Create an agent.")
    async def create_agent(self, info: AtriumInfo, input: CreateAgentInput) -> AgentPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: service.create_agent(
                c, s, organization_id=input.organization_id, fields=_fields(input)
            ),
        )
        return _payload(row, errors)

    @strawberry.mutation(description="Change an agent (its author, its teams or an admin).")
    async def update_agent(self, info: AtriumInfo, input: UpdateAgentInput) -> AgentPayload:
        row, errors = await run_mutation(
            info, lambda c, s: service.update_agent(c, s, agent_id=input.id, fields=_fields(input))
        )
        return _payload(row, errors)

    @strawberry.mutation(description="Delete an agent (built-in agents stay).")
    async def delete_agent(self, info: AtriumInfo, input: DeleteAgentInput) -> DeleteAgentPayload:
        deleted, errors = await run_mutation(
            info, lambda c, s: service.delete_agent(c, s, input.id)
        )
        return DeleteAgentPayload(
            deleted_id=strawberry.ID(deleted) if deleted else None, user_errors=errors
        )

    @strawberry.mutation(description="Create an agent from an exported configuration.")
    async def import_agent(self, info: AtriumInfo, input: ImportAgentInput) -> AgentPayload:
        async def action(c: Any, s: Any) -> Any:
            fields = service.fields_from_configuration(input.configuration)
            if input.team_ids is not None:
                fields = dataclasses.replace(fields, team_ids=list(input.team_ids))
            return await service.create_agent(
                c, s, organization_id=input.organization_id, fields=fields
            )

        row, errors = await run_mutation(info, action)
        return _payload(row, errors)


NODE_TYPES: dict[str, tuple[Any, Any]] = {"agt": (loaders.agents_by_id, Agent.from_model)}
