"""Batch functions for identity rows; every one is a single statement per batch.

Loaders filter by what the caller may see, so a field that resolves through them can
never leak a row of another organization.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.pagination import ConnectionArgs, Page, count_by, fetch_pages
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


async def _by_ids(context: Context, stmt: Select[Any], keys: Sequence[str]) -> list[Any]:
    async with context.session() as session:
        rows = {row.id: row for row in (await session.scalars(stmt)).all()}
    return [rows.get(key) for key in keys]


def _visible_org_ids(context: Context, action: Action = Action.READ) -> list[str]:
    """Organizations in which the caller may ``action`` (by default: see them at all)."""
    principal = context.principal
    if action is Action.READ:
        return principal.organization_ids
    return [org_id for org_id in principal.organization_ids if principal.can(action, org_id)]


async def organizations_by_id(context: Context, keys: list[str]) -> list[Organization | None]:
    stmt = select(Organization).where(
        Organization.id.in_(keys), Organization.id.in_(_visible_org_ids(context))
    )
    return await _by_ids(context, stmt, keys)


def _visible_users(context: Context, keys: Sequence[str]) -> Select[Any]:
    """Users the caller shares an organization with (and the caller)."""
    shared = select(Membership.user_id).where(
        Membership.organization_id.in_(_visible_org_ids(context))
    )
    return select(User).where(
        User.id.in_(keys), or_(User.id == context.principal.user_id, User.id.in_(shared))
    )


async def users_by_id(context: Context, keys: list[str]) -> list[User | None]:
    """Users the caller shares an organization with (and the caller)."""
    return await _by_ids(context, _visible_users(context, keys), keys)


async def _prime_users(context: Context, session: AsyncSession, rows: Sequence[Any]) -> None:
    """Load the users of ``rows`` now, in the same batch, into the ``users_by_id`` cache.

    ``Membership.user`` then resolves from the cache instead of starting a batch of its
    own, whose size (and count) would depend on how resolution interleaves.
    """
    user_ids = sorted({row.user_id for row in rows})
    if not user_ids:
        return
    loader = context.loaders.get(users_by_id)
    for user in (await session.scalars(_visible_users(context, user_ids))).all():
        loader.prime(user.id, user)


def _org_scoped(model: Any, action: Action = Action.READ) -> Any:
    """Rows by ID, in the organizations where the caller may ``action``.

    Invitations and service accounts are listed to admins only, so fetching one by ID
    needs the same right: to anyone else they do not exist (NOT_FOUND).
    """

    async def load(context: Context, keys: list[str]) -> list[Any]:
        stmt = select(model).where(
            model.id.in_(keys), model.organization_id.in_(_visible_org_ids(context, action))
        )
        return await _by_ids(context, stmt, keys)

    load.__name__ = f"{model.__tablename__}_by_id"
    return load


teams_by_id = _org_scoped(Team)
team_members_by_id = _org_scoped(TeamMembership)
memberships_by_id = _org_scoped(Membership)
invitations_by_id = _org_scoped(Invitation, Action.MEMBER_INVITE)
service_accounts_by_id = _org_scoped(ServiceAccount, Action.API_KEY_MANAGE)


# Child connections: key is (parent id, ConnectionArgs); one statement per distinct args.

ChildKey = tuple[Hashable, ConnectionArgs]


def _child_pages(
    model: Any,
    partition: Any,
    base: Callable[[Context], Select[Any]] | None = None,
    *,
    with_users: bool = False,
) -> Any:
    """Pages of ``model`` per parent; ``with_users`` also prefetches each row's user."""

    async def load(context: Context, keys: list[ChildKey]) -> list[Page]:
        by_args: dict[ConnectionArgs, list[Hashable]] = {}
        for parent, args in keys:
            by_args.setdefault(args, []).append(parent)
        results: dict[ChildKey, Page] = {}
        async with context.session() as session:
            for args, parents in by_args.items():
                stmt = base(context) if base is not None else select(model)
                pages = await fetch_pages(session, model, stmt, partition, parents, args)
                results.update({(parent, args): page for parent, page in pages.items()})
            if with_users:
                await _prime_users(
                    context, session, [row for page in results.values() for row in page.rows]
                )
        return [results[key] for key in keys]

    suffix = "_with_users" if with_users else ""
    load.__name__ = f"{model.__tablename__}_pages_by_{partition.key}{suffix}"
    return load


def _child_counts(
    model: Any, partition: Any, base: Callable[[Context], Select[Any]] | None = None
) -> Any:
    async def load(context: Context, keys: list[Hashable]) -> list[int]:
        stmt = base(context) if base is not None else select(model)
        async with context.session() as session:
            counts = await count_by(session, stmt, partition, keys)
        return [counts[key] for key in keys]

    load.__name__ = f"{model.__tablename__}_counts_by_{partition.key}"
    return load


memberships_by_organization = _child_pages(Membership, Membership.organization_id)
memberships_with_users_by_organization = _child_pages(
    Membership, Membership.organization_id, with_users=True
)
membership_counts_by_organization = _child_counts(Membership, Membership.organization_id)


def _visible_memberships(context: Context) -> Select[Any]:
    """A user's memberships in the organizations the credential reaches (an API key: one)."""
    return select(Membership).where(Membership.organization_id.in_(_visible_org_ids(context)))


memberships_by_user = _child_pages(Membership, Membership.user_id, _visible_memberships)
membership_counts_by_user = _child_counts(Membership, Membership.user_id, _visible_memberships)
teams_by_organization = _child_pages(Team, Team.organization_id)
team_counts_by_organization = _child_counts(Team, Team.organization_id)
team_members_by_team = _child_pages(TeamMembership, TeamMembership.team_id)
team_members_with_users_by_team = _child_pages(
    TeamMembership, TeamMembership.team_id, with_users=True
)
team_member_counts_by_team = _child_counts(TeamMembership, TeamMembership.team_id)
invitations_by_organization = _child_pages(Invitation, Invitation.organization_id)
invitation_counts_by_organization = _child_counts(Invitation, Invitation.organization_id)


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


api_keys_by_organization = _child_pages(ApiKey, ApiKey.organization_id, _visible_api_keys)
api_key_counts_by_organization = _child_counts(ApiKey, ApiKey.organization_id, _visible_api_keys)
service_accounts_by_organization = _child_pages(ServiceAccount, ServiceAccount.organization_id)
service_account_counts_by_organization = _child_counts(
    ServiceAccount, ServiceAccount.organization_id
)


async def api_keys_by_id(context: Context, keys: list[str]) -> list[ApiKey | None]:
    return await _by_ids(context, _visible_api_keys(context).where(ApiKey.id.in_(keys)), keys)
