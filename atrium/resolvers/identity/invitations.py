"""Invitations: an admin invites an email with a role; the invitee accepts with the token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserErrorCode, UserErrors
from atrium.core.mailer import MailMessage
from atrium.core.policy import Action, Role, can_grant
from atrium.core.security import new_secret, sha256
from atrium.models.identity import (
    Invitation,
    Membership,
    Organization,
    Team,
    TeamMembership,
    User,
)
from atrium.resolvers.access import default_organization, get_for_action, not_found, require
from atrium.resolvers.auth.accounts import normalize_email, validate_email
from atrium.resolvers.identity.events import emit
from atrium.resolvers.projects.projects import join_invited_projects

INVITATION_PREFIX = "inv_tok_"


class InvitationStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


def invitation_status(invitation: Invitation, now: datetime | None = None) -> InvitationStatus:
    if invitation.accepted_at is not None:
        return InvitationStatus.ACCEPTED
    if invitation.revoked_at is not None:
        return InvitationStatus.REVOKED
    if invitation.expires_at <= (now or datetime.now(UTC)):
        return InvitationStatus.EXPIRED
    return InvitationStatus.PENDING


async def create_invitation(
    context: Context,
    session: AsyncSession,
    *,
    organization_id: str | None,
    email: str,
    role: Role,
    team_id: str | None,
) -> tuple[Invitation, str]:
    """The invitation and its token (shown once, also mailed).

    Without ``organization_id`` the team's organization is meant (ArchAstro invites to
    a team by its ID alone), else the credential's only organization.
    """
    if organization_id is None and team_id is not None:
        team = await session.get(Team, team_id)
        if team is None or context.principal.role_in(team.organization_id) is None:
            raise not_found("Team", team_id, ("teamId",))
        organization_id = team.organization_id
    organization_id = default_organization(context, organization_id)
    granter = require(context, organization_id, Action.MEMBER_INVITE, field=("organizationId",))
    email = normalize_email(email)
    errors = validate_email(email)
    if errors:
        raise UserErrors(errors)
    if not can_grant(granter, role):
        raise UserErrors.single(
            f"Your role cannot invite a {role.value}", UserErrorCode.FORBIDDEN, ("role",)
        )
    if team_id is not None:
        team = await session.get(Team, team_id)
        if team is None or team.organization_id != organization_id:
            raise not_found("Team", team_id, ("teamId",))
    already = await session.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == organization_id, func.lower(User.email) == email)
    )
    if already is not None:
        raise UserErrors.single(
            "This person is already a member", UserErrorCode.ALREADY_EXISTS, ("email",)
        )
    token = INVITATION_PREFIX + new_secret()
    invitation = Invitation(
        organization_id=organization_id,
        team_id=team_id,
        email=email,
        role=role,
        token_hash=sha256(token),
        invited_by_id=context.principal.user_id,
        expires_at=datetime.now(UTC) + timedelta(seconds=context.settings.invitation_ttl_seconds),
    )
    session.add(invitation)
    await session.flush()
    await emit(
        context,
        session,
        "invitation.created",
        organization_id,
        invitation.id,
        invitation_id=invitation.id,
    )
    organization = await session.get(Organization, organization_id)
    link = f"{context.settings.public_url}/invitations/accept?token={token}"
    message = MailMessage(
        to=email,
        subject=f"You are invited to {organization.name if organization else 'an organization'}",
        body=f"Accept the invitation: {link}\nOr use the token: {token}",
        links=(link,),
    )
    context.after_commit(lambda: context.services.mailer.send(message))
    return invitation, token


async def accept_invitation(context: Context, session: AsyncSession, token: str) -> Membership:
    user_id = context.principal.require_user()
    invitation = await session.scalar(
        select(Invitation).where(Invitation.token_hash == sha256(token))
    )
    field = ("token",)
    if invitation is None:
        raise UserErrors.single("Invitation not found", UserErrorCode.NOT_FOUND, field)
    # Whose invitation it is comes first: a stranger holding the token learns nothing more.
    user = await session.get(User, user_id)
    if user is None or normalize_email(user.email) != invitation.email:
        raise UserErrors.single(
            "This invitation was sent to another email address", UserErrorCode.FORBIDDEN, field
        )
    status = invitation_status(invitation)
    if status is InvitationStatus.ACCEPTED:
        raise UserErrors.single("Invitation already accepted", UserErrorCode.ALREADY_USED, field)
    if status is InvitationStatus.REVOKED:
        raise UserErrors.single("Invitation was revoked", UserErrorCode.REVOKED, field)
    if status is InvitationStatus.EXPIRED:
        raise UserErrors.single("Invitation has expired", UserErrorCode.EXPIRED, field)
    existing = await session.scalar(
        select(Membership).where(
            Membership.organization_id == invitation.organization_id, Membership.user_id == user_id
        )
    )
    if existing is not None:
        raise UserErrors.single("You are already a member", UserErrorCode.ALREADY_EXISTS, field)
    membership = Membership(
        organization_id=invitation.organization_id, user_id=user_id, role=invitation.role
    )
    session.add(membership)
    if invitation.team_id is not None:
        session.add(
            TeamMembership(
                organization_id=invitation.organization_id,
                team_id=invitation.team_id,
                user_id=user_id,
            )
        )
    invitation.accepted_at = datetime.now(UTC)
    invitation.accepted_by_id = user_id
    await session.flush()
    # project invitations waiting for them to join come true now (Octokraft)
    await join_invited_projects(session, invitation.organization_id, user_id, invitation.email)
    await emit(
        context,
        session,
        "invitation.accepted",
        invitation.organization_id,
        invitation.id,
        invitation_id=invitation.id,
    )
    await emit(
        context,
        session,
        "member.added",
        invitation.organization_id,
        membership.id,
        user_id=user_id,
        membership_id=membership.id,
    )
    context.principal = context.principal.with_role(
        invitation.organization_id, Role(invitation.role)
    )
    return membership


async def revoke_invitation(
    context: Context, session: AsyncSession, invitation_id: str
) -> Invitation:
    invitation = await get_for_action(
        context, session, Invitation, invitation_id, Action.MEMBER_INVITE
    )
    if invitation_status(invitation) is not InvitationStatus.PENDING:
        raise UserErrors.single(
            "Only a pending invitation can be revoked", UserErrorCode.CONFLICT, ("id",)
        )
    invitation.revoked_at = datetime.now(UTC)
    await session.flush()
    await emit(
        context,
        session,
        "invitation.revoked",
        invitation.organization_id,
        invitation.id,
        invitation_id=invitation.id,
    )
    return invitation
