"""A graphql-transport-ws client over the ASGI app (httpx-ws), for subscription tests."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from httpx_ws import AsyncWebSocketSession, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

_ids = itertools.count(1)


class GraphQLWS:
    def __init__(self, session: AsyncWebSocketSession) -> None:
        self.session = session

    async def send(self, message: dict[str, Any]) -> None:
        await self.session.send_json(message)

    async def receive(self, seconds: float = 5.0) -> dict[str, Any]:
        message: dict[str, Any] = await self.session.receive_json(timeout=seconds)
        return message

    async def init(self, token: str | None) -> dict[str, Any]:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})
        return await self.receive()

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None, operation_id: str | None = None
    ) -> str:
        operation_id = operation_id or str(next(_ids))
        await self.send(
            {
                "id": operation_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )
        return operation_id

    async def next_of(self, operation_id: str, seconds: float = 5.0) -> dict[str, Any]:
        """The next message for ``operation_id``, skipping keep-alive pings."""
        deadline = time.monotonic() + seconds
        while True:
            message = await self.receive(max(0.01, deadline - time.monotonic()))
            if message.get("type") in ("ping", "pong", "ka"):
                continue
            assert message.get("id") == operation_id, message
            return message


@asynccontextmanager
async def ws_client(
    app: Any, subprotocols: tuple[str, ...] = ("graphql-transport-ws",)
) -> AsyncIterator[GraphQLWS]:
    transport = ASGIWebSocketTransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://atrium.test") as client,
        aconnect_ws(
            "http://atrium.test/graphql",
            client,
            subprotocols=list(subprotocols),
            keepalive_ping_interval_seconds=None,
        ) as session,
    ):
        yield GraphQLWS(session)


async def wait_for_subscribers(app: Any, topic: str, count: int = 1, seconds: float = 5.0) -> None:
    """Wait until ``count`` bus subscriptions exist on ``topic`` (the stream is live)."""
    bus = app.state.atrium.services.bus
    deadline = time.monotonic() + seconds
    while bus.subscriber_count(topic) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"no subscriber on {topic} after {seconds}s")
        await asyncio.sleep(0.01)


async def wait_until(predicate: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met after {seconds}s")
        await asyncio.sleep(0.01)
