"""Organizations: create, rename, change plan, delete."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.ids import new_id
from atrium.core.policy import Action, Role
from atrium.models.identity import Membership, Organization, Plan
from atrium.resolvers.access import get_for_action, require
from atrium.resolvers.agents.built_in import create_built_in_agents
from atrium.resolvers.identity.events import emit

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:100].strip("-") or "org"


def validate_name(name: str, field: tuple[str, ...] = ("name",)) -> list[UserError]:
    if not name.strip():
        return [UserError("Name is required", UserErrorCode.REQUIRED, field)]
    if len(name) > 200:
        return [
            UserError("Name is too long (200 characters at most)", UserErrorCode.TOO_LONG, field)
        ]
    return []


def validate_slug(slug: str, field: tuple[str, ...] = ("slug",)) -> list[UserError]:
    if not SLUG_RE.match(slug):
        return [
            UserError(
                "Slug must be lowercase letters, digits and dashes (1-100)",
                UserErrorCode.INVALID,
                field,
            )
        ]
    return []


async def _unique_slug(session: AsyncSession, wanted: str, explicit: bool) -> str:
    taken = set(
        (
            await session.scalars(
                select(Organization.slug).where(Organization.slug.like(f"{wanted}%"))
            )
        ).all()
    )
    if wanted not in taken:
        return wanted
    if explicit:
        raise UserErrors.single("Slug is already taken", UserErrorCode.ALREADY_EXISTS, ("slug",))
    return f"{wanted[:80]}-{new_id('x')[-6:].lower()}"


async def create_organization(
    context: Context, session: AsyncSession, *, name: str, slug: str | None
) -> Organization:
    user_id = context.principal.require_user()
    errors = validate_name(name) + (validate_slug(slug) if slug is not None else [])
    if errors:
        raise UserErrors(errors)
    organization = Organization(
        name=name.strip(), slug=await _unique_slug(session, slug or slugify(name), slug is not None)
    )
    session.add(organization)
    await session.flush()
    membership = Membership(organization_id=organization.id, user_id=user_id, role=Role.OWNER)
    session.add(membership)
    await session.flush()
    await create_built_in_agents(session, organization.id)
    await emit(
        context,
        session,
        "member.added",
        organization.id,
        membership.id,
        user_id=user_id,
        membership_id=membership.id,
    )
    # The creator owns it from now on, within this request too.
    context.principal = context.principal.with_role(organization.id, Role.OWNER)
    return organization


async def update_organization(
    context: Context,
    session: AsyncSession,
    *,
    organization_id: str,
    name: str | None,
    slug: str | None,
    plan: Plan | None,
) -> Organization:
    organization = await get_for_action(
        context, session, Organization, organization_id, Action.ORG_UPDATE
    )
    if plan is not None and plan != organization.plan:
        require(context, organization_id, Action.PLAN_MANAGE, field=("plan",))
    errors = (validate_name(name) if name is not None else []) + (
        validate_slug(slug) if slug is not None else []
    )
    if errors:
        raise UserErrors(errors)
    if name is not None:
        organization.name = name.strip()
    if slug is not None and slug != organization.slug:
        organization.slug = await _unique_slug(session, slug, explicit=True)
    if plan is not None:
        organization.plan = plan
    await session.flush()
    await emit(context, session, "organization.updated", organization.id, organization.id)
    return organization


async def delete_organization(context: Context, session: AsyncSession, organization_id: str) -> str:
    organization = await get_for_action(
        context, session, Organization, organization_id, Action.ORG_DELETE
    )
    await session.delete(organization)
    await session.flush()
    return organization_id
