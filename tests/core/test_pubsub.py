"""The event bus: typed events, bounded queues, and surviving a Redis restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from atrium.core.pubsub import Event, EventBus, Subscription
from tests.support.redis_server import RedisServer


async def _started(url: str, queue_size: int = 256) -> EventBus:
    bus = EventBus(url, queue_size=queue_size)
    await bus.start()
    async with asyncio.timeout(10):
        await bus.wait_connected()
    return bus


async def _next(subscription: Subscription, seconds: float = 5.0) -> Event:
    event = await asyncio.wait_for(subscription.get(), seconds)
    assert event is not None
    return event


@pytest.fixture
async def memory_bus() -> AsyncIterator[EventBus]:
    bus = await _started("memory://")
    yield bus
    await bus.close()


async def test_subscriber_receives_typed_events_of_its_topic_only(memory_bus: EventBus) -> None:
    async with memory_bus.subscribe("org:a") as subscription:
        await memory_bus.publish(Event("member.added", "org:b", {"n": 0}))
        await memory_bus.publish(Event("member.added", "org:a", {"n": 1}, sequence=7))
        event = await _next(subscription)
    assert (event.type, event.topic, event.payload, event.sequence) == (
        "member.added",
        "org:a",
        {"n": 1},
        7,
    )


async def test_slow_subscriber_keeps_a_bounded_queue_and_drops_the_oldest() -> None:
    # given a subscriber that never reads, with a queue of 10, beside one that keeps up
    bus = await _started("memory://", queue_size=10)
    try:
        async with bus.subscribe("t") as slow, bus.subscribe("t") as fast:
            # when 100 events are published
            seen = []
            for n in range(100):
                await bus.publish(Event("tick", "t", {"n": n}, sequence=n))
                seen.append((await _next(fast)).sequence)
            # then the reader got every one, and the slow one holds only the newest 10
            assert seen == list(range(100))
            assert slow.dropped == 90
            kept = [(await _next(slow)).sequence for _ in range(10)]
            assert kept == list(range(90, 100))
    finally:
        await bus.close()


async def test_two_buses_share_events_through_redis() -> None:
    with RedisServer() as redis:
        publisher, listener = await _started(redis.url), await _started(redis.url)
        try:
            async with listener.subscribe("org:x") as subscription:
                await _wait_subscribed(publisher, listener, subscription, "org:x")
                await publisher.publish(Event("hello", "org:x", {"k": "v"}))
                event = await _next(subscription)
            assert event.payload == {"k": "v"}
        finally:
            await publisher.close()
            await listener.close()


async def test_subscribers_keep_receiving_after_redis_restarts() -> None:
    with RedisServer() as redis:
        publisher, listener = await _started(redis.url), await _started(redis.url)
        try:
            async with listener.subscribe("org:r") as subscription:
                await _wait_subscribed(publisher, listener, subscription, "org:r")
                # when Redis dies and comes back on the same port
                redis.stop()
                redis.start()
                # then the listener resubscribes by itself and events flow again
                event = await _wait_subscribed(publisher, listener, subscription, "org:r")
                assert event.topic == "org:r"
                assert listener.reconnects >= 1
        finally:
            await publisher.close()
            await listener.close()


async def _wait_subscribed(
    publisher: EventBus, listener: EventBus, subscription: Subscription, topic: str
) -> Event:
    """Publish probes until one arrives: Redis pub/sub has no delivery to absent listeners."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        await publisher.publish(Event("probe", topic, {}))
        try:
            return await _next(subscription, seconds=0.2)
        except TimeoutError:
            continue
    raise AssertionError("no event arrived within 20 s")
