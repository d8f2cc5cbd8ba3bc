"""A user's own account: display name, time zone and sign-in email.

Only the user changes their account. Naming another user is FORBIDDEN when the caller
can see them (they share an organization) and NOT_FOUND otherwise, so the answer never
tells a stranger that an ID exists (DESIGN.md, tenancy).
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.mailer import MailMessage
from atrium.models.identity import Membership, User
from atrium.resolvers.access import not_found
from atrium.resolvers.auth.accounts import find_user_by_email, normalize_email, validate_email
from atrium.resolvers.identity.events import emit, user_topic
from atrium.resolvers.identity.organizations import validate_name

MAX_TIMEZONE_LENGTH = 64  # users.timezone


@cache
def _known_timezones() -> frozenset[str]:
    """IANA keys of the installed tz database; read once, it does not change at runtime."""
    return frozenset(available_timezones())


def validate_timezone(name: str, field: tuple[str, ...] = ("timezone",)) -> list[UserError]:
    """An IANA key such as ``Europe/Paris``; not an offset, a path or an abbreviation."""
    invalid = [UserError("Time zone must be an IANA name, e.g. Europe/Paris", field=field)]
    if not name or len(name) > MAX_TIMEZONE_LENGTH:
        return invalid
    known = _known_timezones()
    if known:
        return [] if name in known else invalid
    try:  # no tz database listing (slim images): ask zoneinfo itself
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return invalid
    return []


async def _own_account(
    context: Context, session: AsyncSession, user_id: str | None, field: tuple[str, ...]
) -> User:
    """The caller's row; ``user_id`` may name the caller (REST paths carry it)."""
    caller = context.principal.require_user()
    if user_id is not None and user_id != caller:
        shared = await session.scalar(
            select(Membership.id).where(
                Membership.user_id == user_id,
                Membership.organization_id.in_(context.principal.organization_ids),
            )
        )
        if shared is None:
            raise not_found("User", user_id, field)
        raise UserErrors.single(
            "Only the user can change their own account", UserErrorCode.FORBIDDEN, field
        )
    user = await session.get(User, caller)
    if user is None:  # deleted while the token lived
        raise not_found("User", caller, field)
    return user


async def _emit_updated(context: Context, session: AsyncSession, user: User) -> None:
    """``user.updated`` on each of the user's organizations (co-members show the name)
    and once on the user's own topic."""
    organization_ids = (
        await session.scalars(
            select(Membership.organization_id)
            .where(Membership.user_id == user.id)
            .order_by(Membership.organization_id)
        )
    ).all()
    for index, organization_id in enumerate(organization_ids):
        await emit(
            context,
            session,
            "user.updated",
            organization_id,
            user.id,
            user_id=user.id,
            notify_user=index == 0,
        )
    if not organization_ids:
        await context.emit(
            session,
            topics=[user_topic(user.id)],
            type="user.updated",
            payload={"subject_id": user.id, "actor_id": user.id, "user_id": user.id},
        )


async def update_profile(
    context: Context,
    session: AsyncSession,
    *,
    user_id: str | None,
    name: str | None,
    timezone: str | None,
) -> User:
    user = await _own_account(context, session, user_id, ("userId",))
    errors = (validate_name(name) if name is not None else []) + (
        validate_timezone(timezone) if timezone is not None else []
    )
    if errors:
        raise UserErrors(errors)
    if name is not None:
        user.name = name.strip()
    if timezone is not None:
        user.timezone = timezone
    await session.flush()
    await _emit_updated(context, session, user)
    return user


async def change_email(
    context: Context, session: AsyncSession, *, user_id: str | None, email: str
) -> User:
    """Change the sign-in email. The new address is unverified until a magic link or
    code sent to it is used; the old address is told, so a hijacked session that takes
    the account over is noticed by its owner."""
    user = await _own_account(context, session, user_id, ("userId",))
    email = normalize_email(email)
    errors = validate_email(email)
    if errors:
        raise UserErrors(errors)
    if email == user.email:
        return user
    if await find_user_by_email(session, email) is not None:
        raise UserErrors.single(
            "An account with this email already exists", UserErrorCode.ALREADY_EXISTS, ("email",)
        )
    previous = user.email
    user.email = email
    user.email_verified_at = None
    await session.flush()
    await _emit_updated(context, session, user)
    notice = MailMessage(
        to=previous,
        subject="Your sign-in email was changed",
        body=f"The sign-in email of your account is now {email}. "
        "If you did not do this, contact your organization's administrator.",
    )
    context.after_commit(lambda: context.services.mailer.send(notice))
    return user
