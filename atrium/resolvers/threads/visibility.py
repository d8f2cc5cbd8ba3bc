"""Who sees which thread: a SQL condition shared by lists, loaders and mutations.

A user's thread: that user. A team's thread: the team's members and the organization's
admins. A service account acts for its organization and sees its threads, as a trusted
server script does in the seeds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select

from atrium.core.context import Context
from atrium.core.policy import Role
from atrium.models.identity import TeamMembership
from atrium.models.threads import Thread
from atrium.resolvers.loading import visible_org_ids


def visible_threads(context: Context) -> Any:
    principal = context.principal
    orgs = visible_org_ids(context)
    if principal.service_account_id is not None:
        return Thread.organization_id.in_(orgs)
    admin_orgs = [o for o, role in principal.roles.items() if role in (Role.OWNER, Role.ADMIN)]
    my_teams = select(TeamMembership.team_id).where(TeamMembership.user_id == principal.user_id)
    return and_(
        Thread.organization_id.in_(orgs),
        or_(
            Thread.owner_user_id == principal.user_id,
            Thread.owner_team_id.in_(my_teams),
            and_(Thread.owner_team_id.is_not(None), Thread.organization_id.in_(admin_orgs)),
        ),
    )
