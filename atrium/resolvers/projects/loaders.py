"""Batch functions for projects: one statement per batch, tenant-filtered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.models.projects import Project, ProjectMember, ProjectRepository
from atrium.models.repositories import Repository
from atrium.resolvers.identity.loaders import _prime_users
from atrium.resolvers.loading import child_counts, child_pages, org_scoped, visible_org_ids
from atrium.resolvers.repositories.loaders import repositories_by_id

projects_by_id = org_scoped(Project)
project_members_by_id = org_scoped(ProjectMember)


async def _prime_repositories(context: Context, session: AsyncSession, rows: Sequence[Any]) -> None:
    """Load the linked repositories in the same batch, so each link costs no awaitable."""
    ids = sorted({row.repository_id for row in rows})
    if not ids:
        return
    loader = context.loaders.get(repositories_by_id)
    stmt = select(Repository).where(
        Repository.id.in_(ids), Repository.organization_id.in_(visible_org_ids(context))
    )
    for repository in (await session.scalars(stmt)).all():
        loader.prime(repository.id, repository)


members_by_project = child_pages(ProjectMember, ProjectMember.project_id, prefetch=_prime_users)
member_counts = child_counts(ProjectMember, ProjectMember.project_id)
links_by_project = child_pages(
    ProjectRepository, ProjectRepository.project_id, prefetch=_prime_repositories
)
link_counts = child_counts(ProjectRepository, ProjectRepository.project_id)


async def viewer_roles(context: Context, keys: list[str]) -> list[str | None]:
    """The caller's role in each project (None if not a member)."""
    stmt = select(ProjectMember.project_id, ProjectMember.role).where(
        ProjectMember.project_id.in_(keys), ProjectMember.user_id == context.principal.user_id
    )
    async with context.session() as session:
        roles = {project: role.value for project, role in (await session.execute(stmt)).all()}
    return [roles.get(key) for key in keys]
