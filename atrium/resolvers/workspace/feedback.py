"""Feedback on a message: a 1-5 rating and a comment, one per person per message."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.models.threads import Message, Thread
from atrium.models.workspace import Feedback
from atrium.resolvers.access import not_found, require
from atrium.resolvers.threads.visibility import visible_threads

MAX_COMMENT = 5_000


async def give_feedback(
    context: Context,
    session: AsyncSession,
    *,
    message_id: str,
    rating: int,
    comment: str | None,
) -> Feedback:
    message = await session.scalar(
        select(Message).where(
            Message.id == message_id,
            Message.thread_id.in_(select(Thread.id).where(visible_threads(context))),
        )
    )
    if message is None:
        raise not_found("Message", message_id, ("messageId",))
    require(context, message.organization_id, Action.WRITE, field=("messageId",))
    errors = []
    if not 1 <= rating <= 5:
        errors.append(UserError("Rating is 1 to 5", UserErrorCode.INVALID, ("rating",)))
    if comment is not None and len(comment) > MAX_COMMENT:
        errors.append(
            UserError(f"At most {MAX_COMMENT} characters", UserErrorCode.TOO_LONG, ("comment",))
        )
    if context.principal.user_id is None:
        errors.append(
            UserError("Feedback is given by people", UserErrorCode.FORBIDDEN, ("messageId",))
        )
    if errors:
        raise UserErrors(errors)
    feedback = await session.scalar(
        select(Feedback).where(
            Feedback.message_id == message.id, Feedback.user_id == context.principal.user_id
        )
    )
    if feedback is None:
        feedback = Feedback(
            organization_id=message.organization_id,
            message_id=message.id,
            user_id=context.principal.user_id,
            rating=rating,
        )
        session.add(feedback)
    feedback.rating = rating
    feedback.comment = comment or ""
    await session.flush()
    return feedback
