"""Turn a request's credential (access token or API key) into a :class:`Principal`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Executable, and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.auth import ANONYMOUS, CredentialKind, Principal
from atrium.core.config import Settings
from atrium.core.errors import Unauthenticated
from atrium.core.policy import Role, Scope
from atrium.core.security import constant_time_equals, decode_access_token, looks_like_jwt, sha256
from atrium.models.identity import ApiKey, Membership, Organization, Plan, ServiceAccount, User

Write = Callable[[Executable], Awaitable[Any]]
API_KEY_PREFIXES = ("sk_live_", "pk_live_")
LOOKUP_PREFIX_LENGTH = 16  # "sk_live_" + 8 characters: shown to users, unique, indexed
_LAST_USED_RESOLUTION = timedelta(minutes=1)
_PLAN_RANK = {Plan.FREE: 0, Plan.PRO: 1, Plan.ULTIMATE: 2}


async def authenticate(
    session: AsyncSession,
    settings: Settings,
    credential: str | None,
    *,
    write: Write | None = None,
) -> Principal:
    """The caller behind ``credential``; ANONYMOUS when there is none.

    A credential that is present but invalid (expired, revoked, forged) is an error, not
    anonymity: a script with a bad key should hear about it at once. An API key's
    ``lastUsedAt`` is brought up to date (to the minute) through ``write``
    (``Context.write_soon``, for a read-only session), else in ``session``.
    """
    if not credential:
        return ANONYMOUS
    if credential.startswith(API_KEY_PREFIXES):
        return await _from_api_key(session, credential, write)
    if looks_like_jwt(credential):
        claims = decode_access_token(credential, settings.secret_key)
        if claims is not None:
            return await _from_user(session, claims.user_id)
    raise Unauthenticated("Invalid or expired credential")


async def _from_user(session: AsyncSession, user_id: str) -> Principal:
    user = await session.get(User, user_id)
    if user is None:
        raise Unauthenticated("Invalid or expired credential")
    rows = (
        await session.execute(
            select(Membership.organization_id, Membership.role, Organization.plan)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(Membership.user_id == user_id)
        )
    ).all()
    plans = [Plan(plan) for _, _, plan in rows]
    return Principal(
        kind=CredentialKind.ACCESS_TOKEN,
        user_id=user_id,
        scope=Scope.ADMIN,
        roles={org_id: Role(role) for org_id, role, _ in rows},
        plan=max(plans, key=_PLAN_RANK.__getitem__, default=Plan.FREE).value,
    )


async def refresh_principal(session: AsyncSession, principal: Principal) -> Principal:
    """The same caller, re-read now: roles changed, key revoked or expired since.

    Long-lived subscriptions call this per event, so a revoked key stops receiving and a
    user who joined an organization sees it.
    """
    if principal.kind is CredentialKind.API_KEY and principal.api_key_id:
        return await _from_key(session, _KEY_BY_ID, {"key_id": principal.api_key_id}, touch=None)
    if principal.kind is CredentialKind.ACCESS_TOKEN and principal.user_id:
        return await _from_user(session, principal.user_id)
    return principal


async def _from_api_key(session: AsyncSession, secret: str, write: Write | None) -> Principal:
    return await _from_key(
        session,
        _KEY_BY_PREFIX,
        {"prefix": secret[:LOOKUP_PREFIX_LENGTH]},
        secret=secret,
        touch=write or session.execute,
    )


# An API key with its owner's role and its organization's plan, in one statement: every
# request with a key starts here, so it is built once (and its SQLAlchemy cache key too).
_KEY_WITH_ROLE = (
    select(ApiKey, Membership.role, ServiceAccount.role, Organization.plan)
    .outerjoin(
        Membership,
        and_(
            Membership.organization_id == ApiKey.organization_id,
            Membership.user_id == ApiKey.user_id,
        ),
    )
    .outerjoin(ServiceAccount, ServiceAccount.id == ApiKey.service_account_id)
    .outerjoin(Organization, Organization.id == ApiKey.organization_id)
)
_KEY_BY_PREFIX = _KEY_WITH_ROLE.where(ApiKey.lookup_prefix == bindparam("prefix"))
_KEY_BY_ID = _KEY_WITH_ROLE.where(ApiKey.id == bindparam("key_id"))


async def _from_key(
    session: AsyncSession,
    statement: Executable,
    params: dict[str, str],
    *,
    secret: str | None = None,
    touch: Write | None,
) -> Principal:
    """The principal of the API key ``statement`` selects with ``params`` (checked
    against ``secret`` when given)."""
    row = (await session.execute(statement, params)).first()
    if row is None or (
        secret is not None and not constant_time_equals(row[0].key_hash, sha256(secret))
    ):
        raise Unauthenticated("Invalid, expired or revoked API key")
    key, member_role, account_role, plan = row
    now = datetime.now(UTC)
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise Unauthenticated("Invalid, expired or revoked API key")
    role_value = account_role if key.service_account_id is not None else member_role
    if role_value is None:
        raise Unauthenticated("The API key's owner no longer belongs to its organization")
    if touch and (key.last_used_at is None or now - key.last_used_at > _LAST_USED_RESOLUTION):
        await touch(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    return Principal(
        kind=CredentialKind.API_KEY,
        user_id=key.user_id,
        service_account_id=key.service_account_id,
        api_key_id=key.id,
        scope=Scope(key.scope),
        roles={key.organization_id: Role(role_value)},
        plan=plan if plan is not None else Plan.FREE.value,
    )
