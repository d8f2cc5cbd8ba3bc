"""Access tokens and rotating refresh tokens.

Refresh tokens are opaque, single-use and chained in a family per sign-in. Using one
marks it used and issues its successor; presenting a used token again is treated as
theft and revokes the whole family (RFC 9700 §4.14.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.config import Settings
from atrium.core.errors import UserErrorCode, UserErrors
from atrium.core.ids import new_id
from atrium.core.security import encode_access_token, new_secret, sha256
from atrium.models.auth import RefreshToken
from atrium.models.identity import User

REFRESH_PREFIX = "rt_"


@dataclass(frozen=True)
class TokenPair:
    user: User
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime
    token_type: str = "Bearer"

    @property
    def expires_in(self) -> int:
        return max(0, int((self.access_token_expires_at - datetime.now(UTC)).total_seconds()))


async def issue_tokens(
    session: AsyncSession, settings: Settings, user: User, family_id: str | None = None
) -> TokenPair:
    access, access_expires = encode_access_token(
        user.id, settings.secret_key, timedelta(seconds=settings.access_token_ttl_seconds)
    )
    secret = REFRESH_PREFIX + new_secret()
    refresh_expires = datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl_seconds)
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id or new_id("rtf"),
            token_hash=sha256(secret),
            expires_at=refresh_expires,
        )
    )
    await session.flush()
    return TokenPair(user, access, access_expires, secret, refresh_expires)


class RefreshTokenReused(Exception):
    """A rotated refresh token came back; its family has been revoked and must stay so."""


async def rotate_refresh_token(session: AsyncSession, settings: Settings, secret: str) -> TokenPair:
    token = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == sha256(secret))
    )
    now = datetime.now(UTC)
    invalid = UserErrors.single(
        "Invalid or expired refresh token", UserErrorCode.INVALID_CREDENTIALS, ("refreshToken",)
    )
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        raise invalid
    if token.used_at is not None:
        await revoke_family(session, token.family_id)
        raise RefreshTokenReused(token.family_id)
    token.used_at = now
    user = await session.get(User, token.user_id)
    if user is None:
        raise invalid
    return await issue_tokens(session, settings, user, family_id=token.family_id)


async def revoke_family(session: AsyncSession, family_id: str) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


async def revoke_refresh_token(session: AsyncSession, secret: str) -> bool:
    """Log out: revoke the family of ``secret``. False when the token is unknown."""
    token = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == sha256(secret))
    )
    if token is None:
        return False
    await revoke_family(session, token.family_id)
    return True
