"""``threadEvents(threadId)`` and ``teamEvents(teamId)``: seed 001's `thread:` and `team:`
channels as subscriptions.

Deltas carry the text chunk itself, so a listener renders a streamed reply without a
query per token; every event about a message carries the message's connection cursor,
so a listener that reconnects catches up with ``messages(after: cursor)``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

import strawberry
from sqlalchemy import select

from atrium.core.errors import NotFound
from atrium.core.pagination import encode_cursor
from atrium.core.policy import Role
from atrium.core.pubsub import Event
from atrium.models.identity import Team, TeamMembership
from atrium.resolvers.threads import events, loaders
from atrium.schema.agents import Agent, load_agent
from atrium.schema.common import AtriumInfo
from atrium.schema.identity.types import User, load_user
from atrium.schema.threads.types import Message, Thread, load_thread
from atrium.subscriptions.common import topic_stream


@strawberry.enum(description="What happened in a thread (or, for teamEvents, in a team).")
class ThreadEventType(StrEnum):
    MESSAGE_CREATED = events.MESSAGE_CREATED
    MESSAGE_DELTA = events.MESSAGE_DELTA
    MESSAGE_COMPLETED = events.MESSAGE_COMPLETED
    TYPING = events.TYPING
    AGENT_STATUS = events.AGENT_STATUS
    ERROR = events.ERROR
    THREAD_CREATED = events.THREAD_CREATED
    THREAD_UPDATED = events.THREAD_UPDATED
    THREAD_DELETED = events.THREAD_DELETED
    TEAM_UPDATED = "team.updated"
    TEAM_DELETED = "team.deleted"
    TEAM_MEMBER_ADDED = "team.member_added"
    TEAM_MEMBER_REMOVED = "team.member_removed"
    PRESENCE = "presence"


_TYPES = {t.value: t for t in ThreadEventType}


@strawberry.type(description="An event of a thread or team channel.")
class ThreadEvent:
    id: strawberry.ID = strawberry.field(description="Event ID (`evt_…`).")
    type: ThreadEventType = strawberry.field(description="What happened.")
    sequence: int | None = strawberry.field(
        description="Position on the channel (null for deltas, typing, status, presence)."
    )
    occurred_at: datetime = strawberry.field(description="When it happened.")
    thread_id: strawberry.ID | None = strawberry.field(description="The thread.")
    message_id: strawberry.ID | None = strawberry.field(description="The message concerned.")
    cursor: str | None = strawberry.field(
        description="The message's cursor in `Thread.messages`, to catch up after it."
    )
    delta: str | None = strawberry.field(description="MESSAGE_DELTA: the next chunk of text.")
    index: int | None = strawberry.field(description="MESSAGE_DELTA: the chunk's position.")
    status: str | None = strawberry.field(
        description="AGENT_STATUS: RESPONDING or IDLE; PRESENCE: ONLINE or OFFLINE."
    )
    error: str | None = strawberry.field(description="ERROR: what went wrong.")
    code: str | None = strawberry.field(description="ERROR: unauthorized, rate_limited, …")
    payload: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_event(cls, event: Event) -> Self | None:
        kind = _TYPES.get(event.type)
        if kind is None:
            return None
        p = event.payload
        message_id = p.get("message_id")
        return cls(
            id=strawberry.ID(event.id),
            type=kind,
            sequence=event.sequence,
            occurred_at=event.occurred_at,
            thread_id=p.get("thread_id"),
            message_id=message_id,
            cursor=encode_cursor(message_id) if message_id else None,
            delta=p.get("delta"),
            index=p.get("index"),
            status=p.get("status"),
            error=p.get("error"),
            code=p.get("code"),
            payload=p,
        )

    @strawberry.field(description="The message, as it is now.")
    async def message(self, info: AtriumInfo) -> Message | None:
        if self.message_id is None:
            return None
        row = await info.context.loaders.get(loaders.messages_by_id).load(self.message_id)
        return Message.from_model(row) if row else None

    @strawberry.field(description="The thread, as it is now.")
    async def thread(self, info: AtriumInfo) -> Thread | None:
        return await load_thread(info, self.thread_id)

    @strawberry.field(description="The person typing, joining or acting.")
    async def user(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.payload.get("user_id") or self.payload.get("actor_id"))

    @strawberry.field(description="AGENT_STATUS: the agent.")
    async def agent(self, info: AtriumInfo) -> Agent | None:
        return await load_agent(info, self.payload.get("agent_id"))


async def _presence(services: Any, team: Team, user_id: str | None, status: str) -> None:
    if user_id is None:
        return
    await services.bus.publish(
        Event(
            type="presence",
            topic=events.team_topic(team.id),
            payload={"user_id": user_id, "status": status},
            organization_id=team.organization_id,
        )
    )


@strawberry.type
class ThreadSubscription:
    @strawberry.subscription(
        description="A thread's messages, streamed replies, typing and agent status. "
        "NOT_FOUND for a thread you cannot see."
    )
    async def thread_events(
        self,
        info: AtriumInfo,
        thread_id: Annotated[strawberry.ID, strawberry.argument(description="The thread.")],
    ) -> AsyncGenerator[ThreadEvent, None]:
        row = await info.context.loaders.get(loaders.threads_by_id).load(thread_id)
        if row is None:
            raise NotFound("Thread", thread_id)
        await info.context.close()

        async def still_visible(context: Any) -> bool:
            return await context.loaders.get(loaders.threads_by_id).load(thread_id) is not None

        return topic_stream(
            info.context,
            events.thread_topic(thread_id),
            ThreadEvent.from_event,
            organization_id=row.organization_id,
            still_visible=still_visible,
        )

    @strawberry.subscription(
        description="A team's channel: membership, its threads' messages, presence. For the "
        "team's members and the organization's admins."
    )
    async def team_events(
        self,
        info: AtriumInfo,
        team_id: Annotated[strawberry.ID, strawberry.argument(description="The team.")],
    ) -> AsyncGenerator[ThreadEvent, None]:
        context = info.context
        async with context.session() as session:
            team = await session.get(Team, team_id)
        if team is None or not await _may_listen(context, team):
            raise NotFound("Team", team_id)
        await context.close()
        return _team_stream(info, team)


async def _may_listen(context: Any, team: Team) -> bool:
    """A team's members and its organization's admins hear its channel."""
    principal = context.principal
    role = principal.role_in(team.organization_id)
    if role is None:
        return False
    if role in (Role.OWNER, Role.ADMIN):
        return True
    async with context.session() as session:
        member = await session.scalar(
            select(TeamMembership.id).where(
                TeamMembership.team_id == team.id, TeamMembership.user_id == principal.user_id
            )
        )
    return member is not None


async def _team_stream(info: AtriumInfo, team: Team) -> AsyncGenerator[ThreadEvent, None]:
    context = info.context
    user_id = context.principal.user_id
    await _presence(context.services, team, user_id, "ONLINE")
    try:
        async for event in topic_stream(
            context,
            events.team_topic(team.id),
            ThreadEvent.from_event,
            organization_id=team.organization_id,
            still_visible=lambda current: _may_listen(current, team),
        ):
            if event.type is ThreadEventType.PRESENCE and event.payload.get("user_id") == user_id:
                continue  # one's own comings and goings are news to others only
            yield event
    finally:
        await _presence(context.services, team, user_id, "OFFLINE")
