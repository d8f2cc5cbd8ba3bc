"""Threads and messages as graph types."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from atrium.core.loaders import NOT_LOADED
from atrium.models import threads as models
from atrium.resolvers.identity import loaders as identity_loaders
from atrium.resolvers.threads import loaders
from atrium.schema.agents import Agent, load_agent
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    Node,
    child_connection,
    reads,
    record_converter,
    resolve_later,
    selected_columns,
    selects_item_field,
)
from atrium.schema.identity.types import Organization, Team, User, load_organization, load_user

strawberry.enum(
    models.MessageRole, name="MessageRole", description="USER, ASSISTANT, SYSTEM, TOOL."
)
strawberry.enum(
    models.MessageStatus,
    name="MessageStatus",
    description="COMPLETED, STREAMING (a reply being written) or FAILED.",
)
strawberry.enum(
    models.ReplyState,
    name="ReplyState",
    description="A user message's place in the agent's queue: QUEUED, RUNNING, ANSWERED, FAILED.",
)


@strawberry.type(description="A message in a thread, by a person or an agent.")
class Message(Node):
    role: models.MessageRole = strawberry.field(description="Who speaks.")
    content: str = strawberry.field(description="The text.")
    parts: JSON = strawberry.field(
        description="Structured parts: `{type: text|tool_call|tool_result|image|file, …}`."
    )
    status: models.MessageStatus = strawberry.field(description="Whether it is finished.")
    idempotency_key: str | None = strawberry.field(description="The key it was posted with.")
    reply_state: models.ReplyState | None = strawberry.field(
        description="For a user message to an agent: where its reply stands."
    )
    model: str | None = strawberry.field(description="Model that wrote it (agent replies).")
    input_tokens: int | None = strawberry.field(description="Prompt tokens of the reply.")
    output_tokens: int | None = strawberry.field(description="Tokens the reply used.")
    error: str | None = strawberry.field(description="Why the reply failed.")
    created_at: datetime = strawberry.field(description="When it was posted.")
    completed_at: datetime | None = strawberry.field(description="When a reply finished.")
    thread_id: strawberry.Private[str]
    author_user_id: strawberry.Private[str | None]
    author_agent_id: strawberry.Private[str | None]
    reply_to_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: models.Message) -> Message:
        return cls(
            id=strawberry.ID(row.id),
            role=row.role,
            content=row.content,
            parts=cast("JSON", row.parts),
            status=row.status,
            idempotency_key=row.idempotency_key,
            reply_state=row.reply_state,
            model=row.model,
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            error=row.error,
            created_at=row.created_at,
            completed_at=row.completed_at,
            thread_id=row.thread_id,
            author_user_id=row.author_user_id,
            author_agent_id=row.author_agent_id,
            reply_to_id=row.reply_to_id,
        )

    @strawberry.field(description="The person who wrote it.", metadata=reads("author_user_id"))
    def author(self, info: AtriumInfo) -> User | None:
        """Synchronous when the messages' batch loaded the authors (``Thread.messages``
        asks for that when the query selects ``author``)."""
        if self.author_user_id is None:
            return None
        user = info.context.loaders.peek_converted(
            identity_loaders.users_by_id, self.author_user_id, User.from_model
        )
        if user is NOT_LOADED:
            return resolve_later(load_user(info, self.author_user_id))
        return user

    @strawberry.field(description="The agent that wrote it.", metadata=reads("author_agent_id"))
    async def agent(self, info: AtriumInfo) -> Agent | None:
        return await load_agent(info, self.author_agent_id)

    @strawberry.field(
        description="Place in the thread's reply queue (1 = being answered).",
        metadata=reads("reply_state"),
    )
    async def queue_position(self, info: AtriumInfo) -> int | None:
        if self.reply_state not in (models.ReplyState.QUEUED, models.ReplyState.RUNNING):
            return None
        return await info.context.loaders.get(loaders.queue_positions_by_message).load(self.id)

    @strawberry.field(description="The message this one answers.", metadata=reads("reply_to_id"))
    async def reply_to(self, info: AtriumInfo) -> Message | None:
        if self.reply_to_id is None:
            return None
        row = await info.context.loaders.get(loaders.messages_by_id).load(self.reply_to_id)
        return Message.from_model(row) if row else None

    @strawberry.field(description="Its thread.", metadata=reads("thread_id"))
    async def thread(self, info: AtriumInfo) -> Thread | None:
        return await load_thread(info, self.thread_id)


@strawberry.type(description="A conversation of a user or a team, optionally with an agent.")
class Thread(Node):
    title: str = strawberry.field(description="Title (may be empty).")
    replying: bool = strawberry.field(description="The agent is working through its queue.")
    repository_id: strawberry.ID | None = strawberry.field(description="Repository it is about.")
    last_message_at: datetime | None = strawberry.field(description="Latest message.")
    deleted_at: datetime | None = strawberry.field(description="Set once soft-deleted.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    organization_id: strawberry.Private[str]
    owner_user_id: strawberry.Private[str | None]
    owner_team_id: strawberry.Private[str | None]
    agent_id: strawberry.Private[str | None]
    created_by_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, row: models.Thread) -> Thread:
        return cls(
            id=strawberry.ID(row.id),
            title=row.title,
            replying=row.replying,
            repository_id=strawberry.ID(row.repository_id) if row.repository_id else None,
            last_message_at=row.last_message_at,
            deleted_at=row.deleted_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            organization_id=row.organization_id,
            owner_user_id=row.owner_user_id,
            owner_team_id=row.owner_team_id,
            agent_id=row.agent_id,
            created_by_id=row.created_by_id,
        )

    @strawberry.field(description="The user whose thread it is (null for a team thread).")
    async def owner_user(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.owner_user_id)

    @strawberry.field(description="The team whose thread it is (null for a user thread).")
    async def owner_team(self, info: AtriumInfo) -> Team | None:
        if self.owner_team_id is None:
            return None
        row = await info.context.loaders.get(identity_loaders.teams_by_id).load(self.owner_team_id)
        return Team.from_model(row) if row else None

    @strawberry.field(description="The agent that answers in it.")
    async def agent(self, info: AtriumInfo) -> Agent | None:
        return await load_agent(info, self.agent_id)

    @strawberry.field(description="Who created it.")
    async def created_by(self, info: AtriumInfo) -> User | None:
        return await load_user(info, self.created_by_id)

    @strawberry.field(description="The organization.")
    async def organization(self, info: AtriumInfo) -> Organization | None:
        return await load_organization(info, self.organization_id)

    @strawberry.field(
        description="Messages, oldest first; page back with `last`/`before`, catch up after a "
        "reconnect with `after` (the last cursor you saw)."
    )
    async def messages(
        self,
        info: AtriumInfo,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Message]:
        with_authors = selects_item_field(info, "author")
        return await child_connection(
            info,
            self.id,
            loaders.messages_with_authors_by_thread if with_authors else loaders.messages_by_thread,
            loaders.message_counts,
            message_from_record,
            first,
            after,
            last,
            before,
            columns=selected_columns(info, "Message"),
        )


message_from_record = record_converter(Message)


async def load_thread(info: AtriumInfo, thread_id: str | None) -> Thread | None:
    if thread_id is None:
        return None
    row = await info.context.loaders.get(loaders.threads_by_id).load(thread_id)
    return Thread.from_model(row) if row else None


NODE_TYPES: dict[str, tuple[Any, Any]] = {
    "thr": (loaders.threads_by_id, Thread.from_model),
    "msg": (loaders.messages_by_id, Message.from_model),
}
