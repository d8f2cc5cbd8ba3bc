"""Code-health projects: create, change, delete; members, invitations, linked repositories.

Every member of the organization may see its projects. A project's OWNERs (and the
organization's admins) change it, its members and its repositories. A project always
keeps an OWNER: removing or demoting the last one is LAST_OWNER (seed 003's 409).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.mailer import MailMessage
from atrium.core.policy import Action, Role
from atrium.engines.health.schedule import schedule_error
from atrium.models.identity import Membership, User
from atrium.models.projects import (
    Project,
    ProjectInvitation,
    ProjectInvitationStatus,
    ProjectMember,
    ProjectRepository,
    ProjectRole,
)
from atrium.models.repositories import Repository
from atrium.resolvers.access import default_organization, get_for_action, not_found, require
from atrium.resolvers.auth.accounts import normalize_email, validate_email
from atrium.resolvers.identity.events import emit as emit_identity_event

KEY = re.compile(r"^[A-Z][A-Z0-9]{1,19}$")
# Settings read by automatic assessments (resolvers.health.triggers).
SCHEDULE_SETTING = "assessment_schedule"  # cron expression (UTC) or @daily…; null: none
PUSH_SETTING = "assess_on_push"  # assess a linked repository's new head on re-sync (true)


def _settings_errors(settings: dict[str, Any] | None) -> list[UserError]:
    errors = []
    settings = settings or {}
    expression = settings.get(SCHEDULE_SETTING)
    message = schedule_error(expression) if expression is not None else None
    if message:
        errors.append(UserError(message, UserErrorCode.INVALID, ("settings", SCHEDULE_SETTING)))
    if not isinstance(settings.get(PUSH_SETTING, True), bool):
        errors.append(
            UserError("Give true or false", UserErrorCode.INVALID, ("settings", PUSH_SETTING))
        )
    return errors


def _errors(name: str | None, key: str | None, creating: bool) -> list[UserError]:
    errors = []
    if (creating or name is not None) and not (name or "").strip():
        errors.append(UserError("Name can't be blank", UserErrorCode.REQUIRED, ("name",)))
    if name is not None and len(name) > 200:
        errors.append(UserError("At most 200 characters", UserErrorCode.TOO_LONG, ("name",)))
    if key is not None and not KEY.match(key):
        errors.append(
            UserError(
                "Key is 2-20 capital letters or digits, e.g. WEB", UserErrorCode.INVALID, ("key",)
            )
        )
    return errors


def _key_from(name: str) -> str:
    letters = re.sub(r"[^A-Za-z0-9]", "", name).upper()
    key = letters[:6] if letters[:1].isalpha() else "P" + letters[:5]
    return key if len(key) >= 2 else (key + "PRJ")[:3]


async def _unique_key(session: AsyncSession, organization_id: str, key: str, explicit: bool) -> str:
    taken = set(
        (
            await session.scalars(
                select(Project.key).where(Project.organization_id == organization_id)
            )
        ).all()
    )
    if key not in taken:
        return key
    if explicit:
        raise UserErrors.single("This key is taken", UserErrorCode.ALREADY_EXISTS, ("key",))
    n = 2
    while f"{key[:17]}{n}" in taken:
        n += 1
    return f"{key[:17]}{n}"


async def create_project(
    context: Context,
    session: AsyncSession,
    *,
    organization_id: str | None,
    name: str,
    key: str | None,
    description: str | None,
    settings: dict[str, Any] | None,
) -> Project:
    organization_id = default_organization(context, organization_id)
    require(context, organization_id, Action.WRITE, field=("organizationId",))
    errors = _errors(name, key, creating=True) + _settings_errors(settings)
    if errors:
        raise UserErrors(errors)
    project = Project(
        organization_id=organization_id,
        name=name.strip(),
        key=await _unique_key(session, organization_id, key or _key_from(name), key is not None),
        description=description or "",
        settings=settings or {},
        created_by_id=context.principal.user_id,
    )
    session.add(project)
    await session.flush()
    if context.principal.user_id is not None:
        session.add(
            ProjectMember(
                organization_id=organization_id,
                project_id=project.id,
                user_id=context.principal.user_id,
                role=ProjectRole.OWNER,
            )
        )
        await session.flush()
    return project


async def manageable(
    context: Context, session: AsyncSession, project_id: str, field: tuple[str, ...] = ("id",)
) -> Project:
    """The project, if the caller may change it: a project OWNER or an organization admin."""
    project = await get_for_action(context, session, Project, project_id, Action.WRITE, field=field)
    principal = context.principal
    if principal.role_in(project.organization_id) in (Role.OWNER, Role.ADMIN):
        return project
    if principal.service_account_id is not None:
        return project
    role = await session.scalar(
        select(ProjectMember.role).where(
            ProjectMember.project_id == project.id, ProjectMember.user_id == principal.user_id
        )
    )
    if role is not ProjectRole.OWNER:
        raise UserErrors.single(
            "Only the project's owners may change it", UserErrorCode.FORBIDDEN, field
        )
    return project


async def update_project(
    context: Context,
    session: AsyncSession,
    *,
    project_id: str,
    name: str | None,
    key: str | None,
    description: str | None,
    settings: dict[str, Any] | None,
) -> Project:
    project = await manageable(context, session, project_id)
    errors = _errors(name, key, creating=False) + _settings_errors(settings)
    if errors:
        raise UserErrors(errors)
    if name is not None:
        project.name = name.strip()
    if key is not None and key != project.key:
        project.key = await _unique_key(session, project.organization_id, key, True)
    if description is not None:
        project.description = description
    if settings is not None:
        project.settings = settings
    await session.flush()
    return project


async def delete_project(context: Context, session: AsyncSession, project_id: str) -> str:
    project = await manageable(context, session, project_id)
    await session.delete(project)
    await session.flush()
    return project_id


async def _member(session: AsyncSession, project: Project, user_id: str) -> ProjectMember:
    member = await session.scalar(
        select(ProjectMember).where(
            ProjectMember.project_id == project.id, ProjectMember.user_id == user_id
        )
    )
    if member is None:
        raise not_found("ProjectMember", user_id, ("userId",))
    return member


async def _owners(session: AsyncSession, project_id: str) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                ProjectMember.project_id == project_id, ProjectMember.role == ProjectRole.OWNER
            )
        )
        or 0
    )


def _last_owner() -> UserErrors:
    return UserErrors.single(
        "A project keeps at least one owner", UserErrorCode.LAST_OWNER, ("userId",)
    )


async def set_member_role(
    context: Context, session: AsyncSession, *, project_id: str, user_id: str, role: ProjectRole
) -> ProjectMember:
    project = await manageable(context, session, project_id)
    member = await _member(session, project, user_id)
    demoting = member.role is ProjectRole.OWNER and role is not ProjectRole.OWNER
    if demoting and await _owners(session, project.id) <= 1:
        raise _last_owner()
    member.role = role
    await session.flush()
    return member


async def remove_member(
    context: Context, session: AsyncSession, *, project_id: str, user_id: str
) -> str:
    project = await manageable(context, session, project_id)
    member = await _member(session, project, user_id)
    if member.role is ProjectRole.OWNER and await _owners(session, project.id) <= 1:
        raise _last_owner()
    await session.delete(member)
    await session.flush()
    return member.id


async def invite_member(
    context: Context, session: AsyncSession, *, project_id: str, email: str, role: ProjectRole
) -> tuple[ProjectInvitation, ProjectMember | None]:
    """Invite by email; someone already in the organization joins at once."""
    project = await manageable(context, session, project_id, ("projectId",))
    email = normalize_email(email)
    errors = validate_email(email)
    if errors:
        raise UserErrors([UserError(e.message, e.code, ("email",)) for e in errors])
    invitation = ProjectInvitation(
        organization_id=project.organization_id,
        project_id=project.id,
        email=email,
        role=role,
        invited_by_id=context.principal.user_id,
    )
    session.add(invitation)
    user_id = await session.scalar(
        select(User.id)
        .join(Membership, Membership.user_id == User.id)
        .where(User.email == email, Membership.organization_id == project.organization_id)
    )
    member = None
    if user_id is not None:
        member = await session.scalar(
            select(ProjectMember).where(
                ProjectMember.project_id == project.id, ProjectMember.user_id == user_id
            )
        )
        if member is None:
            member = ProjectMember(
                organization_id=project.organization_id,
                project_id=project.id,
                user_id=user_id,
                role=role,
            )
            session.add(member)
        invitation.status = ProjectInvitationStatus.ACCEPTED
    await session.flush()
    if user_id is None:  # not in the organization yet: tell them how to accept
        link = (
            f"{context.settings.public_url}/projects/{project.id}/invitations/{invitation.id}"
            "/accept"
        )
        message = MailMessage(
            to=email,
            subject=f"You are invited to the project {project.name}",
            body=f"Accept the invitation: {link}\nOr accept invitation {invitation.id} "
            "once signed in.",
            links=(link,),
        )
        context.after_commit(lambda: context.services.mailer.send(message))
    return invitation, member


async def accept_invitation(
    context: Context, session: AsyncSession, *, invitation_id: str, project_id: str | None = None
) -> tuple[ProjectInvitation, ProjectMember]:
    """The invitee (by email) joins the project; someone outside its organization joins that
    too, as a MEMBER, if an organization admin sent the invitation (otherwise an admin must
    invite them to the organization first, and joining it accepts the invitation)."""
    user_id = context.principal.require_user()
    field = ("id",)
    invitation = await session.get(ProjectInvitation, invitation_id)
    user = await session.get(User, user_id)
    if (
        invitation is None
        or user is None
        or normalize_email(user.email) != invitation.email  # strangers learn nothing
        or (project_id is not None and invitation.project_id != project_id)
    ):
        raise not_found("ProjectInvitation", invitation_id, field)
    if invitation.status is ProjectInvitationStatus.REVOKED:
        raise UserErrors.single("Invitation was revoked", UserErrorCode.REVOKED, field)
    if invitation.status is ProjectInvitationStatus.ACCEPTED:
        raise UserErrors.single("Invitation already accepted", UserErrorCode.ALREADY_USED, field)
    organization_id = invitation.organization_id
    in_org = await session.scalar(
        select(Membership.id).where(
            Membership.organization_id == organization_id, Membership.user_id == user_id
        )
    )
    if in_org is None:
        inviter_role = await session.scalar(
            select(Membership.role).where(
                Membership.organization_id == organization_id,
                Membership.user_id == invitation.invited_by_id,
            )
        )
        if inviter_role not in (Role.OWNER, Role.ADMIN):
            raise UserErrors.single(
                "Join the organization first: ask one of its admins to invite you",
                UserErrorCode.FORBIDDEN,
                field,
            )
        membership = Membership(organization_id=organization_id, user_id=user_id, role=Role.MEMBER)
        session.add(membership)
        await session.flush()
        await emit_identity_event(
            context,
            session,
            "member.added",
            organization_id,
            membership.id,
            user_id=user_id,
            membership_id=membership.id,
        )
        context.principal = context.principal.with_role(organization_id, Role.MEMBER)
    [member] = await join_invited_projects(
        session, organization_id, user_id, invitation.email, [invitation]
    )
    return invitation, member


async def join_invited_projects(
    session: AsyncSession,
    organization_id: str,
    user_id: str,
    email: str,
    invitations: list[ProjectInvitation] | None = None,
) -> list[ProjectMember]:
    """Accept pending project invitations of ``email`` in an organization ``user_id`` is in
    (all of them unless ``invitations`` are given); return the memberships."""
    if invitations is None:
        invitations = list(
            (
                await session.scalars(
                    select(ProjectInvitation).where(
                        ProjectInvitation.organization_id == organization_id,
                        ProjectInvitation.email == normalize_email(email),
                        ProjectInvitation.status == ProjectInvitationStatus.PENDING,
                    )
                )
            ).all()
        )
    members = []
    for invitation in invitations:
        member = await session.scalar(
            select(ProjectMember).where(
                ProjectMember.project_id == invitation.project_id,
                ProjectMember.user_id == user_id,
            )
        )
        if member is None:
            member = ProjectMember(
                organization_id=organization_id,
                project_id=invitation.project_id,
                user_id=user_id,
                role=invitation.role,
            )
            session.add(member)
        invitation.status = ProjectInvitationStatus.ACCEPTED
        members.append(member)
    await session.flush()
    return members


async def link_repository(
    context: Context, session: AsyncSession, *, project_id: str, repository_id: str
) -> ProjectRepository:
    project = await manageable(context, session, project_id, ("projectId",))
    repository = await session.get(Repository, repository_id)
    if repository is None or repository.organization_id != project.organization_id:
        raise not_found("Repository", repository_id, ("repositoryId",))
    link = await session.scalar(
        select(ProjectRepository).where(
            ProjectRepository.project_id == project.id,
            ProjectRepository.repository_id == repository.id,
        )
    )
    if link is None:
        link = ProjectRepository(
            organization_id=project.organization_id,
            project_id=project.id,
            repository_id=repository.id,
        )
        session.add(link)
        await session.flush()
    return link


async def unlink_repository(
    context: Context, session: AsyncSession, *, project_id: str, repository_id: str
) -> str:
    project = await manageable(context, session, project_id, ("projectId",))
    result = await session.execute(
        delete(ProjectRepository).where(
            ProjectRepository.project_id == project.id,
            ProjectRepository.repository_id == repository_id,
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise not_found("Repository", repository_id, ("repositoryId",))
    return repository_id
