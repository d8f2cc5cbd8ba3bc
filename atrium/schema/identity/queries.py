"""Identity queries: ``viewer`` (the caller and what is theirs) and ``organization``."""

from __future__ import annotations

from typing import Annotated, TypeVar

import strawberry
from sqlalchemy import select

from atrium.core.errors import NotFound
from atrium.core.policy import Action, Scope
from atrium.models import identity as models
from atrium.resolvers.loading import visible_org_ids
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    statement_connection,
)
from atrium.schema.identity.types import (
    ApiKey,
    Organization,
    ServiceAccount,
    Team,
    User,
    load_organization,
    load_user,
)

T = TypeVar("T")


@strawberry.type(description="Who is calling: the user or service account behind the credential.")
class Viewer:
    scope: Scope = strawberry.field(description="What the credential may do.")
    user_id: strawberry.Private[str | None]
    service_account_id: strawberry.Private[str | None]

    @strawberry.field(description="The signed-in user (null for a service account key).")
    async def user(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.user_id)

    @strawberry.field(description="The service account of the key in use, if any.")
    async def service_account(self, info: AtriumInfo) -> ServiceAccount | None:
        if self.service_account_id is None:
            return None
        async with info.context.session() as session:
            row = await session.get(models.ServiceAccount, self.service_account_id)
        return ServiceAccount.from_model(row) if row else None

    @strawberry.field(description="Organizations the credential reaches.")
    async def organizations(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Organization]:
        stmt = select(models.Organization).where(
            models.Organization.id.in_(info.context.principal.organization_ids)
        )
        return await statement_connection(
            info, stmt, models.Organization.id, Organization.from_model, first, after, last, before
        )

    @strawberry.field(description="Your personal API keys, in the organizations you reach.")
    async def api_keys(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ApiKey]:
        principal = info.context.principal
        stmt = select(models.ApiKey).where(
            models.ApiKey.user_id == principal.user_id,
            models.ApiKey.organization_id.in_(principal.organization_ids),
        )
        return await statement_connection(
            info, stmt, models.ApiKey.id, ApiKey.from_model, first, after, last, before
        )

    @strawberry.field(
        description="Teams you belong to, in the organizations the credential reaches."
    )
    async def teams(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Team]:
        principal = info.context.principal
        stmt = (
            select(models.Team)
            .join(models.TeamMembership, models.TeamMembership.team_id == models.Team.id)
            .where(
                models.TeamMembership.user_id == principal.user_id,
                models.Team.organization_id.in_(principal.organization_ids),
            )
        )
        return await statement_connection(
            info, stmt, models.Team.id, Team.from_model, first, after, last, before
        )

    @strawberry.field(
        description="Service accounts of the organizations where you manage keys "
        "(admins; empty for others)."
    )
    async def service_accounts(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ServiceAccount]:
        managed = visible_org_ids(info.context, Action.API_KEY_MANAGE)
        stmt = select(models.ServiceAccount).where(
            models.ServiceAccount.organization_id.in_(managed)
        )
        return await statement_connection(
            info,
            stmt,
            models.ServiceAccount.id,
            ServiceAccount.from_model,
            first,
            after,
            last,
            before,
        )


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="The caller. UNAUTHENTICATED without a credential.")
    def viewer(self, info: AtriumInfo) -> Viewer:
        principal = info.context.principal
        principal.require_authenticated()
        return Viewer(
            scope=Scope(principal.scope),
            user_id=principal.user_id,
            service_account_id=principal.service_account_id,
        )

    @strawberry.field(description="An organization by ID or slug (one of them).")
    async def organization(
        self,
        info: AtriumInfo,
        id: Annotated[strawberry.ID | None, strawberry.argument(description="Its ID.")] = None,
        slug: Annotated[str | None, strawberry.argument(description="Its slug.")] = None,
    ) -> Organization:
        info.context.principal.require_authenticated()
        organization_id: str | None = id
        if organization_id is None and slug is not None:
            async with info.context.session() as session:
                organization_id = await session.scalar(
                    select(models.Organization.id).where(models.Organization.slug == slug)
                )
        found = await load_organization(info, organization_id) if organization_id else None
        if found is None:
            raise NotFound("Organization", str(id or slug))
        return found
