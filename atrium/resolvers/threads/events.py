"""The threads domain's events: what listeners of a thread (and of its team) hear.

Stored events (message created, completed, failed) go through the request's transaction
like every domain event. Token deltas, typing and agent status are ephemeral: they are
published at once on the bus and never stored, so a reconnecting listener catches up
with ``messages(after:)``, not with a replay of deltas.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.pubsub import Event
from atrium.models.threads import Thread
from atrium.resolvers.identity.events import user_topic

MESSAGE_CREATED = "message.created"
MESSAGE_DELTA = "message.delta"
MESSAGE_COMPLETED = "message.completed"
TYPING = "typing"
AGENT_STATUS = "agent.status"
ERROR = "error"
THREAD_CREATED = "thread.created"
THREAD_UPDATED = "thread.updated"
THREAD_DELETED = "thread.deleted"


def thread_topic(thread_id: str) -> str:
    return f"thread:{thread_id}"


def team_topic(team_id: str) -> str:
    return f"team:{team_id}"


# What the owner of a personal thread is notified of on ``userEvents``.
NOTIFY_OWNER = frozenset({MESSAGE_COMPLETED, ERROR})


def topics_for(thread: Thread, type: str) -> list[str]:
    """A team thread's stored events also reach ``teamEvents`` of its team; a personal
    thread's finished or failed replies notify its owner on ``userEvents``."""
    topics = [thread_topic(thread.id)]
    if thread.owner_team_id:
        topics.append(team_topic(thread.owner_team_id))
    elif thread.owner_user_id and type in NOTIFY_OWNER:
        topics.append(user_topic(thread.owner_user_id))
    return topics


async def emit(
    context: Context, session: AsyncSession, thread: Thread, type: str, **data: Any
) -> None:
    payload = {
        "thread_id": thread.id,
        "actor_id": context.principal.user_id,
        "subject_id": data.get("message_id", thread.id),
        **data,
    }
    await context.emit(
        session,
        topics=topics_for(thread, type),
        type=type,
        payload={k: v for k, v in payload.items() if v is not None},
        organization_id=thread.organization_id,
    )


async def publish_now(services: Any, thread: Thread, type: str, **data: Any) -> None:
    """An ephemeral event on the thread's topic only, sent now (no transaction)."""
    await services.bus.publish(
        Event(
            type=type,
            topic=thread_topic(thread.id),
            payload={"thread_id": thread.id, **data},
            organization_id=thread.organization_id,
        )
    )
