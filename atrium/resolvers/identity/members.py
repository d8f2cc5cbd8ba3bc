"""Organization memberships: change a role, remove a member, leave.

The last OWNER can be neither demoted nor removed (CONFLICT): an organization without
an owner could never be administered again.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserErrorCode, UserErrors
from atrium.core.policy import Action, Role, can_grant
from atrium.models.identity import ApiKey, Membership, TeamMembership
from atrium.resolvers.access import not_found, require
from atrium.resolvers.identity.events import emit


async def _membership(
    context: Context, session: AsyncSession, organization_id: str, user_id: str
) -> Membership:
    require(context, organization_id, Action.READ, field=("organizationId",))
    membership = await session.scalar(
        select(Membership).where(
            Membership.organization_id == organization_id, Membership.user_id == user_id
        )
    )
    if membership is None:
        raise not_found("Membership", user_id, ("userId",))
    return membership


async def _ensure_not_last_owner(session: AsyncSession, membership: Membership) -> None:
    if membership.role != Role.OWNER:
        return
    # Lock the owners' rows (PostgreSQL): two owners demoting each other at once must not
    # both see "two owners" and leave none. SQLite's BEGIN IMMEDIATE serialises already.
    owners = (
        await session.scalars(
            select(Membership.id)
            .where(
                Membership.organization_id == membership.organization_id,
                Membership.role == Role.OWNER,
            )
            .with_for_update()
        )
    ).all()
    if len(owners) <= 1:
        raise UserErrors.single(
            "An organization needs at least one owner: make someone else OWNER first",
            UserErrorCode.LAST_OWNER,
            ("userId",),
        )


def _require_manage(context: Context, organization_id: str, *roles: Role) -> None:
    """Managing members needs MEMBER_MANAGE; touching the OWNER role needs OWNER_MANAGE."""
    action = Action.OWNER_MANAGE if Role.OWNER in roles else Action.MEMBER_MANAGE
    granter = require(context, organization_id, action, field=("role",))
    for role in roles:
        if not can_grant(granter, role):
            raise UserErrors.single(
                f"Your role cannot grant or change {role.value}", UserErrorCode.FORBIDDEN, ("role",)
            )


async def update_member_role(
    context: Context, session: AsyncSession, *, organization_id: str, user_id: str, role: Role
) -> Membership:
    membership = await _membership(context, session, organization_id, user_id)
    _require_manage(context, organization_id, Role(membership.role), role)
    if role != Role.OWNER:
        await _ensure_not_last_owner(session, membership)
    membership.role = role
    await session.flush()
    await emit(
        context,
        session,
        "member.role_changed",
        organization_id,
        membership.id,
        user_id=user_id,
        membership_id=membership.id,
    )
    if user_id == context.principal.user_id:
        context.principal = context.principal.with_role(organization_id, role)
    return membership


async def remove_member(
    context: Context, session: AsyncSession, *, organization_id: str, user_id: str
) -> Membership:
    """Remove a member (or leave, when ``user_id`` is the caller's own)."""
    membership = await _membership(context, session, organization_id, user_id)
    if user_id != context.principal.user_id:
        _require_manage(context, organization_id, Role(membership.role))
    await _ensure_not_last_owner(session, membership)
    await session.execute(
        delete(TeamMembership).where(
            TeamMembership.organization_id == organization_id, TeamMembership.user_id == user_id
        )
    )
    await session.execute(
        delete(ApiKey).where(ApiKey.organization_id == organization_id, ApiKey.user_id == user_id)
    )
    await session.delete(membership)
    await session.flush()
    await emit(context, session, "member.removed", organization_id, membership.id, user_id=user_id)
    if user_id == context.principal.user_id:
        context.principal = context.principal.with_role(organization_id, None)
    return membership
