"""Who sees which thread: a SQL condition shared by lists, loaders and mutations.

A user's thread: that user. A team's thread: the team's members and the organization's
admins. A service account acts for its organization and sees its threads, as a trusted
server script does in the seeds.

The conditions are built once per viewer (see :class:`Viewer`) and reused: building
one costs more CPU than SQLite spends running it, and a reused statement also keeps
SQLAlchemy's cache key, computed on first execution (bench/bench_nested_read.py).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, or_, select

from atrium.core.context import Context
from atrium.core.db import STATEMENT_CACHE_SIZE
from atrium.core.policy import Role
from atrium.models.identity import TeamMembership
from atrium.models.threads import Message, Thread
from atrium.resolvers.loading import visible_org_ids


class Viewer(NamedTuple):
    """What thread visibility depends on, of the caller."""

    organization_ids: tuple[str, ...]
    user_id: str | None
    admin_organization_ids: tuple[str, ...]  # where the caller sees every team's threads
    service_account: bool


def viewer(context: Context) -> Viewer:
    principal = context.principal
    return Viewer(
        tuple(visible_org_ids(context)),
        principal.user_id,
        tuple(o for o, role in principal.roles.items() if role in (Role.OWNER, Role.ADMIN)),
        principal.service_account_id is not None,
    )


def visible_threads(context: Context) -> ColumnElement[bool]:
    return threads_visible_to(viewer(context))


def visible_messages(context: Context) -> Select[Any]:
    """Messages of the threads the caller sees."""
    return messages_visible_to(viewer(context))


@lru_cache(maxsize=STATEMENT_CACHE_SIZE)
def threads_visible_to(who: Viewer) -> ColumnElement[bool]:
    if who.service_account:
        return Thread.organization_id.in_(who.organization_ids)
    my_teams = select(TeamMembership.team_id).where(TeamMembership.user_id == who.user_id)
    return and_(
        Thread.organization_id.in_(who.organization_ids),
        or_(
            Thread.owner_user_id == who.user_id,
            Thread.owner_team_id.in_(my_teams),
            and_(
                Thread.owner_team_id.is_not(None),
                Thread.organization_id.in_(who.admin_organization_ids),
            ),
        ),
    )


@lru_cache(maxsize=STATEMENT_CACHE_SIZE)
def messages_visible_to(who: Viewer) -> Select[Any]:
    return select(Message).where(
        Message.organization_id.in_(who.organization_ids),
        Message.thread_id.in_(select(Thread.id).where(threads_visible_to(who))),
    )
