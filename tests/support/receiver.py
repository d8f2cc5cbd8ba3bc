"""A real HTTP server on loopback that records what it receives (webhook tests)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.support.server import serve


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    port: int
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200
    requests: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def wait_for(self, count: int, seconds: float = 20.0) -> list[Received]:
        async with asyncio.timeout(seconds):
            while len(self.requests) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.requests

    async def _handle(self, request: Request) -> PlainTextResponse:
        self.requests.append(Received(dict(request.headers), await request.body()))
        self.arrived.set()
        status = self.statuses.pop(0) if self.statuses else 200
        return PlainTextResponse(f"answered {status}", status_code=status)


@contextlib.asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver(0)
    app = Starlette(routes=[Route("/hook", state._handle, methods=["POST"])])
    async with serve(app) as base_url:
        state.port = int(base_url.rsplit(":", 1)[1])
        yield state
