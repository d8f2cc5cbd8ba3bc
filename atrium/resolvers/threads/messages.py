"""Posting messages (idempotently), queueing agent replies, and typing indicators.

A USER message in a thread with an agent returns at once and joins the thread's reply
queue; the first one starts a ``thread.reply`` job that answers the queue oldest first,
one at a time (Archon's asynchronous dispatch). The thread row is locked while the queue
is joined, so a message can never slip in after the job decided the queue was empty.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.errors import UserError, UserErrorCode, UserErrors
from atrium.core.policy import Action
from atrium.models.threads import Message, MessageRole, ReplyState, Thread
from atrium.resolvers.access import require
from atrium.resolvers.threads import events
from atrium.resolvers.threads.threads import get_thread

REPLY_JOB = "thread.reply"
MAX_CONTENT = 100_000
MAX_PARTS = 100
PART_TYPES = frozenset({"text", "tool_call", "tool_result", "image", "file"})
POSTABLE_ROLES = frozenset({MessageRole.USER, MessageRole.SYSTEM, MessageRole.TOOL})


def _errors(role: MessageRole, content: str, parts: list[Any], key: str | None) -> list[UserError]:
    errors = []
    if role not in POSTABLE_ROLES:
        errors.append(
            UserError("Assistant messages come from agents", UserErrorCode.INVALID, ("role",))
        )
    if not content.strip() and not parts:
        errors.append(UserError("A message needs content", UserErrorCode.REQUIRED, ("content",)))
    if len(content) > MAX_CONTENT:
        errors.append(
            UserError(f"At most {MAX_CONTENT} characters", UserErrorCode.TOO_LONG, ("content",))
        )
    if len(parts) > MAX_PARTS:
        errors.append(UserError(f"At most {MAX_PARTS} parts", UserErrorCode.TOO_LONG, ("parts",)))
    for i, part in enumerate(parts):
        if not isinstance(part, dict) or part.get("type") not in PART_TYPES:
            errors.append(
                UserError(
                    f"Each part is an object whose type is one of {', '.join(sorted(PART_TYPES))}",
                    UserErrorCode.INVALID,
                    ("parts", str(i)),
                )
            )
    if key is not None and not 1 <= len(key) <= 200:
        errors.append(
            UserError(
                "Idempotency keys are 1-200 characters", UserErrorCode.INVALID, ("idempotencyKey",)
            )
        )
    return errors


async def post_message(
    context: Context,
    session: AsyncSession,
    *,
    thread_id: str,
    content: str,
    parts: list[Any] | None = None,
    role: MessageRole = MessageRole.USER,
    idempotency_key: str | None = None,
    owner_id: str | None = None,
) -> Message:
    parts = parts or []
    errors = _errors(role, content, parts, idempotency_key)
    thread = await get_thread(
        context, session, thread_id, field=("threadId",), for_update=True, owner_id=owner_id
    )
    require(context, thread.organization_id, Action.WRITE, field=("threadId",))
    if errors:
        raise UserErrors(errors)
    if idempotency_key is not None:
        existing = await session.scalar(
            select(Message).where(
                Message.thread_id == thread.id, Message.idempotency_key == idempotency_key
            )
        )
        if existing is not None:
            return existing  # the same request again: the same message, nothing queued twice
    wants_reply = role is MessageRole.USER and thread.agent_id is not None
    message = Message(
        organization_id=thread.organization_id,
        thread_id=thread.id,
        role=role,
        content=content,
        parts=parts,
        author_user_id=context.principal.user_id,
        idempotency_key=idempotency_key,
        reply_state=ReplyState.QUEUED if wants_reply else None,
    )
    session.add(message)
    await session.flush()
    thread.last_message_at = message.created_at
    await events.emit(context, session, thread, events.MESSAGE_CREATED, message_id=message.id)
    if wants_reply and not thread.replying:
        thread.replying = True
        await context.enqueue(
            session, REPLY_JOB, {"thread_id": thread.id}, organization_id=thread.organization_id
        )
    await session.flush()
    return message


async def queue_positions(session: AsyncSession, messages: list[Message]) -> dict[str, int]:
    """Each waiting message's place in its thread's queue (1 = being answered or next)."""
    waiting = [m for m in messages if m.reply_state in (ReplyState.QUEUED, ReplyState.RUNNING)]
    if not waiting:
        return {}
    thread_ids = {m.thread_id for m in waiting}
    rows = (
        await session.execute(
            select(Message.thread_id, Message.id)
            .where(
                Message.thread_id.in_(thread_ids),
                Message.reply_state.in_([ReplyState.QUEUED, ReplyState.RUNNING]),
            )
            .order_by(Message.thread_id, Message.id)
        )
    ).all()
    positions: dict[str, int] = {}
    counters: dict[str, int] = {}
    for thread, message_id in rows:
        counters[thread] = counters.get(thread, 0) + 1
        positions[message_id] = counters[thread]
    return positions


async def typing(context: Context, session: AsyncSession, *, thread_id: str) -> Thread:
    """Tell the thread's listeners the caller is typing (ephemeral; nothing is stored)."""
    thread = await get_thread(context, session, thread_id, field=("threadId",))
    services = context.services

    async def publish() -> None:
        await events.publish_now(services, thread, events.TYPING, user_id=context.principal.user_id)

    context.after_commit(publish)
    return thread


async def unanswered(session: AsyncSession, thread_id: str) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                Message.thread_id == thread_id,
                Message.reply_state.in_([ReplyState.QUEUED, ReplyState.RUNNING]),
            )
        )
        or 0
    )
