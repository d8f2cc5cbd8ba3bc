"""The event bus: typed events over ``broadcaster``, fanned out to bounded queues.

broadcaster (``memory://`` or ``redis://``) moves events between processes; this module
adds what DESIGN.md says it lacks:

* **Reconnect.** A supervisor task owns the backend. When Redis goes away, the listener
  raises, the supervisor waits with exponential backoff (0.1 s doubling to 5 s), builds a
  new backend and resubscribes every channel that still has subscribers. Events published
  while Redis is down are lost to live listeners (they are durable in the ``events``
  table; clients catch up with a query after the last ``sequence`` they saw).
* **Bounded queues.** Each subscriber has a queue of ``queue_size`` events. Overflow
  policy: *drop the oldest*. A slow subscriber never blocks the others nor grows memory;
  it sees a gap in the per-topic ``sequence`` numbers and counts it in ``dropped``.
* **Types.** Payloads on the wire are :class:`Event` JSON, never bare strings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import orjson
from broadcaster._backends.base import BroadcastBackend
from broadcaster._backends.memory import MemoryBackend
from ulid import ULID

logger = logging.getLogger("atrium.pubsub")

CHANNEL_PREFIX = "atrium:"
DEFAULT_QUEUE_SIZE = 256


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened, on one topic (``org:<id>``, ``user:<id>``, ``thread:<id>``)."""

    type: str
    topic: str
    payload: dict[str, Any]
    sequence: int | None = None  # per-topic, gap-free for durable events; None if ephemeral
    organization_id: str | None = None
    id: str = field(default_factory=lambda: f"evt_{ULID()}")
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.id,
                "type": self.type,
                "topic": self.topic,
                "sequence": self.sequence,
                "organization_id": self.organization_id,
                "occurred_at": self.occurred_at.isoformat(),
                "payload": self.payload,
            }
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        data = orjson.loads(raw)
        return cls(
            id=data["id"],
            type=data["type"],
            topic=data["topic"],
            sequence=data.get("sequence"),
            organization_id=data.get("organization_id"),
            occurred_at=datetime.fromisoformat(data["occurred_at"]),
            payload=data.get("payload") or {},
        )


class Subscription:
    """A bounded queue of events for one subscriber; oldest dropped on overflow."""

    def __init__(self, channel: str, size: int) -> None:
        self.channel = channel
        self._events: deque[Event] = deque(maxlen=size)
        self._ready = asyncio.Event()
        self.dropped = 0
        self.closed = False

    def offer(self, event: Event) -> None:
        if len(self._events) == self._events.maxlen:
            self.dropped += 1
        self._events.append(event)
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def get(self) -> Event | None:
        """The next event, or None once the subscription is closed."""
        while not self._events:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._events.popleft()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while (event := await self.get()) is not None:
            yield event


class EventBus:
    def __init__(self, url: str = "memory://", *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self.url = url
        self.queue_size = queue_size
        self._subscribers: dict[str, set[Subscription]] = {}
        self._backend: BroadcastBackend | None = None
        self._connected = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.reconnects = 0

    def _make_backend(self) -> BroadcastBackend:
        scheme = urlparse(self.url).scheme
        if scheme in ("redis", "rediss"):
            # Imported when used: redis-py is ~9 MB of memory a process on the embedded
            # default (memory://) would hold for nothing.
            from atrium.core.pubsub_redis import ResilientRedisBackend

            return ResilientRedisBackend(self.url)
        if scheme == "memory":
            return MemoryBackend(self.url)
        raise ValueError(f"Unsupported event bus URL {self.url!r} (memory:// or redis://)")

    async def start(self) -> None:
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._supervise(), name="atrium-event-bus")

    async def wait_connected(self) -> None:
        """Wait until the backend is connected (callers bound it with ``asyncio.timeout``)."""
        await self._connected.wait()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def close(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        await self._drop_backend()
        for subscribers in self._subscribers.values():
            for subscription in subscribers:
                subscription.close()

    async def _drop_backend(self) -> None:
        backend, self._backend = self._backend, None
        self._connected.clear()
        if backend is not None:
            with contextlib.suppress(Exception):
                await backend.disconnect()

    async def _supervise(self) -> None:
        delay = 0.1
        while True:
            try:
                backend = self._make_backend()
                await backend.connect()
                async with self._lock:
                    for channel in list(self._subscribers):
                        await backend.subscribe(channel)
                    self._backend = backend
                    self._connected.set()
                if delay > 0.1:
                    self.reconnects += 1
                    logger.info("event bus reconnected", extra={"url": _safe(self.url)})
                delay = 0.1
                while True:
                    self._dispatch(await backend.next_published())
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning(
                    "event bus connection lost; retrying in %.1fs: %r",
                    delay,
                    error,
                    extra={"url": _safe(self.url)},
                )
                await self._drop_backend()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _dispatch(self, message: Any) -> None:
        subscribers = self._subscribers.get(message.channel)
        if not subscribers:
            return
        try:
            event = Event.from_json(message.message)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            logger.warning("ignoring malformed event on %s", message.channel)
            return
        for subscription in subscribers:
            subscription.offer(event)

    async def publish(self, event: Event) -> bool:
        """Send ``event`` to every subscriber of its topic, in every process.

        Returns False (and logs) when the bus is down: publishing happens after commit,
        so it must never fail the request that caused the event.
        """
        backend = self._backend
        if backend is None:
            logger.warning("event bus down; %s on %s not delivered live", event.type, event.topic)
            return False
        try:
            message = event.to_json().decode()
            await backend.publish(CHANNEL_PREFIX + event.topic, message)
        except Exception as error:
            logger.warning("publishing %s failed: %r", event.type, error)
            return False
        return True

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        channel = CHANNEL_PREFIX + topic
        subscription = Subscription(channel, self.queue_size)
        async with self._lock:
            first = channel not in self._subscribers
            self._subscribers.setdefault(channel, set()).add(subscription)
            if first and self._backend is not None:
                # If this fails the connection is broken; the supervisor resubscribes.
                with contextlib.suppress(Exception):
                    await self._backend.subscribe(channel)
        try:
            yield subscription
        finally:
            subscription.close()
            async with self._lock:
                subscribers = self._subscribers.get(channel, set())
                subscribers.discard(subscription)
                if not subscribers:
                    self._subscribers.pop(channel, None)
                    if self._backend is not None:
                        with contextlib.suppress(Exception):
                            await self._backend.unsubscribe(channel)

    def subscriber_count(self, topic: str | None = None) -> int:
        if topic is not None:
            return len(self._subscribers.get(CHANNEL_PREFIX + topic, ()))
        return sum(len(s) for s in self._subscribers.values())


def _safe(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.hostname or ''}:{parsed.port or ''}"
