"""OAuth 2.0 device authorization grant (RFC 8628) for CLIs and other browserless clients.

The device asks for a pair of codes, shows the short user code, and polls with the long
device code while the user approves in a browser where they are signed in. Only the
device code's hash is stored; the user code is short-lived and typed by a person, so it
is stored as shown.

Polling writes even when it fails (``last_polled_at``, and a longer ``interval`` after a
too-fast poll), so :func:`poll_device_token` returns its pending/denied/slow-down
outcomes instead of raising :class:`UserErrors`, which would roll those writes back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.auth import CredentialKind
from atrium.core.config import Settings
from atrium.core.context import Context
from atrium.core.errors import Forbidden, UserError, UserErrorCode, UserErrors
from atrium.core.security import new_secret, sha256
from atrium.models.auth import DeviceAuthorization, DeviceStatus
from atrium.models.identity import User
from atrium.resolvers.auth.tokens import TokenPair, issue_tokens

DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"

DEVICE_CODE_PREFIX = "dc_"
# RFC 8628 §6.1: consonants only — no vowels to spell words, no 0/O, 1/I/L look-alikes.
USER_CODE_ALPHABET = "BCDFGHJKMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
SLOW_DOWN_SECONDS = 5  # RFC 8628 §3.5
MAX_CLIENT_ID_LENGTH = 200
MAX_SCOPE_LENGTH = 200


@dataclass(frozen=True)
class DeviceGrant:
    """What the device shows and keeps; the device code exists only here and in its hash."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int
    interval: int


@dataclass(frozen=True)
class DevicePoll:
    """Outcome of one poll: tokens, or the error to show, with the interval to keep."""

    interval: int
    pair: TokenPair | None = None
    error: UserError | None = None


def normalize_user_code(user_code: str) -> str:
    """``wdjb mjht``, ``WDJBMJHT`` and ``WDJB-MJHT`` are the same code (people type it)."""
    letters = "".join(c for c in user_code.upper() if c.isalnum())
    half = USER_CODE_LENGTH // 2
    return f"{letters[:half]}-{letters[half:]}" if len(letters) == USER_CODE_LENGTH else letters


def _new_user_code() -> str:
    letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    return normalize_user_code(letters)


async def start_device_authorization(
    session: AsyncSession, settings: Settings, *, client_id: str, scope: str | None
) -> DeviceGrant:
    client_id = client_id.strip()
    scope = (scope or "").strip()
    errors: list[UserError] = []
    if not client_id:
        errors.append(UserError("Client ID is required", UserErrorCode.REQUIRED, ("clientId",)))
    elif len(client_id) > MAX_CLIENT_ID_LENGTH:
        errors.append(UserError("Client ID is too long", UserErrorCode.TOO_LONG, ("clientId",)))
    if len(scope) > MAX_SCOPE_LENGTH:
        errors.append(UserError("Scope is too long", UserErrorCode.TOO_LONG, ("scope",)))
    if errors:
        raise UserErrors(errors)
    user_code = _new_user_code()
    # 19⁸ ≈ 1.7·10¹⁰ codes: a clash is rare, but the column is unique, so draw again.
    while await session.scalar(
        select(DeviceAuthorization.id).where(DeviceAuthorization.user_code == user_code)
    ):
        user_code = _new_user_code()
    device_code = DEVICE_CODE_PREFIX + new_secret()
    session.add(
        DeviceAuthorization(
            device_code_hash=sha256(device_code),
            user_code=user_code,
            client_id=client_id,
            scope=scope,
            status=DeviceStatus.PENDING,
            interval=settings.device_poll_interval_seconds,
            expires_at=datetime.now(UTC) + timedelta(seconds=settings.device_code_ttl_seconds),
        )
    )
    await session.flush()
    verification_uri = f"{settings.public_url}/device"
    return DeviceGrant(
        device_code=device_code,
        user_code=user_code,
        verification_uri=verification_uri,
        verification_uri_complete=f"{verification_uri}?user_code={user_code}",
        expires_in=settings.device_code_ttl_seconds,
        interval=settings.device_poll_interval_seconds,
    )


async def approve_device_authorization(
    context: Context, session: AsyncSession, *, user_code: str, approve: bool
) -> DeviceAuthorization:
    """The signed-in user lets the device act as them (or refuses).

    Only a user's access token may approve: the device receives a full user token, so
    an API key (possibly READ-scoped) approving would turn itself into more power."""
    user_id = context.principal.require_user()
    if context.principal.kind is not CredentialKind.ACCESS_TOKEN:
        raise Forbidden("Approving a device needs a signed-in user, not an API key")
    field = ("userCode",)
    authorization = await session.scalar(
        select(DeviceAuthorization).where(
            DeviceAuthorization.user_code == normalize_user_code(user_code)
        )
    )
    if authorization is None:
        raise UserErrors.single("Unknown device code", UserErrorCode.NOT_FOUND, field)
    if authorization.expires_at <= datetime.now(UTC):
        raise UserErrors.single("This device code has expired", UserErrorCode.EXPIRED, field)
    if authorization.status is not DeviceStatus.PENDING:
        raise UserErrors.single(
            "This device code was already answered", UserErrorCode.ALREADY_USED, field
        )
    authorization.status = DeviceStatus.APPROVED if approve else DeviceStatus.DENIED
    authorization.user_id = user_id
    await session.flush()
    return authorization


async def poll_device_token(
    session: AsyncSession,
    settings: Settings,
    *,
    device_code: str,
    client_id: str,
    grant_type: str | None = None,
) -> DevicePoll:
    if grant_type is not None and grant_type != DEVICE_GRANT_TYPE:
        raise UserErrors.single(
            f"Only the device code grant ({DEVICE_GRANT_TYPE}) is supported here",
            UserErrorCode.UNSUPPORTED_GRANT_TYPE,
            ("grantType",),
        )
    field = ("deviceCode",)
    authorization = await session.scalar(
        select(DeviceAuthorization).where(
            DeviceAuthorization.device_code_hash == sha256(device_code)
        )
    )
    if authorization is None or authorization.client_id != client_id.strip():
        raise UserErrors.single("Invalid device code", UserErrorCode.INVALID, field)
    now = datetime.now(UTC)
    # A used code reads as expired: a client loop then restarts the flow, as it should.
    if authorization.status is DeviceStatus.CONSUMED or authorization.expires_at <= now:
        raise UserErrors.single(
            "This device code has expired; start again", UserErrorCode.EXPIRED_TOKEN, field
        )
    last, authorization.last_polled_at = authorization.last_polled_at, now
    if last is not None and now - last < timedelta(seconds=authorization.interval):
        authorization.interval += SLOW_DOWN_SECONDS
        await session.flush()
        message = f"Polling too fast; wait {authorization.interval} seconds between polls"
        return _poll_error(authorization, message, UserErrorCode.SLOW_DOWN)
    await session.flush()
    if authorization.status is DeviceStatus.PENDING:
        message = "The user has not answered yet; keep polling"
        return _poll_error(authorization, message, UserErrorCode.AUTHORIZATION_PENDING)
    if authorization.status is DeviceStatus.DENIED or authorization.user_id is None:
        message = "The user denied this device"
        return _poll_error(authorization, message, UserErrorCode.ACCESS_DENIED)
    consumed = await session.execute(
        update(DeviceAuthorization)
        .where(
            DeviceAuthorization.id == authorization.id,
            DeviceAuthorization.status == DeviceStatus.APPROVED,
        )
        .values(status=DeviceStatus.CONSUMED)
        .execution_options(synchronize_session=False)
    )
    user = await session.get(User, authorization.user_id)
    if not getattr(consumed, "rowcount", 0) or user is None:
        message = "This device code has expired; start again"
        return _poll_error(authorization, message, UserErrorCode.EXPIRED_TOKEN)
    pair = await issue_tokens(session, settings, user)
    return DevicePoll(interval=authorization.interval, pair=pair)


def _poll_error(
    authorization: DeviceAuthorization, message: str, code: UserErrorCode
) -> DevicePoll:
    return DevicePoll(
        interval=authorization.interval, error=UserError(message, code, ("deviceCode",))
    )
