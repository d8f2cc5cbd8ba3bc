"""Teams inside an organization and their members."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.models.identity import Membership, Team, TeamMembership, TeamRole
from atrium.resolvers.access import default_organization, get_for_action, not_found, require
from atrium.resolvers.identity.events import emit
from atrium.resolvers.identity.organizations import slugify, validate_name, validate_slug


async def _unique_team_slug(
    session: AsyncSession, organization_id: str, slug: str, team_id: str | None = None
) -> str:
    existing = await session.scalar(
        select(Team.id).where(Team.organization_id == organization_id, Team.slug == slug)
    )
    if existing is not None and existing != team_id:
        raise UserErrors.single(
            "A team with this slug already exists", UserErrorCode.ALREADY_EXISTS, ("slug",)
        )
    return slug


async def create_team(
    context: Context,
    session: AsyncSession,
    *,
    organization_id: str | None,
    name: str,
    slug: str | None,
    description: str | None,
) -> Team:
    organization_id = default_organization(context, organization_id)
    require(context, organization_id, Action.TEAM_CREATE, field=("organizationId",))
    errors = validate_name(name) + (validate_slug(slug) if slug is not None else [])
    if errors:
        raise UserErrors(errors)
    team = Team(
        organization_id=organization_id,
        name=name.strip(),
        slug=await _unique_team_slug(session, organization_id, slug or slugify(name)),
        description=description or "",
    )
    session.add(team)
    await session.flush()
    if context.principal.user_id is not None:
        session.add(
            TeamMembership(
                organization_id=organization_id,
                team_id=team.id,
                user_id=context.principal.user_id,
                role=TeamRole.MAINTAINER,
            )
        )
        await session.flush()
    await emit(context, session, "team.created", organization_id, team.id, team_id=team.id)
    return team


async def _require_team_manage(context: Context, session: AsyncSession, team: Team) -> None:
    """Org admins manage every team; a team's maintainers manage their own."""
    if context.principal.can(Action.TEAM_MANAGE, team.organization_id):
        return
    maintainer = await session.scalar(
        select(TeamMembership.id).where(
            TeamMembership.team_id == team.id,
            TeamMembership.user_id == context.principal.user_id,
            TeamMembership.role == TeamRole.MAINTAINER,
        )
    )
    if maintainer is None or not context.principal.can(Action.WRITE, team.organization_id):
        raise UserErrors.single(
            "Only organization admins and team maintainers can change a team",
            UserErrorCode.FORBIDDEN,
        )


async def update_team(
    context: Context,
    session: AsyncSession,
    *,
    team_id: str,
    name: str | None,
    slug: str | None,
    description: str | None,
) -> Team:
    team = await get_for_action(context, session, Team, team_id, Action.READ)
    await _require_team_manage(context, session, team)
    errors = (validate_name(name) if name is not None else []) + (
        validate_slug(slug) if slug is not None else []
    )
    if errors:
        raise UserErrors(errors)
    if name is not None:
        team.name = name.strip()
    if slug is not None:
        team.slug = await _unique_team_slug(session, team.organization_id, slug, team.id)
    if description is not None:
        team.description = description
    await session.flush()
    await emit(context, session, "team.updated", team.organization_id, team.id, team_id=team.id)
    return team


async def delete_team(context: Context, session: AsyncSession, team_id: str) -> str:
    team = await get_for_action(context, session, Team, team_id, Action.READ)
    await _require_team_manage(context, session, team)
    await session.delete(team)
    await session.flush()
    await emit(context, session, "team.deleted", team.organization_id, team_id)
    return team_id


async def add_team_member(
    context: Context, session: AsyncSession, *, team_id: str, user_id: str, role: TeamRole
) -> TeamMembership:
    team = await get_for_action(context, session, Team, team_id, Action.READ, field=("teamId",))
    await _require_team_manage(context, session, team)
    in_org = await session.scalar(
        select(Membership.id).where(
            Membership.organization_id == team.organization_id, Membership.user_id == user_id
        )
    )
    if in_org is None:
        raise not_found("User", user_id, ("userId",))
    existing = await session.scalar(
        select(TeamMembership).where(
            TeamMembership.team_id == team_id, TeamMembership.user_id == user_id
        )
    )
    if existing is not None:
        existing.role = role
        await session.flush()
        await emit(
            context,
            session,
            "team.member_added",
            team.organization_id,
            existing.id,
            user_id=user_id,
            team_id=team_id,
        )
        return existing
    member = TeamMembership(
        organization_id=team.organization_id, team_id=team_id, user_id=user_id, role=role
    )
    session.add(member)
    await session.flush()
    await emit(
        context,
        session,
        "team.member_added",
        team.organization_id,
        member.id,
        user_id=user_id,
        team_id=team_id,
    )
    return member


async def remove_team_member(
    context: Context, session: AsyncSession, *, team_id: str, user_id: str
) -> TeamMembership:
    team = await get_for_action(context, session, Team, team_id, Action.READ, field=("teamId",))
    if user_id != context.principal.user_id:
        await _require_team_manage(context, session, team)
    member = await session.scalar(
        select(TeamMembership).where(
            TeamMembership.team_id == team_id, TeamMembership.user_id == user_id
        )
    )
    if member is None:
        raise not_found("TeamMember", user_id, ("userId",))
    await session.delete(member)
    await session.flush()
    await emit(
        context,
        session,
        "team.member_removed",
        team.organization_id,
        member.id,
        user_id=user_id,
        team_id=team_id,
    )
    return member
