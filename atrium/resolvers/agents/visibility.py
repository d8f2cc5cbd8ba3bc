"""Who sees which agent: a SQL condition, so lists, loaders and counts agree.

ORG and BUILT_IN agents: every member. PERSONAL: their author only. TEAM: members of
one of the agent's teams, and the organization's admins and owners.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, or_, select

from atrium.core.context import Context
from atrium.core.policy import Role
from atrium.models.agents import Agent, AgentScope, AgentTeam
from atrium.models.identity import TeamMembership
from atrium.resolvers.loading import visible_org_ids

ADMIN_ROLES = (Role.OWNER, Role.ADMIN)


def visible_agents(context: Context) -> Any:
    principal = context.principal
    user_id = principal.user_id
    admin_orgs = [org for org, role in principal.roles.items() if role in ADMIN_ROLES]
    if principal.service_account_id is not None:
        admin_orgs = list(principal.roles)  # service accounts act for the organization
    in_team = (
        exists(
            select(AgentTeam.id)
            .join(TeamMembership, TeamMembership.team_id == AgentTeam.team_id)
            .where(AgentTeam.agent_id == Agent.id, TeamMembership.user_id == user_id)
        )
        if user_id
        else None
    )
    team_rule: list[Any] = [Agent.organization_id.in_(admin_orgs)]
    if in_team is not None:
        team_rule.append(in_team)
    rules = [
        Agent.scope.in_([AgentScope.ORG, AgentScope.BUILT_IN]),
        and_(Agent.scope == AgentScope.TEAM, or_(*team_rule)),
    ]
    if user_id:
        rules.append(and_(Agent.scope == AgentScope.PERSONAL, Agent.author_id == user_id))
    return and_(Agent.organization_id.in_(visible_org_ids(context)), or_(*rules))
