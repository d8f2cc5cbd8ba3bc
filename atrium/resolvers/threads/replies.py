"""The ``thread.reply`` job: answer a thread's queued messages, one at a time, streamed.

Each turn commits in steps so listeners see them as they happen: the reply message is
created (STREAMING, ``message.created``), token deltas are published live and never
stored, and the finished reply is saved with its token usage (``message.completed``).
A worker that dies mid-reply leaves the turn RUNNING; the job's retry deletes the
half-written reply and answers again. A provider failure that retrying cannot fix marks
the reply FAILED with an ``error`` event and the queue moves on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.jobs import JobContext, job_handler
from atrium.models.agents import Agent
from atrium.models.threads import (
    Message,
    MessageRole,
    MessageStatus,
    ModelUsage,
    ReplyState,
    Thread,
)
from atrium.providers.base import ChatMessage, Delta, ProviderConfig, ProviderError, Usage
from atrium.providers.factory import create_provider
from atrium.resolvers.knowledge.search import agent_context
from atrium.resolvers.threads import events
from atrium.resolvers.threads.messages import REPLY_JOB

ROLE_NAMES = {
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.SYSTEM: "system",
    MessageRole.TOOL: "tool",
}


def provider_config(agent: Agent, settings: Any) -> ProviderConfig:
    """The agent's own provider settings, falling back to the server's."""
    kind = agent.provider or settings.llm_provider
    if agent.provider_base_url:
        # An endpoint of the agent's own gets the agent's own key, never the server's:
        # otherwise anyone who can edit an agent could send the server's key anywhere.
        base_url, api_key = agent.provider_base_url, agent.provider_api_key
    else:
        base_url, api_key = settings.llm_base_url, agent.provider_api_key or settings.llm_api_key
    return ProviderConfig(
        kind=kind,
        model=agent.model or settings.llm_model,
        base_url=base_url,
        api_key=api_key,
        timeout_seconds=settings.llm_timeout_seconds,
    )


async def _next_turn(session: AsyncSession, thread_id: str) -> Message | None:
    """The oldest unanswered message (one left RUNNING by a dead worker comes first)."""
    return await session.scalar(
        select(Message)
        .where(
            Message.thread_id == thread_id,
            Message.reply_state.in_([ReplyState.RUNNING, ReplyState.QUEUED]),
        )
        .order_by(Message.id)
        .limit(1)
    )


async def _history(
    session: AsyncSession, thread: Thread, agent: Agent, upto: Message, limit: int
) -> list[ChatMessage]:
    """The conversation as of ``upto``: earlier messages and the answers to them.

    An answer is written after every question queued before it started, so its ID can
    be above ``upto``'s: answers are placed right after their question, and messages
    posted after ``upto`` are left out.
    """
    rows = (
        await session.scalars(
            select(Message)
            .where(
                Message.thread_id == thread.id,
                Message.status == MessageStatus.COMPLETED,
                (Message.id <= upto.id) | (Message.reply_to_id < upto.id),
            )
            .order_by(Message.id.desc())
            .limit(limit)
        )
    ).all()
    ordered = sorted(rows, key=lambda m: (m.reply_to_id or m.id, m.reply_to_id is not None, m.id))
    history = [ChatMessage(ROLE_NAMES[m.role], m.content) for m in ordered]
    if agent.system_prompt:
        history.insert(0, ChatMessage("system", agent.system_prompt))
    return history


@job_handler(REPLY_JOB)
async def answer_thread(job: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    context = Context.for_job(job)
    answered = 0
    try:
        while True:
            turn = await _start_turn(context, payload["thread_id"])
            if turn is None:
                return {"answered": answered}
            await _run_turn(context, job, *turn)
            answered += 1
    except Exception:
        if job.last_attempt:  # out of retries: free the queue rather than leave it stuck
            await _give_up(context, payload["thread_id"])
        raise
    finally:
        await context.close()


async def _give_up(context: Context, thread_id: str) -> None:
    """Out of retries: fail the queue and any half-written reply, and tell listeners."""
    await context.close()
    async with context.session() as session:
        thread = await session.get(Thread, thread_id)
        if thread is None:
            return
        thread.replying = False
        streaming = (
            await session.scalars(
                select(Message).where(
                    Message.thread_id == thread_id, Message.status == MessageStatus.STREAMING
                )
            )
        ).all()
        reason = "The reply could not be produced"
        for reply in streaming:
            reply.status, reply.error = MessageStatus.FAILED, reason
            reply.completed_at = datetime.now(UTC)
            await events.emit(
                context,
                session,
                thread,
                events.ERROR,
                message_id=reply.id,
                error=reason,
                code="upstream",
            )
        await _fail_queue(session, thread_id, reason)
        await session.flush()
    await context.commit()
    if thread.agent_id:
        await events.publish_now(
            context.services, thread, events.AGENT_STATUS, agent_id=thread.agent_id, status="IDLE"
        )


async def _start_turn(
    context: Context, thread_id: str
) -> tuple[Thread, Agent, Message, Message, list[ChatMessage]] | None:
    """Take the next message off the queue, or mark the thread idle when it is empty."""
    async with context.session() as session:
        # populate_existing: each turn re-reads the thread and agent as committed now
        # (renamed agent, changed prompt, deleted thread), not as this session cached them.
        thread = await session.scalar(
            select(Thread)
            .where(Thread.id == thread_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if thread is None:
            return None
        question = await _next_turn(session, thread.id)
        agent = (
            await session.get(Agent, thread.agent_id, populate_existing=True)
            if thread.agent_id and thread.deleted_at is None
            else None
        )
        if question is None or agent is None:
            thread.replying = False
            if question is not None:  # agent removed or thread deleted: nobody will answer
                await _fail_queue(session, thread.id, "The thread has no agent any more")
            await session.flush()
            await context.commit()
            return None
        await session.execute(
            delete(Message).where(
                Message.reply_to_id == question.id, Message.status == MessageStatus.STREAMING
            )
        )
        question.reply_state = ReplyState.RUNNING
        reply = Message(
            organization_id=thread.organization_id,
            thread_id=thread.id,
            role=MessageRole.ASSISTANT,
            status=MessageStatus.STREAMING,
            author_agent_id=agent.id,
            reply_to_id=question.id,
        )
        session.add(reply)
        await session.flush()
        history = await _history(
            session, thread, agent, question, context.settings.llm_history_messages
        )
        knowledge = await agent_context(context, session, agent.id, question.content)
        if knowledge is not None:  # cited passages of the agent's knowledge bases
            history.insert(1 if agent.system_prompt else 0, ChatMessage("system", knowledge))
        await events.emit(context, session, thread, events.MESSAGE_CREATED, message_id=reply.id)
    await context.commit()
    await events.publish_now(
        context.services, thread, events.AGENT_STATUS, agent_id=agent.id, status="RESPONDING"
    )
    return thread, agent, question, reply, history


async def _run_turn(
    context: Context,
    job: JobContext,
    thread: Thread,
    agent: Agent,
    question: Message,
    reply: Message,
    history: list[ChatMessage],
) -> None:
    provider = create_provider(provider_config(agent, context.settings))
    chunks: list[str] = []
    usage: Usage | None = None
    try:
        async for item in provider.stream(history):
            if isinstance(item, Delta):
                chunks.append(item.text)
                await events.publish_now(
                    context.services,
                    thread,
                    events.MESSAGE_DELTA,
                    message_id=reply.id,
                    index=len(chunks) - 1,
                    delta=item.text,
                )
            else:
                usage = item
    except ProviderError as error:
        if error.retryable and not job.last_attempt:
            raise  # the job retries with backoff; the turn restarts from scratch
        await _finish(context, thread, agent, question, reply, "".join(chunks), None, error)
        return
    await _finish(context, thread, agent, question, reply, "".join(chunks), usage, None)


async def _finish(
    context: Context,
    thread: Thread,
    agent: Agent,
    question: Message,
    reply: Message,
    text: str,
    usage: Usage | None,
    error: ProviderError | None,
) -> None:
    async with context.session() as session:
        reply.content = text
        reply.completed_at = datetime.now(UTC)
        # the agent may have been deleted while it was answering
        live_agent = await session.get(Agent, agent.id, populate_existing=True)
        if error is None and usage is not None:
            reply.status = MessageStatus.COMPLETED
            reply.model = usage.model
            reply.input_tokens, reply.output_tokens = usage.input_tokens, usage.output_tokens
            question.reply_state = ReplyState.ANSWERED
            session.add(
                ModelUsage(
                    organization_id=thread.organization_id,
                    agent_id=live_agent.id if live_agent else None,
                    user_id=question.author_user_id,
                    team_id=thread.owner_team_id,
                    thread_id=thread.id,
                    message_id=reply.id,
                    model=usage.model,
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                )
            )
            await events.emit(
                context, session, thread, events.MESSAGE_COMPLETED, message_id=reply.id
            )
        else:
            reply.status = MessageStatus.FAILED
            reply.error = str(error) if error else "The provider ended without a reply"
            question.reply_state = ReplyState.FAILED
            await events.emit(
                context,
                session,
                thread,
                events.ERROR,
                message_id=reply.id,
                error=reply.error,
                code=error.code if error else "upstream",
            )
        await session.flush()
    await context.commit()
    await events.publish_now(
        context.services, thread, events.AGENT_STATUS, agent_id=agent.id, status="IDLE"
    )


async def _fail_queue(session: AsyncSession, thread_id: str, reason: str) -> None:
    waiting = (
        await session.scalars(
            select(Message).where(
                Message.thread_id == thread_id,
                Message.reply_state.in_([ReplyState.RUNNING, ReplyState.QUEUED]),
            )
        )
    ).all()
    for message in waiting:
        message.reply_state = ReplyState.FAILED
        message.error = reason
