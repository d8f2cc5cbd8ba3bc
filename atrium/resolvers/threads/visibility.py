"""Who sees which thread: a SQL condition shared by lists, loaders and mutations.

A user's thread: that user. A team's thread: the team's members and the organization's
admins. A service account acts for its organization and sees its threads, as a trusted
server script does in the seeds.

The conditions are built once per caller (see ``loading.Caller``) and reused.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select

from atrium.core.context import Context
from atrium.core.db import STATEMENT_CACHE_SIZE
from atrium.models.identity import TeamMembership
from atrium.models.threads import Message, Thread
from atrium.resolvers.loading import Caller, caller


def visible_threads(context: Context) -> ColumnElement[bool]:
    return threads_visible_to(caller(context))


def visible_messages(context: Context) -> Select[Any]:
    """Messages of the threads the caller sees."""
    return messages_visible_to(caller(context))


@lru_cache(maxsize=STATEMENT_CACHE_SIZE)
def threads_visible_to(who: Caller) -> ColumnElement[bool]:
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
def messages_visible_to(who: Caller) -> Select[Any]:
    return select(Message).where(
        Message.organization_id.in_(who.organization_ids),
        Message.thread_id.in_(select(Thread.id).where(threads_visible_to(who))),
    )
