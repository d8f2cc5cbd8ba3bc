"""Thread queries and mutations: threads of users and teams, messages, typing."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry.scalars import JSON

from atrium.core.errors import NotFound, UserErrorCode
from atrium.models import threads as models
from atrium.models.identity import Team
from atrium.resolvers.threads import messages as message_service
from atrium.resolvers.threads import threads as service
from atrium.resolvers.threads.visibility import visible_threads
from atrium.schema.common import (
    After,
    AtriumInfo,
    Before,
    Connection,
    First,
    Last,
    UserError,
    run_mutation,
    statement_connection,
)
from atrium.schema.threads.types import Message, Thread, load_thread


async def _require_team(info: AtriumInfo, team_id: str) -> None:
    """A team of another organization is NOT_FOUND, not an empty list."""
    async with info.context.session() as session:
        team = await session.get(Team, team_id)
    if team is None or info.context.principal.role_in(team.organization_id) is None:
        raise NotFound("Team", team_id)


def _id(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.type
class ThreadQuery:
    @strawberry.field(description="A thread by ID (soft-deleted ones too). NOT_FOUND if hidden.")
    async def thread(
        self,
        info: AtriumInfo,
        id: Annotated[strawberry.ID, _id("ID.")],
        owner_id: Annotated[
            strawberry.ID | None, _id("When given, the user or team that must own it.")
        ] = None,
    ) -> Thread:
        info.context.principal.require_authenticated()
        found = await load_thread(info, id)
        if found is None or (
            owner_id is not None and owner_id not in (found.owner_user_id, found.owner_team_id)
        ):
            raise NotFound("Thread", id)
        return found

    @strawberry.field(description="Threads you can see, most recent first.")
    async def threads(
        self,
        info: AtriumInfo,
        organization_id: Annotated[strawberry.ID | None, _id("Only this organization.")] = None,
        user_id: Annotated[strawberry.ID | None, _id("Only this user's threads.")] = None,
        team_id: Annotated[strawberry.ID | None, _id("Only this team's threads.")] = None,
        agent_id: Annotated[strawberry.ID | None, _id("Only threads with this agent.")] = None,
        repository_id: Annotated[strawberry.ID | None, _id("Only about this repository.")] = None,
        include_deleted: Annotated[bool, _id("Include soft-deleted threads.")] = False,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Thread]:
        info.context.principal.require_authenticated()
        if team_id is not None:
            await _require_team(info, team_id)
        model = models.Thread
        stmt = select(model).where(visible_threads(info.context))
        for column, value in (
            (model.organization_id, organization_id),
            (model.owner_user_id, user_id),
            (model.owner_team_id, team_id),
            (model.agent_id, agent_id),
            (model.repository_id, repository_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if not include_deleted:
            stmt = stmt.where(model.deleted_at.is_(None))
        return await statement_connection(
            info,
            stmt,
            model.id,
            Thread.from_model,
            first,
            after,
            last,
            before,
            descending=True,
            plain=True,
        )


@strawberry.input(description="A new thread, of a user (you, by default) or of a team.")
class CreateThreadInput:
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Organization; the credential's only one when omitted."
    )
    team_id: strawberry.ID | None = strawberry.field(default=None, description="A team's thread.")
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Whose thread (service accounts must say)."
    )
    title: str | None = strawberry.field(default=None, description="Title.")
    agent_id: strawberry.ID | None = strawberry.field(default=None, description="Agent to talk to.")
    repository_id: strawberry.ID | None = strawberry.field(default=None, description="About it.")
    use_default_assistant: bool = strawberry.field(
        default=False, description="No agent given: talk to the organization's assistant."
    )


@strawberry.input(description="Rename a thread or change its agent.")
class UpdateThreadInput:
    id: strawberry.ID = strawberry.field(description="The thread.")
    title: str | None = strawberry.field(default=None, description="New title.")
    agent_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="New agent; null removes it."
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="When given, the user or team that must own the thread."
    )


@strawberry.input(description="A thread, by ID.")
class ThreadIdInput:
    id: strawberry.ID = strawberry.field(description="The thread.")
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="When given, the user or team that must own the thread."
    )


@strawberry.input(description="A message to post.")
class PostMessageInput:
    thread_id: strawberry.ID = strawberry.field(description="The thread.")
    content: str = strawberry.field(description="The text.")
    parts: JSON | None = strawberry.field(default=None, description="Structured parts.")
    role: models.MessageRole = strawberry.field(
        default=models.MessageRole.USER, description="USER (default), SYSTEM or TOOL."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Posting the same key again returns the first message."
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="When given, the user or team that must own the thread."
    )


@strawberry.input(description="Say you are typing in a thread.")
class TypingInput:
    thread_id: strawberry.ID = strawberry.field(description="The thread.")


@strawberry.type(description="Result of changing a thread.")
class ThreadPayload:
    thread: Thread | None = strawberry.field(description="The thread.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of posting a message; the agent's reply follows.")
class PostMessagePayload:
    message: Message | None = strawberry.field(description="The message.")
    thread: Thread | None = strawberry.field(description="Its thread.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="Result of a typing signal.")
class TypingPayload:
    ok: bool = strawberry.field(description="Listeners were told.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


def _thread(row: Any, errors: list[UserError]) -> ThreadPayload:
    return ThreadPayload(thread=Thread.from_model(row) if row else None, user_errors=errors)


@strawberry.type
class ThreadMutation:
    @strawberry.mutation(description="Start a thread.")
    async def create_thread(self, info: AtriumInfo, input: CreateThreadInput) -> ThreadPayload:
        row, errors = await run_mutation(
            info,
            lambda c, s: service.create_thread(
                c,
                s,
                organization_id=input.organization_id,
                user_id=input.user_id,
                team_id=input.team_id,
                title=input.title,
                agent_id=input.agent_id,
                repository_id=input.repository_id,
                use_default_assistant=input.use_default_assistant,
            ),
        )
        return _thread(row, errors)

    @strawberry.mutation(description="Rename a thread or change its agent.")
    async def update_thread(self, info: AtriumInfo, input: UpdateThreadInput) -> ThreadPayload:
        extra: dict[str, Any] = {}
        if input.agent_id is not strawberry.UNSET:
            extra["agent_id"] = input.agent_id
        row, errors = await run_mutation(
            info,
            lambda c, s: service.update_thread(
                c, s, thread_id=input.id, title=input.title, owner_id=input.owner_id, **extra
            ),
        )
        return _thread(row, errors)

    @strawberry.mutation(description="Soft-delete a thread (kept; listed with includeDeleted).")
    async def delete_thread(self, info: AtriumInfo, input: ThreadIdInput) -> ThreadPayload:
        row, errors = await run_mutation(
            info, lambda c, s: service.delete_thread(c, s, input.id, input.owner_id)
        )
        return _thread(row, errors)

    @strawberry.mutation(description="Bring back a soft-deleted thread.")
    async def restore_thread(self, info: AtriumInfo, input: ThreadIdInput) -> ThreadPayload:
        row, errors = await run_mutation(info, lambda c, s: service.restore_thread(c, s, input.id))
        return _thread(row, errors)

    @strawberry.mutation(
        description="Post a message. In a thread with an agent it returns at once and the "
        "reply streams on `threadEvents`."
    )
    async def post_message(self, info: AtriumInfo, input: PostMessageInput) -> PostMessagePayload:
        raw: Any = input.parts
        parts: list[Any] | None = raw if isinstance(raw, list) else ([] if raw is None else None)
        if parts is None:
            return PostMessagePayload(
                message=None,
                thread=None,
                user_errors=[
                    UserError(
                        field=["parts"], message="Parts are a list", code=UserErrorCode.INVALID
                    )
                ],
            )
        row, errors = await run_mutation(
            info,
            lambda c, s: message_service.post_message(
                c,
                s,
                thread_id=input.thread_id,
                content=input.content,
                parts=parts,
                role=input.role,
                idempotency_key=input.idempotency_key,
                owner_id=input.owner_id,
            ),
        )
        return PostMessagePayload(
            message=Message.from_model(row) if row else None,
            thread=await load_thread(info, row.thread_id) if row else None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Tell the thread's listeners you are typing.")
    async def typing(self, info: AtriumInfo, input: TypingInput) -> TypingPayload:
        row, errors = await run_mutation(
            info, lambda c, s: message_service.typing(c, s, thread_id=input.thread_id)
        )
        return TypingPayload(ok=row is not None, user_errors=errors)
