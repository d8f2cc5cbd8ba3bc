"""Identity types: users, organizations, teams, memberships, invitations, keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import strawberry

from atrium.core.errors import Forbidden
from atrium.core.ids import register_prefix
from atrium.core.policy import Action, Role, Scope
from atrium.models import identity as models
from atrium.models.identity import ApiKeyKind, Plan, TeamRole
from atrium.resolvers.identity import loaders
from atrium.resolvers.identity.api_keys import ApiKeyExpiry
from atrium.resolvers.identity.invitations import InvitationStatus, invitation_status
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    Node,
    child_connection,
    selects_item_field,
)
from atrium.schema.jobs import Job, JobStatusFilter, organization_jobs
from atrium.schema.webhooks import WebhookEndpoint, organization_webhook_endpoints

strawberry.enum(Role, name="Role", description="A member's role in an organization.")
strawberry.enum(
    Scope,
    name="ApiKeyScope",
    description="What a key may do: READ (queries, subscriptions), WRITE (+ mutations), "
    "ADMIN (+ members, keys, plan).",
)
strawberry.enum(
    models.Plan, name="Plan", description="Billing plan; sets the hourly rate-limit budget."
)
strawberry.enum(models.TeamRole, name="TeamRole", description="A member's role in a team.")
strawberry.enum(
    models.ApiKeyKind,
    name="ApiKeyKind",
    description="SECRET (`sk_live_…`, for servers) or PUBLISHABLE (`pk_live_…`, clients, "
    "READ only).",
)
strawberry.enum(ApiKeyExpiry, name="ApiKeyExpiry", description="How long a new key lives.")
strawberry.enum(
    InvitationStatus, name="InvitationStatus", description="Where an invitation stands."
)


async def load_user(info: AtriumInfo, user_id: str | None) -> User | None:
    if user_id is None:
        return None
    row = await info.context.loaders.get(loaders.users_by_id).load(user_id)
    return User.from_model(row) if row else None


async def load_organization(info: AtriumInfo, organization_id: str) -> Organization | None:
    row = await info.context.loaders.get(loaders.organizations_by_id).load(organization_id)
    return Organization.from_model(row) if row else None


@strawberry.type(description="A person with an Atrium account.")
class User(Node):
    name: str = strawberry.field(description="Display name.")
    email: str = strawberry.field(description="Sign-in email address.")
    timezone: str = strawberry.field(description="IANA time zone, e.g. `Europe/Paris`.")
    created_at: datetime = strawberry.field(description="When the account was created.")

    @classmethod
    def from_model(cls, row: models.User) -> User:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            email=row.email,
            timezone=row.timezone,
            created_at=row.created_at,
        )

    @strawberry.field(description="Organizations this user belongs to that you can see.")
    async def memberships(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Membership]:
        if self.id != info.context.principal.user_id:
            raise Forbidden("Only your own memberships are listed; use `organization.members`")
        return await child_connection(
            info,
            self.id,
            loaders.memberships_by_user,
            loaders.membership_counts_by_user,
            Membership.from_model,
            first,
            after,
            last,
            before,
        )


@strawberry.type(description="A tenant: every object in Atrium belongs to one organization.")
class Organization(Node):
    name: str = strawberry.field(description="Display name.")
    slug: str = strawberry.field(description="URL-safe unique name.")
    plan: Plan = strawberry.field(description="Billing plan.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_model(cls, row: models.Organization) -> Organization:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            slug=row.slug,
            plan=row.plan,
            created_at=row.created_at,
        )

    @strawberry.field(description="Your role here.")
    def viewer_role(self, info: AtriumInfo) -> Role | None:
        return info.context.principal.role_in(self.id)

    @strawberry.field(description="Members and their roles.")
    async def members(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Membership]:
        with_users = selects_item_field(info, "user")
        return await child_connection(
            info,
            self.id,
            loaders.memberships_with_users_by_organization
            if with_users
            else loaders.memberships_by_organization,
            loaders.membership_counts_by_organization,
            Membership.from_model,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="Teams of this organization.")
    async def teams(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Team]:
        return await child_connection(
            info,
            self.id,
            loaders.teams_by_organization,
            loaders.team_counts_by_organization,
            Team.from_model,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="Invitations sent (admins only).")
    async def invitations(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Invitation]:
        if not info.context.principal.can(Action.MEMBER_INVITE, self.id):
            raise Forbidden("Only admins can list invitations")
        return await child_connection(
            info,
            self.id,
            loaders.invitations_by_organization,
            loaders.invitation_counts_by_organization,
            Invitation.from_model,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="API keys: all of them for admins, your own otherwise.")
    async def api_keys(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ApiKey]:
        return await child_connection(
            info,
            self.id,
            loaders.api_keys_by_organization,
            loaders.api_key_counts_by_organization,
            ApiKey.from_model,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(description="Service accounts (admins only).")
    async def service_accounts(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ServiceAccount]:
        if not info.context.principal.can(Action.API_KEY_MANAGE, self.id):
            raise Forbidden("Only admins can list service accounts")
        return await child_connection(
            info,
            self.id,
            loaders.service_accounts_by_organization,
            loaders.service_account_counts_by_organization,
            ServiceAccount.from_model,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(
        description="Webhook endpoints receiving this organization's events (admins)."
    )
    async def webhook_endpoints(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[WebhookEndpoint]:
        if not info.context.principal.can(Action.WEBHOOK_MANAGE, self.id):
            raise Forbidden("Only admins can list webhook endpoints")
        return await organization_webhook_endpoints(info, self.id, first, after, last, before)

    @strawberry.field(description="Background jobs of this organization, newest first (admins).")
    async def jobs(
        self,
        info: AtriumInfo,
        status: JobStatusFilter = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Job]:
        if not info.context.principal.can(Action.JOB_READ, self.id):
            raise Forbidden("Only admins can list jobs")
        return await organization_jobs(info, self.id, status, first, after, last, before)


@strawberry.type(description="A user's membership of an organization.")
class Membership(Node):
    role: Role = strawberry.field(description="Role in the organization.")
    created_at: datetime = strawberry.field(description="When the user joined.")
    user_id: strawberry.Private[str]
    organization_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, row: models.Membership) -> Membership:
        return cls(
            id=strawberry.ID(row.id),
            role=row.role,
            created_at=row.created_at,
            user_id=row.user_id,
            organization_id=row.organization_id,
        )

    @strawberry.field(description="The member.")
    async def user(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.user_id)

    @strawberry.field(description="The organization.")
    async def organization(self, info: AtriumInfo) -> Organization | None:
        return await load_organization(info, self.organization_id)


@strawberry.type(description="A group of users inside an organization.")
class Team(Node):
    name: str = strawberry.field(description="Display name.")
    slug: str = strawberry.field(description="Unique within the organization.")
    description: str = strawberry.field(description="What the team is for.")
    created_at: datetime = strawberry.field(description="When it was created.")
    organization_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, row: models.Team) -> Team:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            slug=row.slug,
            description=row.description,
            created_at=row.created_at,
            organization_id=row.organization_id,
        )

    @strawberry.field(description="The organization.")
    async def organization(self, info: AtriumInfo) -> Organization | None:
        return await load_organization(info, self.organization_id)

    @strawberry.field(description="Members of the team.")
    async def members(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[TeamMember]:
        with_users = selects_item_field(info, "user")
        return await child_connection(
            info,
            self.id,
            loaders.team_members_with_users_by_team if with_users else loaders.team_members_by_team,
            loaders.team_member_counts_by_team,
            TeamMember.from_model,
            first,
            after,
            last,
            before,
        )


@strawberry.type(description="A user's membership of a team.")
class TeamMember(Node):
    role: TeamRole = strawberry.field(description="Role in the team.")
    created_at: datetime = strawberry.field(description="When the user joined the team.")
    user_id: strawberry.Private[str]
    team_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, row: models.TeamMembership) -> TeamMember:
        return cls(
            id=strawberry.ID(row.id),
            role=row.role,
            created_at=row.created_at,
            user_id=row.user_id,
            team_id=row.team_id,
        )

    @strawberry.field(description="The member.")
    async def user(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.user_id)

    @strawberry.field(description="The team.")
    async def team(self, info: AtriumInfo) -> Team | None:
        row = await info.context.loaders.get(loaders.teams_by_id).load(self.team_id)
        return Team.from_model(row) if row else None


@strawberry.type(description="An invitation to join an organization.")
class Invitation(Node):
    email: str = strawberry.field(description="Who is invited.")
    role: Role = strawberry.field(description="Role given on acceptance.")
    status: InvitationStatus = strawberry.field(
        description="Pending, accepted, revoked or expired."
    )
    expires_at: datetime = strawberry.field(description="When the token stops working.")
    created_at: datetime = strawberry.field(description="When it was sent.")
    organization_id: strawberry.Private[str]
    invited_by_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: models.Invitation) -> Invitation:
        return cls(
            id=strawberry.ID(row.id),
            email=row.email,
            role=row.role,
            status=invitation_status(row),
            expires_at=row.expires_at,
            created_at=row.created_at,
            organization_id=row.organization_id,
            invited_by_id=row.invited_by_id,
        )

    @strawberry.field(description="Who sent it.")
    async def invited_by(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.invited_by_id)

    @strawberry.field(description="The organization.")
    async def organization(self, info: AtriumInfo) -> Organization | None:
        return await load_organization(info, self.organization_id)


@strawberry.type(description="A non-human member of an organization that owns API keys.")
class ServiceAccount(Node):
    name: str = strawberry.field(description="Unique within the organization.")
    description: str = strawberry.field(description="What it is used for.")
    role: Role = strawberry.field(description="Role its keys act with.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_model(cls, row: models.ServiceAccount) -> ServiceAccount:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            description=row.description,
            role=row.role,
            created_at=row.created_at,
        )


@strawberry.type(description="An API key. The secret itself is shown once, when created.")
class ApiKey(Node):
    name: str = strawberry.field(description="What the key is for.")
    kind: ApiKeyKind = strawberry.field(description="Secret or publishable.")
    scope: Scope = strawberry.field(description="What the key may do.")
    prefix: str = strawberry.field(description="The key's first characters, to recognise it.")
    expires_at: datetime | None = strawberry.field(description="Null when it never expires.")
    last_used_at: datetime | None = strawberry.field(description="Last authenticated request.")
    revoked_at: datetime | None = strawberry.field(description="Set once revoked.")
    created_at: datetime = strawberry.field(description="When it was created.")
    user_id: strawberry.Private[str | None]
    service_account_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: models.ApiKey) -> ApiKey:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            kind=row.kind,
            scope=row.scope,
            prefix=row.lookup_prefix,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
            created_at=row.created_at,
            user_id=row.user_id,
            service_account_id=row.service_account_id,
        )

    @strawberry.field(description="The user owning a personal key.")
    async def user(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.user_id)

    @strawberry.field(description="The service account owning the key.")
    async def service_account(self, info: AtriumInfo) -> ServiceAccount | None:
        if self.service_account_id is None:
            return None
        row = await info.context.loaders.get(loaders.service_accounts_by_id).load(
            self.service_account_id
        )
        return ServiceAccount.from_model(row) if row else None


NODE_TYPES: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    "usr": (loaders.users_by_id, User.from_model),
    "org": (loaders.organizations_by_id, Organization.from_model),
    "mem": (loaders.memberships_by_id, Membership.from_model),
    "team": (loaders.teams_by_id, Team.from_model),
    "tmem": (loaders.team_members_by_id, TeamMember.from_model),
    "inv": (loaders.invitations_by_id, Invitation.from_model),
    "key": (loaders.api_keys_by_id, ApiKey.from_model),
    "sa": (loaders.service_accounts_by_id, ServiceAccount.from_model),
}
for _prefix, (_, _convert) in NODE_TYPES.items():
    register_prefix(_prefix, _convert.__self__.__name__)  # type: ignore[attr-defined]
