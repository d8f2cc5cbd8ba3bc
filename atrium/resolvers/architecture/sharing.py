"""Share links: a bearer token that reads one architecture and, with COMMENT, adds comments.

Only the token's SHA-256 is stored (the token is shown once, like an API key). Holding
a valid token reaches that architecture and its comments, nothing else: the shared view
is its own GraphQL type without paths into the organization.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import NotFound, UserError, UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.core.security import new_secret, sha256
from atrium.models.architecture import Architecture, Comment, ShareLink, SharePermission
from atrium.models.identity import User
from atrium.resolvers.access import get_for_action
from atrium.resolvers.architecture import events

TOKEN_PREFIX = "shr_tok_"
MAX_EXPIRY_DAYS = 365
MAX_COMMENT = 10_000
MAX_AUTHOR_NAME = 100


async def create_share_link(
    context: Context,
    session: AsyncSession,
    *,
    architecture_id: str,
    permission: SharePermission,
    expires_in_days: int | None,
) -> tuple[ShareLink, str]:
    architecture = await get_for_action(
        context, session, Architecture, architecture_id, Action.WRITE, field=("architectureId",)
    )
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise UserErrors.single(
            f"Expiry must be between 1 and {MAX_EXPIRY_DAYS} days",
            UserErrorCode.INVALID,
            ("expiresInDays",),
        )
    token = TOKEN_PREFIX + new_secret(24)
    link = ShareLink(
        organization_id=architecture.organization_id,
        architecture_id=architecture.id,
        token_hash=sha256(token),
        token_hint=token[-4:],
        permission=permission,
        expires_at=(
            datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
        ),
        created_by_id=context.principal.user_id,
    )
    session.add(link)
    await session.flush()
    return link, token


async def revoke_share_link(context: Context, session: AsyncSession, link_id: str) -> ShareLink:
    link = await get_for_action(context, session, ShareLink, link_id, Action.WRITE)
    if link.revoked_at is None:
        link.revoked_at = datetime.now(UTC)
        await session.flush()
    return link


def is_usable(link: ShareLink, now: datetime | None = None) -> bool:
    now = now or datetime.now(UTC)
    return link.revoked_at is None and (link.expires_at is None or link.expires_at > now)


async def link_for_token(session: AsyncSession, token: str) -> ShareLink | None:
    """The live link a token opens; None for unknown, revoked and expired alike."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    link = await session.scalar(select(ShareLink).where(ShareLink.token_hash == sha256(token)))
    return link if link is not None and is_usable(link) else None


async def open_shared(
    context: Context, session: AsyncSession, token: str
) -> tuple[ShareLink, Architecture]:
    """The link and its architecture, or NOT_FOUND (no hint whether a token ever existed)."""
    link = await link_for_token(session, token)
    architecture = await session.get(Architecture, link.architecture_id) if link else None
    if link is None or architecture is None:
        raise NotFound("ShareLink", "token")
    await context.write_soon(
        session,
        update(ShareLink).where(ShareLink.id == link.id).values(last_used_at=datetime.now(UTC)),
    )
    return link, architecture


async def add_shared_comment(
    context: Context, session: AsyncSession, *, token: str, body: str, author_name: str | None
) -> Comment:
    link = await link_for_token(session, token)
    if link is None:
        raise UserErrors.single("This share link is not valid", UserErrorCode.NOT_FOUND, ("token",))
    if link.permission is not SharePermission.COMMENT:
        raise UserErrors.single(
            "This share link allows viewing only", UserErrorCode.FORBIDDEN, ("token",)
        )
    return await _add_comment(context, session, link.architecture_id, link, body, author_name)


async def add_comment(
    context: Context, session: AsyncSession, *, architecture_id: str, body: str
) -> Comment:
    """A member's comment, beside those left through share links."""
    architecture = await get_for_action(
        context, session, Architecture, architecture_id, Action.WRITE, field=("architectureId",)
    )
    return await _add_comment(context, session, architecture.id, None, body, None)


async def _add_comment(
    context: Context,
    session: AsyncSession,
    architecture_id: str,
    link: ShareLink | None,
    body: str,
    author_name: str | None,
) -> Comment:
    errors = []
    if not body.strip():
        errors.append(UserError("Comment can't be blank", UserErrorCode.REQUIRED, ("body",)))
    if len(body) > MAX_COMMENT:
        errors.append(
            UserError(f"At most {MAX_COMMENT} characters", UserErrorCode.TOO_LONG, ("body",))
        )
    if author_name is not None and len(author_name) > MAX_AUTHOR_NAME:
        errors.append(
            UserError(
                f"At most {MAX_AUTHOR_NAME} characters", UserErrorCode.TOO_LONG, ("authorName",)
            )
        )
    if errors:
        raise UserErrors(errors)
    architecture = await session.get(Architecture, architecture_id)
    assert architecture is not None
    user_id = context.principal.user_id if link is None else None
    user = await session.get(User, user_id) if user_id else None
    name = (author_name or "").strip() or (user.name if user else "Anonymous")
    comment = Comment(
        organization_id=architecture.organization_id,
        architecture_id=architecture_id,
        share_link_id=link.id if link else None,
        author_id=user_id,
        author_name=name,
        body=body.strip(),
    )
    session.add(comment)
    await session.flush()
    await events.emit(
        context,
        session,
        events.COMMENT_ADDED,
        architecture.organization_id,
        architecture_id,
        subject_id=comment.id,
        comment_id=comment.id,
    )
    return comment
