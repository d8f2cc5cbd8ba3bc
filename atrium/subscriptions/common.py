"""Turning a bus topic into a subscription field's stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
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
) -> AsyncGenerator[T, None]:
    """Yield ``convert(event)`` for each event on ``topic`` (None results are skipped).

    A subscription lives for hours: each event is resolved with fresh loaders and a
    fresh view of the caller (roles changed, key revoked: see ``refresh_principal``), and
    the database session is released between events instead of being held open. A
    caller who has left ``organization_id`` meanwhile gets NOT_FOUND and the stream ends,
    as a new subscription would.
    """
    async with context.services.bus.subscribe(topic) as subscription:
        async for event in subscription:
            item = convert(event)
            if item is None:
                continue
            context.loaders.clear()
            async with context.session() as session:
                context.principal = await refresh_principal(session, context.principal)
            if organization_id is not None and context.principal.role_in(organization_id) is None:
                await context.close()
                raise NotFound("Organization", organization_id)
            yield item
            await context.close()
