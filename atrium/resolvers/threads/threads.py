"""Creating, renaming and (softly) deleting threads.

Soft delete keeps a thread and its messages (Archon's conversations are "hidden, not
destroyed"); lists leave deleted threads out unless asked with ``includeDeleted``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.models.agents import Agent
from atrium.models.identity import Membership, Team, TeamMembership
from atrium.models.threads import Thread
from atrium.resolvers.access import default_organization, not_found, require
from atrium.resolvers.agents.loaders import is_visible as agent_is_visible
from atrium.resolvers.threads import events
from atrium.resolvers.threads.visibility import visible_threads

MAX_TITLE = 300

_UNSET = object()


async def get_thread(
    context: Context,
    session: AsyncSession,
    thread_id: str,
    *,
    field: tuple[str, ...] = ("id",),
    include_deleted: bool = False,
    for_update: bool = False,
    owner_id: str | None = None,
) -> Thread:
    """A thread the caller may see (NOT_FOUND otherwise), optionally row-locked.

    ``owner_id`` (a user or team ID, as the seeds' paths carry) must own the thread.
    """
    stmt = select(Thread).where(Thread.id == thread_id, visible_threads(context))
    if for_update:  # a locked read must see the row as committed, not as cached
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    thread = await session.scalar(stmt)
    if (
        thread is None
        or (thread.deleted_at is not None and not include_deleted)
        or (owner_id is not None and owner_id not in (thread.owner_user_id, thread.owner_team_id))
    ):
        raise not_found("Thread", thread_id, field)
    require(context, thread.organization_id, Action.READ, field=field)
    return thread


async def default_assistant(session: AsyncSession, organization_id: str) -> Agent | None:
    return await session.scalar(
        select(Agent).where(
            Agent.organization_id == organization_id, Agent.is_default_assistant.is_(True)
        )
    )


async def _owner(
    context: Context,
    session: AsyncSession,
    organization_id: str,
    user_id: str | None,
    team_id: str | None,
) -> tuple[str | None, str | None]:
    principal = context.principal
    if team_id is not None:
        team = await session.get(Team, team_id)
        if team is None or team.organization_id != organization_id:
            raise not_found("Team", team_id, ("teamId",))
        member = await session.scalar(
            select(TeamMembership.id).where(
                TeamMembership.team_id == team_id, TeamMembership.user_id == principal.user_id
            )
        )
        if member is None and principal.service_account_id is None:
            require(context, organization_id, Action.TEAM_MANAGE, field=("teamId",))
        return None, team_id
    owner = user_id or principal.user_id
    if owner is None:
        raise UserErrors.single(
            "Say whose thread it is (a service account has none of its own)",
            UserErrorCode.REQUIRED,
            ("userId",),
        )
    if owner != principal.user_id:
        in_org = await session.scalar(
            select(Membership.id).where(
                Membership.organization_id == organization_id, Membership.user_id == owner
            )
        )
        if principal.service_account_id is None or in_org is None:
            raise not_found("User", owner, ("userId",))
    return owner, None


async def create_thread(
    context: Context,
    session: AsyncSession,
    *,
    organization_id: str | None,
    user_id: str | None = None,
    team_id: str | None = None,
    title: str | None = None,
    agent_id: str | None = None,
    repository_id: str | None = None,
    use_default_assistant: bool = False,
) -> Thread:
    organization_id = default_organization(context, organization_id)
    require(context, organization_id, Action.WRITE, field=("organizationId",))
    _check_title(title)
    if repository_id is not None and len(repository_id) > 40:
        raise not_found("Repository", repository_id[:40], ("repositoryId",))
    owner_user, owner_team = await _owner(context, session, organization_id, user_id, team_id)
    agent = await _agent(context, session, organization_id, agent_id)
    if agent is None and use_default_assistant:
        agent = await default_assistant(session, organization_id)
    thread = Thread(
        organization_id=organization_id,
        owner_user_id=owner_user,
        owner_team_id=owner_team,
        title=(title or "").strip(),
        agent_id=agent.id if agent else None,
        repository_id=repository_id,
        created_by_id=context.principal.user_id,
    )
    session.add(thread)
    await session.flush()
    await events.emit(context, session, thread, events.THREAD_CREATED)
    return thread


async def _agent(
    context: Context, session: AsyncSession, organization_id: str, agent_id: str | None
) -> Agent | None:
    if agent_id is None:
        return None
    agent = await session.get(Agent, agent_id)
    if (
        agent is None
        or agent.organization_id != organization_id
        or not await agent_is_visible(context, session, agent_id)
    ):
        raise not_found("Agent", agent_id, ("agentId",))
    return agent


def _check_title(title: str | None) -> None:
    if title is not None and len(title) > MAX_TITLE:
        raise UserErrors(
            [UserError(f"At most {MAX_TITLE} characters", UserErrorCode.TOO_LONG, ("title",))]
        )


async def update_thread(
    context: Context,
    session: AsyncSession,
    *,
    thread_id: str,
    title: str | None = None,
    agent_id: object = _UNSET,
    owner_id: str | None = None,
) -> Thread:
    thread = await get_thread(context, session, thread_id, owner_id=owner_id)
    require(context, thread.organization_id, Action.WRITE, field=("id",))
    _check_title(title)
    if title is not None:
        thread.title = title.strip()
    if agent_id is not _UNSET:
        agent = await _agent(context, session, thread.organization_id, agent_id)  # type: ignore[arg-type]
        thread.agent_id = agent.id if agent else None
    await session.flush()
    await events.emit(context, session, thread, events.THREAD_UPDATED)
    return thread


async def delete_thread(
    context: Context, session: AsyncSession, thread_id: str, owner_id: str | None = None
) -> Thread:
    thread = await get_thread(context, session, thread_id, owner_id=owner_id)
    require(context, thread.organization_id, Action.WRITE, field=("id",))
    thread.deleted_at = datetime.now(UTC)
    await session.flush()
    await events.emit(context, session, thread, events.THREAD_DELETED)
    return thread


async def restore_thread(context: Context, session: AsyncSession, thread_id: str) -> Thread:
    thread = await get_thread(context, session, thread_id, include_deleted=True)
    require(context, thread.organization_id, Action.WRITE, field=("id",))
    thread.deleted_at = None
    await session.flush()
    await events.emit(context, session, thread, events.THREAD_UPDATED)
    return thread
