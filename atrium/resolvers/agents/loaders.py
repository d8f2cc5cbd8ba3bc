"""Batch functions for agents: one statement per batch, visibility applied in SQL."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.models.agents import Agent, AgentLabel, AgentTeam
from atrium.resolvers.agents.visibility import visible_agents
from atrium.resolvers.loading import by_ids, visible_org_ids


async def agents_by_id(context: Context, keys: list[str]) -> list[Agent | None]:
    return await by_ids(
        context, select(Agent).where(Agent.id.in_(keys), visible_agents(context)), keys
    )


async def is_visible(context: Context, session: AsyncSession, agent_id: str) -> bool:
    found = await session.scalar(
        select(Agent.id).where(Agent.id == agent_id, visible_agents(context))
    )
    return found is not None


async def labels_by_agent(context: Context, keys: list[str]) -> list[dict[str, str]]:
    stmt = (
        select(AgentLabel)
        .where(
            AgentLabel.agent_id.in_(keys),
            AgentLabel.organization_id.in_(visible_org_ids(context)),
        )
        .order_by(AgentLabel.key)
    )
    found: dict[str, dict[str, str]] = {key: {} for key in keys}
    async with context.session() as session:
        for row in (await session.scalars(stmt)).all():
            found[row.agent_id][row.key] = row.value
    return [found[key] for key in keys]


async def team_ids_by_agent(context: Context, keys: list[str]) -> list[list[str]]:
    stmt = select(AgentTeam.agent_id, AgentTeam.team_id).where(
        AgentTeam.agent_id.in_(keys), AgentTeam.organization_id.in_(visible_org_ids(context))
    )
    found: dict[str, list[str]] = {key: [] for key in keys}
    async with context.session() as session:
        for agent_id, team_id in (await session.execute(stmt)).all():
            found[agent_id].append(team_id)
    return [found[key] for key in keys]
