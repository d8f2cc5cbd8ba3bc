"""Batch functions for repositories and environments."""

from __future__ import annotations

from sqlalchemy import select

from atrium.core.context import Context
from atrium.models.repositories import Environment, EnvironmentStatus, Repository
from atrium.resolvers.loading import org_scoped, visible_org_ids

repositories_by_id = org_scoped(Repository)
environments_by_id = org_scoped(Environment)


async def environments_by_repository(context: Context, keys: list[str]) -> list[list[Environment]]:
    """Each repository's active worktrees, oldest first."""
    stmt = (
        select(Environment)
        .where(
            Environment.repository_id.in_(keys),
            Environment.organization_id.in_(visible_org_ids(context)),
            Environment.status == EnvironmentStatus.ACTIVE,
        )
        .order_by(Environment.id)
    )
    found: dict[str, list[Environment]] = {key: [] for key in keys}
    async with context.session() as session:
        for row in (await session.scalars(stmt)).all():
            found[row.repository_id].append(row)
    return [found[key] for key in keys]
