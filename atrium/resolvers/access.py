"""Tenancy and policy checks shared by every domain's resolvers.

An object of an organization the caller does not belong to is NOT_FOUND, never
FORBIDDEN; an object the caller can see but not change is FORBIDDEN.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import NotFound, UserErrorCode, UserErrors
from atrium.core.policy import Action, Role

M = TypeVar("M")


def not_found(type_name: str, object_id: str, field: tuple[str, ...]) -> UserErrors:
    return UserErrors.single(
        f"{type_name} with id '{object_id}' not found", UserErrorCode.NOT_FOUND, field
    )


def require(
    context: Context, organization_id: str, action: Action, *, field: tuple[str, ...] = ()
) -> Role:
    """The caller's role in the organization, if it allows ``action``; a userError if not."""
    principal = context.principal
    role = principal.role_in(organization_id)
    if role is None:
        raise not_found("Organization", organization_id, field)
    if not principal.can(action, organization_id):
        raise UserErrors.single(
            f"Your role or key scope does not allow {action.value.lower().replace('_', ' ')}",
            UserErrorCode.FORBIDDEN,
            field,
        )
    return role


async def get_for_action(
    context: Context,
    session: AsyncSession,
    model: type[M],
    object_id: str,
    action: Action,
    *,
    field: tuple[str, ...] = ("id",),
) -> M:
    """Fetch an org-owned row for a mutation, enforcing tenancy then policy."""
    row: Any = await session.get(model, object_id)
    type_name = getattr(model, "__graphql_name__", model.__name__)
    if row is None or context.principal.role_in(row.organization_id) is None:
        raise not_found(type_name, object_id, field)
    require(context, row.organization_id, action, field=field)
    return cast("M", row)


def default_organization(context: Context, organization_id: str | None) -> str:
    """``organization_id``, or the credential's only organization when it is omitted.

    Products like Archestra have one organization per credential and no organization in
    their paths; an API key always reaches exactly one.
    """
    if organization_id is not None:
        return organization_id
    reachable = context.principal.organization_ids
    if len(reachable) != 1:
        raise UserErrors.single(
            "Say which organization: the credential reaches "
            + ("none" if not reachable else "several"),
            UserErrorCode.REQUIRED,
            ("organizationId",),
        )
    return reachable[0]


def readable_organization(context: Context, organization_id: str | None) -> str:
    """For queries and subscriptions: the organization asked for (or the credential's
    only one), which the caller must belong to; NOT_FOUND (a top-level error) if not."""
    context.principal.require_authenticated()
    org = default_organization(context, organization_id)
    if context.principal.role_in(org) is None:
        raise NotFound("Organization", org)
    return org
