"""Sign-up and password sign-in."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.config import Settings
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.security import hash_password, verify_password
from atrium.models.identity import User
from atrium.resolvers.auth.tokens import TokenPair, issue_tokens

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256


def normalize_email(email: str) -> str:
    return email.strip().lower()


def validate_email(email: str, field: tuple[str, ...] = ("email",)) -> list[UserError]:
    if not email:
        return [UserError("Email is required", UserErrorCode.REQUIRED, field)]
    if len(email) > 320 or not EMAIL_RE.match(email):
        return [UserError("Email is not a valid address", UserErrorCode.INVALID, field)]
    return []


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(
        select(User).where(func.lower(User.email) == normalize_email(email))
    )


async def register(
    session: AsyncSession, settings: Settings, *, email: str, password: str, name: str | None
) -> TokenPair:
    email = normalize_email(email)
    errors = validate_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(
            UserError(
                f"Password must be at least {MIN_PASSWORD_LENGTH} characters",
                UserErrorCode.INVALID,
                ("password",),
            )
        )
    elif len(password) > MAX_PASSWORD_LENGTH:
        errors.append(UserError("Password is too long", UserErrorCode.TOO_LONG, ("password",)))
    if name is not None and len(name) > 200:
        errors.append(UserError("Name is too long", UserErrorCode.TOO_LONG, ("name",)))
    if errors:
        raise UserErrors(errors)
    if await find_user_by_email(session, email) is not None:
        raise UserErrors.single(
            "An account with this email already exists", UserErrorCode.ALREADY_EXISTS, ("email",)
        )
    user = User(email=email, name=(name or "").strip(), password_hash=hash_password(password))
    session.add(user)
    await session.flush()
    return await issue_tokens(session, settings, user)


async def login(
    session: AsyncSession, settings: Settings, *, email: str, password: str
) -> TokenPair:
    user = await find_user_by_email(session, email)
    if not verify_password(password, user.password_hash if user else None) or user is None:
        raise UserErrors.single("Invalid email or password", UserErrorCode.INVALID_CREDENTIALS)
    return await issue_tokens(session, settings, user)


async def get_or_create_user(session: AsyncSession, email: str) -> User:
    """For passwordless sign-in: the account of ``email``, created on first use."""
    user = await find_user_by_email(session, email)
    if user is None:
        user = User(email=normalize_email(email), name="")
        session.add(user)
        await session.flush()
    return user
