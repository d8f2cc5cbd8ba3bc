"""Identity mutations: organizations, members, invitations, teams, keys, service accounts.

Each takes one ``input`` and returns a payload with ``userErrors``; the work is done by
``resolvers.identity`` inside :func:`run_mutation`'s savepoint.
"""

from __future__ import annotations

import strawberry

from atrium.core.policy import Role, Scope
from atrium.models import identity as models
from atrium.models.identity import ApiKeyKind, Plan, TeamRole
from atrium.resolvers.identity import api_keys, invitations, members, organizations, teams
from atrium.resolvers.identity.api_keys import ApiKeyExpiry
from atrium.schema.common import AtriumInfo, UserError, run_mutation
from atrium.schema.identity.types import (
    ApiKey,
    Invitation,
    Membership,
    Organization,
    ServiceAccount,
    Team,
    TeamMember,
)


@strawberry.input(description="A new organization; you become its OWNER.")
class CreateOrganizationInput:
    name: str = strawberry.field(description="Display name.")
    slug: str | None = strawberry.field(
        default=None, description="Defaults to one made from the name."
    )


@strawberry.input(description="Changes to an organization; omitted fields stay.")
class UpdateOrganizationInput:
    id: strawberry.ID = strawberry.field(description="The organization.")
    name: str | None = strawberry.field(default=None, description="New name.")
    slug: str | None = strawberry.field(default=None, description="New slug.")
    plan: Plan | None = strawberry.field(default=None, description="New plan (owners only).")


@strawberry.input(description="An object to delete, by ID.")
class DeleteInput:
    id: strawberry.ID = strawberry.field(description="ID of the object.")


@strawberry.type(description="Result of creating or updating an organization.")
class OrganizationPayload:
    organization: Organization | None = strawberry.field(description="The organization.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of a delete.")
class DeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="ID of the deleted object.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="A member and the organization.")
class MemberInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    user_id: strawberry.ID = strawberry.field(description="The member.")


@strawberry.input(description="A member's new role.")
class UpdateMemberRoleInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    user_id: strawberry.ID = strawberry.field(description="The member.")
    role: Role = strawberry.field(description="New role.")


@strawberry.type(description="Result of a membership change.")
class MembershipPayload:
    membership: Membership | None = strawberry.field(description="The membership.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="Invite someone by email.")
class CreateInvitationInput:
    organization_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The organization; defaults to the team's when `teamId` is given, "
        "else to the credential's only one.",
    )
    email: str = strawberry.field(description="Who to invite.")
    role: Role = strawberry.field(default=Role.MEMBER, description="Role on acceptance.")
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="Also join this team."
    )


@strawberry.type(description="Result of creating an invitation.")
class CreateInvitationPayload:
    invitation: Invitation | None = strawberry.field(description="The invitation.")
    token: str | None = strawberry.field(
        description="The acceptance token, shown only now (also mailed)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="Accept an invitation.")
class AcceptInvitationInput:
    token: str = strawberry.field(description="The token from the invitation.")


@strawberry.type(description="Result of revoking an invitation.")
class InvitationPayload:
    invitation: Invitation | None = strawberry.field(description="The invitation.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="A new team.")
class CreateTeamInput:
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="The organization; defaults to the credential's only one."
    )
    name: str = strawberry.field(description="Display name.")
    slug: str | None = strawberry.field(default=None, description="Defaults from the name.")
    description: str | None = strawberry.field(default=None, description="What it is for.")


@strawberry.input(description="Changes to a team; omitted fields stay.")
class UpdateTeamInput:
    id: strawberry.ID = strawberry.field(description="The team.")
    name: str | None = strawberry.field(default=None, description="New name.")
    slug: str | None = strawberry.field(default=None, description="New slug.")
    description: str | None = strawberry.field(default=None, description="New description.")


@strawberry.type(description="Result of creating or updating a team.")
class TeamPayload:
    team: Team | None = strawberry.field(description="The team.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(
    description="Add a member of the organization to a team (or change their team role)."
)
class AddTeamMemberInput:
    team_id: strawberry.ID = strawberry.field(description="The team.")
    user_id: strawberry.ID = strawberry.field(description="The user.")
    role: TeamRole = strawberry.field(default=models.TeamRole.MEMBER, description="Team role.")


@strawberry.input(description="Remove a user from a team.")
class RemoveTeamMemberInput:
    team_id: strawberry.ID = strawberry.field(description="The team.")
    user_id: strawberry.ID = strawberry.field(description="The user.")


@strawberry.type(description="Result of a team membership change.")
class TeamMemberPayload:
    team_member: TeamMember | None = strawberry.field(description="The team membership.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="A new API key, personal or for a service account.")
class CreateApiKeyInput:
    organization_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The organization the key acts in; defaults to the credential's only one.",
    )
    name: str = strawberry.field(description="What the key is for.")
    kind: ApiKeyKind = strawberry.field(
        default=models.ApiKeyKind.SECRET, description="Secret or publishable."
    )
    scope: Scope = strawberry.field(default=Scope.READ, description="What it may do.")
    expires_in: ApiKeyExpiry = strawberry.field(default=ApiKeyExpiry.NEVER, description="Lifetime.")
    service_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Owner, when not you."
    )


@strawberry.type(description="Result of creating an API key.")
class CreateApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(description="The key's record.")
    secret: str | None = strawberry.field(description="The full key. Shown only now: store it.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of revoking an API key.")
class ApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(description="The key's record.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="A new service account.")
class CreateServiceAccountInput:
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="The organization; defaults to the credential's only one."
    )
    name: str = strawberry.field(description="Unique name.")
    description: str | None = strawberry.field(default=None, description="What it is for.")
    role: Role = strawberry.field(default=Role.MEMBER, description="Role its keys act with.")


@strawberry.type(description="Result of creating a service account.")
class ServiceAccountPayload:
    service_account: ServiceAccount | None = strawberry.field(description="The account.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


def _id(value: str | None) -> strawberry.ID | None:
    return strawberry.ID(value) if value is not None else None


def _maybe(convert, row):  # type: ignore[no-untyped-def]
    return convert(row) if row is not None else None


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(description="Create an organization; you become its OWNER.")
    async def create_organization(
        self, info: AtriumInfo, input: CreateOrganizationInput
    ) -> OrganizationPayload:
        info.context.principal.require_user()
        row, errors = await run_mutation(
            info,
            lambda c, s: organizations.create_organization(c, s, name=input.name, slug=input.slug),
        )
        return OrganizationPayload(
            organization=_maybe(Organization.from_model, row), user_errors=errors
        )

    @strawberry.mutation(description="Rename an organization, change its slug or plan.")
    async def update_organization(
        self, info: AtriumInfo, input: UpdateOrganizationInput
    ) -> OrganizationPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: organizations.update_organization(
                c, s, organization_id=input.id, name=input.name, slug=input.slug, plan=input.plan
            ),
        )
        return OrganizationPayload(
            organization=_maybe(Organization.from_model, row), user_errors=errors
        )

    @strawberry.mutation(description="Delete an organization and everything in it (owners only).")
    async def delete_organization(self, info: AtriumInfo, input: DeleteInput) -> DeletePayload:
        deleted, errors = await run_mutation(
            info, lambda c, s: organizations.delete_organization(c, s, input.id)
        )
        return DeletePayload(deleted_id=_id(deleted), user_errors=errors)

    @strawberry.mutation(
        description="Change a member's role. Demoting the last OWNER is a LAST_OWNER error."
    )
    async def update_member_role(
        self, info: AtriumInfo, input: UpdateMemberRoleInput
    ) -> MembershipPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: members.update_member_role(
                c, s, organization_id=input.organization_id, user_id=input.user_id, role=input.role
            ),
        )
        return MembershipPayload(membership=_maybe(Membership.from_model, row), user_errors=errors)

    @strawberry.mutation(
        description="Remove a member, or leave (your own user ID). Not the last OWNER."
    )
    async def remove_member(self, info: AtriumInfo, input: MemberInput) -> MembershipPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: members.remove_member(
                c, s, organization_id=input.organization_id, user_id=input.user_id
            ),
        )
        return MembershipPayload(membership=_maybe(Membership.from_model, row), user_errors=errors)

    @strawberry.mutation(description="Invite someone by email; the token is mailed and shown once.")
    async def create_invitation(
        self, info: AtriumInfo, input: CreateInvitationInput
    ) -> CreateInvitationPayload:
        result, errors = await run_mutation(
            info,
            lambda c, s: invitations.create_invitation(
                c,
                s,
                organization_id=input.organization_id,
                email=input.email,
                role=input.role,
                team_id=input.team_id,
            ),
        )
        row, token = result if result else (None, None)
        return CreateInvitationPayload(
            invitation=_maybe(Invitation.from_model, row), token=token, user_errors=errors
        )

    @strawberry.mutation(description="Accept an invitation sent to your email.")
    async def accept_invitation(
        self, info: AtriumInfo, input: AcceptInvitationInput
    ) -> MembershipPayload:
        info.context.principal.require_user()
        row, errors = await run_mutation(
            info, lambda c, s: invitations.accept_invitation(c, s, input.token)
        )
        return MembershipPayload(membership=_maybe(Membership.from_model, row), user_errors=errors)

    @strawberry.mutation(description="Revoke a pending invitation.")
    async def revoke_invitation(self, info: AtriumInfo, input: DeleteInput) -> InvitationPayload:
        row, errors = await run_mutation(
            info, lambda c, s: invitations.revoke_invitation(c, s, input.id)
        )
        return InvitationPayload(invitation=_maybe(Invitation.from_model, row), user_errors=errors)

    @strawberry.mutation(description="Create a team; you become its maintainer.")
    async def create_team(self, info: AtriumInfo, input: CreateTeamInput) -> TeamPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: teams.create_team(
                c,
                s,
                organization_id=input.organization_id,
                name=input.name,
                slug=input.slug,
                description=input.description,
            ),
        )
        return TeamPayload(team=_maybe(Team.from_model, row), user_errors=errors)

    @strawberry.mutation(description="Rename or describe a team.")
    async def update_team(self, info: AtriumInfo, input: UpdateTeamInput) -> TeamPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: teams.update_team(
                c,
                s,
                team_id=input.id,
                name=input.name,
                slug=input.slug,
                description=input.description,
            ),
        )
        return TeamPayload(team=_maybe(Team.from_model, row), user_errors=errors)

    @strawberry.mutation(description="Delete a team (its members stay in the organization).")
    async def delete_team(self, info: AtriumInfo, input: DeleteInput) -> DeletePayload:
        deleted, errors = await run_mutation(info, lambda c, s: teams.delete_team(c, s, input.id))
        return DeletePayload(deleted_id=_id(deleted), user_errors=errors)

    @strawberry.mutation(
        description="Add an organization member to a team, or change their team role."
    )
    async def add_team_member(
        self, info: AtriumInfo, input: AddTeamMemberInput
    ) -> TeamMemberPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: teams.add_team_member(
                c, s, team_id=input.team_id, user_id=input.user_id, role=input.role
            ),
        )
        return TeamMemberPayload(team_member=_maybe(TeamMember.from_model, row), user_errors=errors)

    @strawberry.mutation(description="Remove a user from a team (or leave it).")
    async def remove_team_member(
        self, info: AtriumInfo, input: RemoveTeamMemberInput
    ) -> TeamMemberPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: teams.remove_team_member(
                c, s, team_id=input.team_id, user_id=input.user_id
            ),
        )
        return TeamMemberPayload(team_member=_maybe(TeamMember.from_model, row), user_errors=errors)

    @strawberry.mutation(
        description="Create an API key. The full key is in `secret`, shown only now."
    )
    async def create_api_key(
        self, info: AtriumInfo, input: CreateApiKeyInput
    ) -> CreateApiKeyPayload:
        result, errors = await run_mutation(
            info,
            lambda c, s: api_keys.create_api_key(
                c,
                s,
                organization_id=input.organization_id,
                name=input.name,
                kind=input.kind,
                scope=input.scope,
                expires_in=input.expires_in,
                service_account_id=input.service_account_id,
            ),
        )
        row, secret = result if result else (None, None)
        return CreateApiKeyPayload(
            api_key=_maybe(ApiKey.from_model, row), secret=secret, user_errors=errors
        )

    @strawberry.mutation(description="Revoke an API key, effective immediately.")
    async def revoke_api_key(self, info: AtriumInfo, input: DeleteInput) -> ApiKeyPayload:
        row, errors = await run_mutation(info, lambda c, s: api_keys.revoke_api_key(c, s, input.id))
        return ApiKeyPayload(api_key=_maybe(ApiKey.from_model, row), user_errors=errors)

    @strawberry.mutation(description="Create a service account to own keys for automation.")
    async def create_service_account(
        self, info: AtriumInfo, input: CreateServiceAccountInput
    ) -> ServiceAccountPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: api_keys.create_service_account(
                c,
                s,
                organization_id=input.organization_id,
                name=input.name,
                description=input.description,
                role=input.role,
            ),
        )
        return ServiceAccountPayload(
            service_account=_maybe(ServiceAccount.from_model, row), user_errors=errors
        )

    @strawberry.mutation(description="Delete a service account and its keys.")
    async def delete_service_account(self, info: AtriumInfo, input: DeleteInput) -> DeletePayload:
        deleted, errors = await run_mutation(
            info, lambda c, s: api_keys.delete_service_account(c, s, input.id)
        )
        return DeletePayload(deleted_id=_id(deleted), user_errors=errors)
