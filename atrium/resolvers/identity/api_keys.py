"""API keys and service accounts.

A key is ``sk_live_`` (secret) or ``pk_live_`` (publishable, READ only) followed by a
random part. Only its SHA-256 is stored, with a visible lookup prefix; the whole key is
returned once, by the mutation that creates it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserErrorCode, UserErrors
from atrium.core.policy import Action, Role, Scope, can_grant, max_scope_for_role, scope_at_least
from atrium.core.security import new_secret, sha256
from atrium.models.identity import ApiKey, ApiKeyKind, ServiceAccount
from atrium.resolvers.access import default_organization, get_for_action, not_found, require
from atrium.resolvers.auth.credentials import LOOKUP_PREFIX_LENGTH
from atrium.resolvers.identity.events import emit
from atrium.resolvers.identity.organizations import validate_name


class ApiKeyExpiry(StrEnum):
    NEVER = "NEVER"
    DAYS_30 = "DAYS_30"
    DAYS_90 = "DAYS_90"
    DAYS_365 = "DAYS_365"


_EXPIRY_DAYS = {
    ApiKeyExpiry.NEVER: None,
    ApiKeyExpiry.DAYS_30: 30,
    ApiKeyExpiry.DAYS_90: 90,
    ApiKeyExpiry.DAYS_365: 365,
}
_KIND_PREFIX = {ApiKeyKind.SECRET: "sk_live_", ApiKeyKind.PUBLISHABLE: "pk_live_"}


def mint_key(kind: ApiKeyKind) -> str:
    return _KIND_PREFIX[kind] + new_secret(30).replace("-", "A").replace("_", "B")


async def create_api_key(
    context: Context,
    session: AsyncSession,
    *,
    organization_id: str | None,
    name: str,
    kind: ApiKeyKind,
    scope: Scope,
    expires_in: ApiKeyExpiry,
    service_account_id: str | None,
) -> tuple[ApiKey, str]:
    organization_id = default_organization(context, organization_id)
    errors = validate_name(name)
    if errors:
        raise UserErrors(errors)
    if kind is ApiKeyKind.PUBLISHABLE and scope is not Scope.READ:
        raise UserErrors.single(
            "Publishable keys are for clients and carry the READ scope only",
            UserErrorCode.INVALID,
            ("scope",),
        )
    owner_role: Role
    if service_account_id is not None:
        require(context, organization_id, Action.API_KEY_MANAGE, field=("organizationId",))
        account = await session.get(ServiceAccount, service_account_id)
        if account is None or account.organization_id != organization_id:
            raise not_found("ServiceAccount", service_account_id, ("serviceAccountId",))
        owner_role = Role(account.role)
        user_id = None
    else:
        owner_role = require(
            context, organization_id, Action.API_KEY_OWN, field=("organizationId",)
        )
        user_id = context.principal.require_user()
    # A key can never do more than its owner, nor more than the credential creating it.
    if not scope_at_least(max_scope_for_role(owner_role), scope) or not scope_at_least(
        context.principal.scope, scope
    ):
        raise UserErrors.single(
            f"The key's owner cannot hold the {scope.value} scope",
            UserErrorCode.FORBIDDEN,
            ("scope",),
        )
    secret = mint_key(kind)
    days = _EXPIRY_DAYS[expires_in]
    key = ApiKey(
        organization_id=organization_id,
        user_id=user_id,
        service_account_id=service_account_id,
        created_by_id=context.principal.user_id,
        name=name.strip(),
        kind=kind,
        scope=scope,
        lookup_prefix=secret[:LOOKUP_PREFIX_LENGTH],
        key_hash=sha256(secret),
        expires_at=datetime.now(UTC) + timedelta(days=days) if days else None,
    )
    session.add(key)
    await session.flush()
    await emit(
        context,
        session,
        "api_key.created",
        organization_id,
        key.id,
        user_id=user_id,
        api_key_id=key.id,
    )
    return key, secret


async def revoke_api_key(context: Context, session: AsyncSession, key_id: str) -> ApiKey:
    key = await get_for_action(context, session, ApiKey, key_id, Action.READ)
    own = key.user_id is not None and key.user_id == context.principal.user_id
    require(context, key.organization_id, Action.API_KEY_OWN if own else Action.API_KEY_MANAGE)
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        await session.flush()
        await emit(
            context,
            session,
            "api_key.revoked",
            key.organization_id,
            key.id,
            user_id=key.user_id,
            api_key_id=key.id,
        )
    return key


async def create_service_account(
    context: Context,
    session: AsyncSession,
    *,
    organization_id: str | None,
    name: str,
    description: str | None,
    role: Role,
) -> ServiceAccount:
    organization_id = default_organization(context, organization_id)
    granter = require(context, organization_id, Action.API_KEY_MANAGE, field=("organizationId",))
    errors = validate_name(name)
    if errors:
        raise UserErrors(errors)
    if role is Role.OWNER or not can_grant(granter, role):
        raise UserErrors.single(
            f"A service account cannot be given the {role.value} role by you",
            UserErrorCode.FORBIDDEN,
            ("role",),
        )
    taken = await session.scalar(
        select(ServiceAccount.id).where(
            ServiceAccount.organization_id == organization_id, ServiceAccount.name == name.strip()
        )
    )
    if taken is not None:
        raise UserErrors.single(
            "A service account with this name exists", UserErrorCode.ALREADY_EXISTS, ("name",)
        )
    account = ServiceAccount(
        organization_id=organization_id,
        name=name.strip(),
        description=description or "",
        role=role,
        created_by_id=context.principal.user_id,
    )
    session.add(account)
    await session.flush()
    return account


async def delete_service_account(context: Context, session: AsyncSession, account_id: str) -> str:
    account = await get_for_action(
        context, session, ServiceAccount, account_id, Action.API_KEY_MANAGE
    )
    await session.delete(account)
    await session.flush()
    return account_id
