"""Turning a bus topic into a subscription field's stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import TypeVar

from atrium.core.context import Context
from atrium.core.pubsub import Event

T = TypeVar("T")


async def topic_stream(
    context: Context, topic: str, convert: Callable[[Event], T | None]
) -> AsyncGenerator[T, None]:
    """Yield ``convert(event)`` for each event on ``topic`` (None results are skipped).

    A subscription lives for hours: each event is resolved with fresh loaders, and the
    database session is released between events instead of being held open.
    """
    async with context.services.bus.subscribe(topic) as subscription:
        async for event in subscription:
            item = convert(event)
            if item is None:
                continue
            context.loaders.clear()
            yield item
            await context.close()
