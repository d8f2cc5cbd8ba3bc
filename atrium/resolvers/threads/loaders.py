"""Batch functions for threads and messages: one statement per batch, visibility in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from atrium.core.context import Context
from atrium.core.pagination import Page
from atrium.models.threads import Message, Thread
from atrium.resolvers.identity.loaders import users_by_id
from atrium.resolvers.loading import by_ids, child_counts, child_pages
from atrium.resolvers.threads.visibility import visible_messages, visible_threads


async def threads_by_id(context: Context, keys: list[str]) -> list[Thread | None]:
    """Threads by ID, soft-deleted ones included (``deletedAt`` says so)."""
    return await by_ids(
        context, select(Thread).where(Thread.id.in_(keys), visible_threads(context)), keys
    )


async def messages_by_id(context: Context, keys: list[str]) -> list[Message | None]:
    return await by_ids(context, visible_messages(context).where(Message.id.in_(keys)), keys)


messages_by_thread = child_pages(Message, Message.thread_id, visible_messages, plain=True)


async def messages_with_authors_by_thread(context: Context, keys: list[Any]) -> list[Page]:
    """Pages of messages, and their authors loaded before the batch returns.

    The authors go through ``users_by_id`` (one statement for every page of the batch,
    the users' visibility rules, its cache), so ``Message.author`` finds them loaded and
    resolves synchronously instead of costing an awaitable per message.
    """
    pages = await messages_by_thread(context, keys)
    authors = {row.author_user_id for page in pages for row in page.rows if row.author_user_id}
    if authors:
        await context.loaders.get(users_by_id).load_many(sorted(authors))
    return list(pages)


message_counts = child_counts(Message, Message.thread_id, visible_messages)


async def queue_positions_by_message(context: Context, keys: list[str]) -> list[int | None]:
    """Place in its thread's reply queue of each message (None when not waiting)."""
    from atrium.resolvers.threads.messages import queue_positions

    async with context.session() as session:
        rows = list(
            (await session.scalars(visible_messages(context).where(Message.id.in_(keys)))).all()
        )
        positions = await queue_positions(session, rows)
    return [positions.get(key) for key in keys]
