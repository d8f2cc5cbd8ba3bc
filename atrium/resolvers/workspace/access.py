"""Team-scoped access: a team's workspace is its members' and the organization admins'."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.policy import Action, Role
from atrium.models.identity import Team, TeamMembership
from atrium.resolvers.access import not_found, require
from atrium.resolvers.loading import visible_org_ids


def visible_team_ids(context: Context) -> Any:
    """Teams whose workspace the caller sees, as a subquery."""
    principal = context.principal
    orgs = visible_org_ids(context)
    admin_orgs = [o for o, role in principal.roles.items() if role in (Role.OWNER, Role.ADMIN)]
    if principal.service_account_id is not None:
        admin_orgs = list(orgs)
    mine = select(TeamMembership.team_id).where(TeamMembership.user_id == principal.user_id)
    return select(Team.id).where(
        and_(
            Team.organization_id.in_(orgs),
            or_(Team.id.in_(mine), Team.organization_id.in_(admin_orgs)),
        )
    )


async def team_for(
    context: Context,
    session: AsyncSession,
    team_id: str,
    action: Action,
    field: tuple[str, ...] = ("teamId",),
) -> Team:
    team = await session.scalar(
        select(Team).where(Team.id == team_id, Team.id.in_(visible_team_ids(context)))
    )
    if team is None:
        raise not_found("Team", team_id, field)
    require(context, team.organization_id, action, field=field)
    return team
