"""The event bus's Redis backend, imported only when the bus URL is ``redis://``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from broadcaster._backends.redis import RedisBackend


class BackendFailed(Exception):
    """The backend's connection broke; the event bus's supervisor reconnects."""


@dataclass
class BackendFailure:
    """What the listener queues when its connection broke, for the reader to raise."""

    error: Exception


class ResilientRedisBackend(RedisBackend):
    """broadcaster's Redis backend, made to report a broken connection instead of hanging.

    Also fixes a race in broadcaster 0.3.1: it wakes its listener *before* the SUBSCRIBE
    completes, redis-py's ``listen()`` then sees no subscription and returns, and the
    listener sleeps forever. Here the listener is woken after subscribing.
    """

    async def subscribe(self, channel: str) -> None:
        await self._pubsub.subscribe(channel)
        self._ready.set()

    async def _pubsub_listener(self) -> None:
        try:
            await super()._pubsub_listener()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # connection lost, server restarted, …
            await self._queue.put(BackendFailure(error))  # type: ignore[arg-type]

    async def next_published(self) -> Any:
        item = await self._queue.get()
        if isinstance(item, BackendFailure):
            raise BackendFailed(str(item.error)) from item.error
        return item
