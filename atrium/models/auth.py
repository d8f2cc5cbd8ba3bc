"""Sign-in state: refresh-token families, magic links and codes, device authorizations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from atrium.models.base import Base, created_at_column, id_column
from atrium.models.identity import enum_column


class ChallengeKind(StrEnum):
    MAGIC_LINK = "MAGIC_LINK"
    CODE = "CODE"


class DeviceStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DENIED = "DENIED"
    CONSUMED = "CONSUMED"


class RefreshToken(Base):
    """One link in a rotation chain; every token of a login shares ``family_id``.

    A token is single-use: presenting a ``used_at`` token again means it leaked, so the
    whole family is revoked (OAuth 2.0 Security BCP, refresh token rotation).
    """

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = id_column("rt")
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(String(40), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()


class LoginChallenge(Base):
    """A magic link or a one-time code sent by mail; consumed once."""

    __tablename__ = "login_challenges"

    id: Mapped[str] = id_column("chl")
    kind: Mapped[ChallengeKind] = enum_column(ChallengeKind)  # type: ignore[assignment]
    email: Mapped[str] = mapped_column(String(320), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()


class DeviceAuthorization(Base):
    """RFC 8628 device authorization: a CLI polls with the device code."""

    __tablename__ = "device_authorizations"

    id: Mapped[str] = id_column("dev")
    device_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_code: Mapped[str] = mapped_column(String(16), unique=True)
    client_id: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[DeviceStatus] = enum_column(DeviceStatus, default=DeviceStatus.PENDING)  # type: ignore[assignment]
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    interval: Mapped[int] = mapped_column(Integer)
    last_polled_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = created_at_column()
