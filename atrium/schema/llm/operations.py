"""Queries and mutations of LLM proxies: the default proxy, virtual keys, usage limits and
recorded calls."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import select

from atrium.core.errors import NotFound
from atrium.engines.llm import LimitEntity, LimitInterval, LimitType
from atrium.models.agents import Agent as AgentRow
from atrium.models.agents import AgentScope, AgentType
from atrium.models.llm import LlmRequest, LlmVirtualKey, UsageLimit
from atrium.resolvers.access import readable_organization
from atrium.resolvers.agents.visibility import visible_agents
from atrium.resolvers.llm import keys as key_service
from atrium.resolvers.llm import limits as limit_service
from atrium.resolvers.llm import loaders
from atrium.resolvers.loading import visible_org_ids
from atrium.schema.agents import Agent
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    UserError,
    run_mutation,
    selects_item_field,
    statement_connection,
)
from atrium.schema.llm.types import USAGE_FIELDS, LlmRequestRecord
from atrium.schema.llm.types import LlmVirtualKey as LlmVirtualKeyType
from atrium.schema.llm.types import UsageLimit as UsageLimitType


def _arg(description: str) -> Any:
    return strawberry.argument(description=description)


OrgArg = Annotated[
    strawberry.ID | None, _arg("Organization; the credential's only one when omitted.")
]


def _org(info: AtriumInfo, organization_id: str | None) -> str:
    return readable_organization(info.context, organization_id)


@strawberry.type
class LlmQuery:
    @strawberry.field(
        description="The organization's default LLM proxy: its built-in one, else the oldest "
        "LLM_PROXY agent you can see. NOT_FOUND when it has none."
    )
    async def default_llm_proxy(self, info: AtriumInfo, organization_id: OrgArg = None) -> Agent:
        org = _org(info, organization_id)
        stmt = (
            select(AgentRow)
            .where(
                AgentRow.organization_id == org,
                AgentRow.type == AgentType.LLM_PROXY,
                visible_agents(info.context),
            )
            .order_by((AgentRow.scope != AgentScope.BUILT_IN), AgentRow.created_at, AgentRow.id)
            .limit(1)
        )
        async with info.context.session() as session:
            row = await session.scalar(stmt)
        if row is None:
            raise NotFound("LlmProxy", "default")
        return Agent.from_model(row)

    @strawberry.field(description="Virtual keys of an LLM proxy, newest first.")
    async def llm_virtual_keys(
        self,
        info: AtriumInfo,
        proxy_id: Annotated[strawberry.ID, _arg("The proxy.")],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[LlmVirtualKeyType]:
        info.context.principal.require_authenticated()
        async with info.context.session() as session:
            proxy = await session.scalar(
                select(AgentRow.id).where(
                    AgentRow.id == proxy_id,
                    AgentRow.type == AgentType.LLM_PROXY,
                    visible_agents(info.context),
                )
            )
        if proxy is None:
            raise NotFound("LlmProxy", proxy_id)
        stmt = select(LlmVirtualKey).where(LlmVirtualKey.agent_id == proxy_id)
        return await statement_connection(
            info,
            stmt,
            LlmVirtualKey.id,
            LlmVirtualKeyType.from_model,
            first,
            after,
            last,
            before,
            descending=True,
        )

    @strawberry.field(description="Usage limits, filtered as Archestra filters them.")
    async def usage_limits(
        self,
        info: AtriumInfo,
        organization_id: Annotated[strawberry.ID | None, _arg("Only this organization.")] = None,
        entity_type: Annotated[LimitEntity | None, _arg("Only limits on this.")] = None,
        entity_id: Annotated[strawberry.ID | None, _arg("Only limits on this one.")] = None,
        limit_type: Annotated[LimitType | None, _arg("Only this type.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[UsageLimitType]:
        info.context.principal.require_authenticated()
        stmt = select(UsageLimit).where(
            UsageLimit.organization_id.in_(visible_org_ids(info.context))
        )
        if organization_id is not None:
            stmt = stmt.where(UsageLimit.organization_id == organization_id)
        if entity_type is not None:
            stmt = stmt.where(UsageLimit.entity_type == entity_type)
        if entity_id is not None:
            stmt = stmt.where(UsageLimit.entity_id == entity_id)
        if limit_type is not None:
            stmt = stmt.where(UsageLimit.limit_type == limit_type)
        connection = await statement_connection(
            info, stmt, UsageLimit.id, UsageLimitType.from_model, first, after, last, before
        )
        if any(selects_item_field(info, name) for name in USAGE_FIELDS):
            # one batch for the page, so every usage field of every row resolves at once
            ids = [item.id for item in connection.items]
            await info.context.loaders.get(loaders.limit_states).load_many(ids)
        return connection

    @strawberry.field(description="A usage limit by ID. NOT_FOUND when unknown or hidden.")
    async def usage_limit(
        self, info: AtriumInfo, id: Annotated[strawberry.ID, _arg("ID.")]
    ) -> UsageLimitType:
        info.context.principal.require_authenticated()
        row = await info.context.loaders.get(loaders.usage_limits_by_id).load(id)
        if row is None:
            raise NotFound("UsageLimit", id)
        return UsageLimitType.from_model(row)

    @strawberry.field(description="Calls recorded by LLM proxies, newest first.")
    async def llm_requests(
        self,
        info: AtriumInfo,
        organization_id: OrgArg = None,
        proxy_id: Annotated[strawberry.ID | None, _arg("Only this proxy.")] = None,
        virtual_key_id: Annotated[strawberry.ID | None, _arg("Only this key.")] = None,
        model: Annotated[str | None, _arg("Only this model.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[LlmRequestRecord]:
        org = _org(info, organization_id)
        stmt = select(LlmRequest).where(LlmRequest.organization_id == org)
        if proxy_id is not None:
            stmt = stmt.where(LlmRequest.agent_id == proxy_id)
        if virtual_key_id is not None:
            stmt = stmt.where(LlmRequest.virtual_key_id == virtual_key_id)
        if model is not None:
            stmt = stmt.where(LlmRequest.model == model)
        return await statement_connection(
            info,
            stmt,
            LlmRequest.id,
            LlmRequestRecord.from_model,
            first,
            after,
            last,
            before,
            descending=True,
        )


@strawberry.input(description="A new virtual key for an LLM proxy.")
class CreateLlmVirtualKeyInput:
    proxy_id: strawberry.ID = strawberry.field(description="The LLM_PROXY agent.")
    name: str = strawberry.field(description="Name.")
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="Team its calls are attributed to (and limited as)."
    )
    expires_at: datetime | None = strawberry.field(default=None, description="Expiry.")


@strawberry.type(description="A new virtual key, with its secret shown this once.")
class CreateLlmVirtualKeyPayload:
    virtual_key: LlmVirtualKeyType | None = strawberry.field(description="The key.")
    secret: str | None = strawberry.field(description="The secret (`vk_live_…`), shown once.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="A virtual key to revoke.")
class RevokeLlmVirtualKeyInput:
    id: strawberry.ID = strawberry.field(description="The key.")


@strawberry.type(description="Result of revoking a virtual key.")
class LlmVirtualKeyPayload:
    virtual_key: LlmVirtualKeyType | None = strawberry.field(description="The key.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="A new usage limit (admins).")
class CreateUsageLimitInput:
    name: str = strawberry.field(description="Name, quoted when it refuses a call.")
    limit_value: float = strawberry.field(description="USD for TOKEN_COST, calls for TOOL_CALLS.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Organization; the credential's only one when omitted."
    )
    entity_type: LimitEntity = strawberry.field(
        default=LimitEntity.ORGANIZATION, description="What it caps."
    )
    entity_id: strawberry.ID | None = strawberry.field(
        default=None, description="Which one (the organization when omitted)."
    )
    limit_type: LimitType = strawberry.field(
        default=LimitType.TOKEN_COST, description="What it counts."
    )
    models: list[str] | None = strawberry.field(
        default=None, description="Only calls to these models."
    )
    interval: LimitInterval = strawberry.field(
        default=LimitInterval.CALENDAR_MONTH, description="When usage resets."
    )


@strawberry.input(description="Changes to a usage limit; omitted fields stay.")
class UpdateUsageLimitInput:
    id: strawberry.ID = strawberry.field(description="The limit.")
    name: str | None = strawberry.field(default=None, description="Name.")
    limit_value: float | None = strawberry.field(default=None, description="The cap.")
    models: list[str] | None = strawberry.field(
        default=None, description="Only these models (empty list: all)."
    )
    interval: LimitInterval | None = strawberry.field(
        default=None, description="When usage resets (a new interval starts a new window)."
    )


@strawberry.input(description="A usage limit to delete.")
class DeleteUsageLimitInput:
    id: strawberry.ID = strawberry.field(description="The limit.")


@strawberry.type(description="Result of changing a usage limit.")
class UsageLimitPayload:
    usage_limit: UsageLimitType | None = strawberry.field(description="The limit.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of deleting a usage limit.")
class DeleteUsageLimitPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The deleted ID.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


def _limit(row: UsageLimit | None, errors: list[UserError]) -> UsageLimitPayload:
    return UsageLimitPayload(
        usage_limit=UsageLimitType.from_model(row) if row else None, user_errors=errors
    )


@strawberry.type
class LlmMutation:
    @strawberry.mutation(description="Create a virtual key for an LLM proxy.")
    async def create_llm_virtual_key(
        self, info: AtriumInfo, input: CreateLlmVirtualKeyInput
    ) -> CreateLlmVirtualKeyPayload:
        result, errors = await run_mutation(
            info,
            lambda c, s: key_service.create_virtual_key(
                c,
                s,
                proxy_id=input.proxy_id,
                name=input.name,
                team_id=input.team_id,
                expires_at=input.expires_at,
            ),
        )
        row, secret = result if result else (None, None)
        return CreateLlmVirtualKeyPayload(
            virtual_key=LlmVirtualKeyType.from_model(row) if row else None,
            secret=secret,
            user_errors=errors,
        )

    @strawberry.mutation(description="Revoke a virtual key; calls with it fail at once.")
    async def revoke_llm_virtual_key(
        self, info: AtriumInfo, input: RevokeLlmVirtualKeyInput
    ) -> LlmVirtualKeyPayload:
        row, errors = await run_mutation(
            info, lambda c, s: key_service.revoke_virtual_key(c, s, input.id)
        )
        return LlmVirtualKeyPayload(
            virtual_key=LlmVirtualKeyType.from_model(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Create a usage limit (admins).")
    async def create_usage_limit(
        self, info: AtriumInfo, input: CreateUsageLimitInput
    ) -> UsageLimitPayload:
        fields = limit_service.LimitFields(
            name=input.name,
            entity_type=input.entity_type,
            entity_id=input.entity_id,
            limit_type=input.limit_type,
            value=input.limit_value,
            models=input.models,
            interval=input.interval,
        )
        row, errors = await run_mutation(
            info,
            lambda c, s: limit_service.create_usage_limit(
                c, s, organization_id=input.organization_id, fields=fields
            ),
        )
        return _limit(row, errors)

    @strawberry.mutation(description="Change a usage limit (admins).")
    async def update_usage_limit(
        self, info: AtriumInfo, input: UpdateUsageLimitInput
    ) -> UsageLimitPayload:
        fields = limit_service.LimitFields(
            name=input.name, value=input.limit_value, models=input.models, interval=input.interval
        )
        row, errors = await run_mutation(
            info, lambda c, s: limit_service.update_usage_limit(c, s, input.id, fields)
        )
        return _limit(row, errors)

    @strawberry.mutation(description="Delete a usage limit (admins).")
    async def delete_usage_limit(
        self, info: AtriumInfo, input: DeleteUsageLimitInput
    ) -> DeleteUsageLimitPayload:
        deleted, errors = await run_mutation(
            info, lambda c, s: limit_service.delete_usage_limit(c, s, input.id)
        )
        return DeleteUsageLimitPayload(
            deleted_id=strawberry.ID(deleted) if deleted else None, user_errors=errors
        )


NODE_TYPES: dict[str, tuple[Any, Any]] = {
    "vkey": (loaders.virtual_keys_by_id, LlmVirtualKeyType.from_model),
    "ulim": (loaders.usage_limits_by_id, UsageLimitType.from_model),
    "llmr": (loaders.llm_requests_by_id, LlmRequestRecord.from_model),
}
