"""Batch functions for identity rows; every one is a single statement per batch.

Loaders filter by what the caller may see, so a field that resolves through them can
never leak a row of another organization.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.db import STATEMENT_CACHE_SIZE
from atrium.core.policy import Action
from atrium.models.identity import (
    ApiKey,
    Invitation,
    Membership,
    Organization,
    ServiceAccount,
    Team,
    TeamMembership,
    User,
)
from atrium.resolvers.loading import (
    Caller,
    by_ids,
    caller,
    child_counts,
    child_pages,
    org_scoped,
    visible_org_ids,
)


async def organizations_by_id(context: Context, keys: list[str]) -> list[Organization | None]:
    stmt = select(Organization).where(
        Organization.id.in_(keys), Organization.id.in_(visible_org_ids(context))
    )
    return await by_ids(context, stmt, keys)


def _visible_users(context: Context) -> Select[Any]:
    """Users with the IDs of the ``keys`` parameter whom the caller shares an organization
    with (and the caller), built once per caller (see ``loading.Caller``)."""
    return _users_visible_to(caller(context))


@lru_cache(maxsize=STATEMENT_CACHE_SIZE)
def _users_visible_to(who: Caller) -> Select[Any]:
    shared = select(Membership.user_id).where(Membership.organization_id.in_(who.organization_ids))
    return select(User).where(
        User.id.in_(bindparam("keys", expanding=True)),
        or_(User.id == who.user_id, User.id.in_(shared)),
    )


async def users_by_id(context: Context, keys: list[str]) -> list[User | None]:
    """Users the caller shares an organization with (and the caller)."""
    return await by_ids(context, _visible_users(context), keys, {"keys": keys})


async def _prime_users(context: Context, session: AsyncSession, rows: Sequence[Any]) -> None:
    """Load the users of ``rows`` now, in the same batch, into the ``users_by_id`` cache.

    ``Membership.user`` then resolves from the cache instead of starting a batch of its
    own, whose size (and count) would depend on how resolution interleaves.
    """
    user_ids = sorted({row.user_id for row in rows})
    if not user_ids:
        return
    loader = context.loaders.get(users_by_id)
    for user in (await session.scalars(_visible_users(context), {"keys": user_ids})).all():
        loader.prime(user.id, user)


teams_by_id = org_scoped(Team)
team_members_by_id = org_scoped(TeamMembership)
memberships_by_id = org_scoped(Membership)
invitations_by_id = org_scoped(Invitation, Action.MEMBER_INVITE)
service_accounts_by_id = org_scoped(ServiceAccount, Action.API_KEY_MANAGE)


memberships_by_organization = child_pages(Membership, Membership.organization_id)
memberships_with_users_by_organization = child_pages(
    Membership, Membership.organization_id, prefetch=_prime_users
)
membership_counts_by_organization = child_counts(Membership, Membership.organization_id)


def _visible_memberships(context: Context) -> Select[Any]:
    """A user's memberships in the organizations the credential reaches (an API key: one)."""
    return select(Membership).where(Membership.organization_id.in_(visible_org_ids(context)))


memberships_by_user = child_pages(Membership, Membership.user_id, _visible_memberships)
membership_counts_by_user = child_counts(Membership, Membership.user_id, _visible_memberships)
teams_by_organization = child_pages(Team, Team.organization_id)
team_counts_by_organization = child_counts(Team, Team.organization_id)
team_members_by_team = child_pages(TeamMembership, TeamMembership.team_id)
team_members_with_users_by_team = child_pages(
    TeamMembership, TeamMembership.team_id, prefetch=_prime_users
)
team_member_counts_by_team = child_counts(TeamMembership, TeamMembership.team_id)
invitations_by_organization = child_pages(Invitation, Invitation.organization_id)
invitation_counts_by_organization = child_counts(Invitation, Invitation.organization_id)


def _visible_api_keys(context: Context) -> Select[Any]:
    """Key managers see every key of their organizations; others only their own."""
    principal = context.principal
    managed = [
        org_id
        for org_id in principal.organization_ids
        if principal.can(Action.API_KEY_MANAGE, org_id)
    ]
    return select(ApiKey).where(
        or_(ApiKey.organization_id.in_(managed), ApiKey.user_id == principal.user_id)
    )


api_keys_by_organization = child_pages(ApiKey, ApiKey.organization_id, _visible_api_keys)
api_key_counts_by_organization = child_counts(ApiKey, ApiKey.organization_id, _visible_api_keys)
service_accounts_by_organization = child_pages(ServiceAccount, ServiceAccount.organization_id)
service_account_counts_by_organization = child_counts(
    ServiceAccount, ServiceAccount.organization_id
)


async def api_keys_by_id(context: Context, keys: list[str]) -> list[ApiKey | None]:
    return await by_ids(context, _visible_api_keys(context).where(ApiKey.id.in_(keys)), keys)
