"""Turning a bus topic into a subscription field's stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TypeVar

from atrium.core.context import Context
from atrium.core.errors import NotFound
from atrium.core.pubsub import Event
from atrium.resolvers.auth.credentials import refresh_principal

T = TypeVar("T")


async def topic_stream(
    context: Context,
    topic: str,
    convert: Callable[[Event], T | None],
    *,
    organization_id: str | None = None,
    still_visible: Callable[[Context], Awaitable[bool]] | None = None,
) -> AsyncGenerator[T, None]:
    """Yield ``convert(event)`` for each event on ``topic`` (None results are skipped).

    A subscription lives for hours: each event is resolved with fresh loaders and a
    fresh view of the caller (roles changed, key revoked: see ``refresh_principal``), and
    the database session is released between events instead of being held open. A
    caller who has left ``organization_id`` meanwhile, or for whom ``still_visible``
    (the subscribed object, re-read with the caller's current rights) is now false, gets
    NOT_FOUND and the stream ends, as a new subscription would.
    """
    async with context.services.bus.subscribe(topic) as subscription:
        async for event in subscription:
            item = convert(event)
            if item is None:
                continue
            context.loaders.clear()
            async with context.session() as session:
                context.principal = await refresh_principal(session, context.principal)
            lost = (
                organization_id is not None and context.principal.role_in(organization_id) is None
            )
            if not lost and still_visible is not None:
                lost = not await still_visible(context)
            if lost:
                await context.close()
                raise NotFound("Subscription", topic)
            yield item
            await context.close()
