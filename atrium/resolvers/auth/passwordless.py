"""Passwordless sign-in: magic links and one-time codes sent by mail.

Requests never say whether the email has an account: a challenge is created and mailed
for any well-formed address, and the account is created when the challenge is used, so
the answer and the work done are the same either way (no account enumeration).

Verification consumes a challenge with a conditional UPDATE, so two concurrent requests
with the same link or code cannot both sign in. A wrong code is not an exception but a
returned :class:`~atrium.core.errors.UserError`: :func:`run_mutation` rolls back the
savepoint on :class:`UserErrors`, and the attempt counter must survive the failure.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.config import Settings
from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.ids import new_id
from atrium.core.mailer import MailMessage
from atrium.core.security import constant_time_equals, new_secret, sha256
from atrium.models.auth import ChallengeKind, LoginChallenge
from atrium.models.identity import User
from atrium.resolvers.auth.accounts import get_or_create_user, normalize_email, validate_email
from atrium.resolvers.auth.tokens import TokenPair, issue_tokens

MAGIC_LINK_PREFIX = "ml_"
CODE_DIGITS = 6
MAX_CODE_ATTEMPTS = 5


def _checked_email(email: str) -> str:
    email = normalize_email(email)
    errors = validate_email(email)
    if errors:
        raise UserErrors(errors)
    return email


def code_hash(settings: Settings, challenge_id: str, code: str) -> str:
    """HMAC rather than a bare SHA-256: a 6-digit code has only 10⁶ values, so a plain
    hash in a leaked database would be reversed instantly; keying it with the server
    secret and binding it to its challenge keeps the stored value useless on its own."""
    message = f"{challenge_id}:{code}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


async def request_magic_link(context: Context, session: AsyncSession, email: str) -> datetime:
    """Mail a single-use sign-in link to ``email``; returns when the link expires."""
    email = _checked_email(email)
    settings = context.settings
    token = MAGIC_LINK_PREFIX + new_secret()
    expires_at = datetime.now(UTC) + timedelta(seconds=settings.magic_link_ttl_seconds)
    session.add(
        LoginChallenge(
            kind=ChallengeKind.MAGIC_LINK,
            email=email,
            secret_hash=sha256(token),
            expires_at=expires_at,
        )
    )
    await session.flush()
    link = f"{settings.public_url}/auth/verify?token={token}"
    minutes = settings.magic_link_ttl_seconds // 60
    message = MailMessage(
        to=email,
        subject="Your Atrium sign-in link",
        body=f"Sign in to Atrium: {link}\nThe link works once, for {minutes} minutes.\n"
        "If you did not ask for it, ignore this mail.",
        links=(link,),
    )
    context.after_commit(lambda: context.services.mailer.send(message))
    return expires_at


async def verify_magic_link(session: AsyncSession, settings: Settings, token: str) -> TokenPair:
    field = ("token",)
    challenge = await session.scalar(
        select(LoginChallenge).where(
            LoginChallenge.kind == ChallengeKind.MAGIC_LINK,
            LoginChallenge.secret_hash == sha256(token),
        )
    )
    if challenge is None:
        raise UserErrors.single("Invalid sign-in link", UserErrorCode.INVALID_CREDENTIALS, field)
    if challenge.consumed_at is not None:
        raise UserErrors.single(
            "This sign-in link was already used", UserErrorCode.ALREADY_USED, field
        )
    now = datetime.now(UTC)
    if challenge.expires_at <= now:
        raise UserErrors.single("This sign-in link has expired", UserErrorCode.EXPIRED, field)
    if not await _consume(session, challenge.id, now):
        raise UserErrors.single(
            "This sign-in link was already used", UserErrorCode.ALREADY_USED, field
        )
    return await _sign_in(session, settings, challenge.email, now)


async def request_login_code(context: Context, session: AsyncSession, email: str) -> datetime:
    """Mail a one-time code to ``email``; earlier codes for it stop working.

    Only the newest code is live, so asking again does not multiply the guesses an
    attacker gets (each challenge allows :data:`MAX_CODE_ATTEMPTS`)."""
    email = _checked_email(email)
    settings = context.settings
    now = datetime.now(UTC)
    await session.execute(
        update(LoginChallenge)
        .where(
            LoginChallenge.kind == ChallengeKind.CODE,
            LoginChallenge.email == email,
            LoginChallenge.consumed_at.is_(None),
        )
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    challenge_id = new_id("chl")
    expires_at = now + timedelta(seconds=settings.login_code_ttl_seconds)
    session.add(
        LoginChallenge(
            id=challenge_id,
            kind=ChallengeKind.CODE,
            email=email,
            secret_hash=code_hash(settings, challenge_id, code),
            expires_at=expires_at,
        )
    )
    await session.flush()
    minutes = settings.login_code_ttl_seconds // 60
    message = MailMessage(
        to=email,
        subject=f"Your Atrium sign-in code: {code}",
        body=f"Your sign-in code is {code}. It works once, for {minutes} minutes.\n"
        "If you did not ask for it, ignore this mail.",
    )
    context.after_commit(lambda: context.services.mailer.send(message))
    return expires_at


async def verify_login_code(
    session: AsyncSession, settings: Settings, *, email: str, code: str
) -> TokenPair | UserError:
    """Tokens for a right code; a returned (not raised) error for a wrong one, so that
    the spent attempt is committed. Unknown and expired challenges raise: they write
    nothing."""
    email = normalize_email(email)
    now = datetime.now(UTC)
    challenge = await session.scalar(
        select(LoginChallenge)
        .where(
            LoginChallenge.kind == ChallengeKind.CODE,
            LoginChallenge.email == email,
            LoginChallenge.consumed_at.is_(None),
        )
        .order_by(LoginChallenge.created_at.desc(), LoginChallenge.id.desc())
        .limit(1)
    )
    if challenge is None:
        raise UserErrors.single(
            "Invalid email or code", UserErrorCode.INVALID_CREDENTIALS, ("code",)
        )
    if challenge.expires_at <= now:
        raise UserErrors.single("This code has expired", UserErrorCode.EXPIRED, ("code",))
    too_many = UserError(
        "Too many wrong codes; request a new one", UserErrorCode.TOO_MANY_ATTEMPTS, ("code",)
    )
    # Spend an attempt before comparing, atomically: concurrent guesses cannot exceed
    # the limit by all reading the same count.
    attempts = await session.scalar(
        update(LoginChallenge)
        .where(
            LoginChallenge.id == challenge.id,
            LoginChallenge.attempts < MAX_CODE_ATTEMPTS,
            LoginChallenge.consumed_at.is_(None),
        )
        .values(attempts=LoginChallenge.attempts + 1)
        .returning(LoginChallenge.attempts)
        .execution_options(synchronize_session=False)
    )
    if attempts is None:
        return too_many
    expected = challenge.secret_hash
    if not constant_time_equals(code_hash(settings, challenge.id, code.strip()), expected):
        if attempts >= MAX_CODE_ATTEMPTS:
            return too_many
        left = MAX_CODE_ATTEMPTS - attempts
        return UserError(
            f"Wrong code; {left} attempt{'s' if left != 1 else ''} left",
            UserErrorCode.INVALID_CREDENTIALS,
            ("code",),
        )
    if not await _consume(session, challenge.id, now):
        raise UserErrors.single("This code was already used", UserErrorCode.ALREADY_USED, ("code",))
    return await _sign_in(session, settings, email, now)


async def _consume(session: AsyncSession, challenge_id: str, now: datetime) -> bool:
    """Mark the challenge used unless a concurrent request already did; True if we won."""
    result = await session.execute(
        update(LoginChallenge)
        .where(LoginChallenge.id == challenge_id, LoginChallenge.consumed_at.is_(None))
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def _sign_in(
    session: AsyncSession, settings: Settings, email: str, now: datetime
) -> TokenPair:
    """The mail reached its owner: the address is verified, the account exists."""
    user: User = await get_or_create_user(session, email)
    if user.email_verified_at is None:
        user.email_verified_at = now
    return await issue_tokens(session, settings, user)
