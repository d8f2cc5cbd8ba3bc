"""The baseline of ``bench_nested_read``: the same nested read, written by hand.

A tiny FastAPI app, served by its own uvicorn process on the benchmark's database: one
route that answers what Atrium's

    { threads(first: 50) { nodes { id title messages(first: 20) {
        nodes { id content createdAt author { id name } } } } } }

answers, with the same JSON shape and values (the benchmark checks that they are equal),
in 3 SQLAlchemy Core statements: the caller's threads, the first page of messages of
each (one ``row_number()`` window), the authors of those messages. It is what one would
write for one screen of an app, with no schema and no per-field machinery; the bearer
token is compared with the one it was started with (no database lookup), and visibility
is the simple case the benchmark seeds (threads owned by the caller in their
organization).

    BENCH_DATABASE_URL=... BENCH_TOKEN=... BENCH_USER_ID=... BENCH_ORGANIZATION_ID=... \
        uvicorn bench.nested_read_baseline:create_app --factory
"""

from __future__ import annotations

import hmac
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from atrium.core.malloc import configure_malloc
from atrium.models.identity import User
from atrium.models.threads import Message, Thread

THREADS = Thread.__table__
MESSAGES = Message.__table__
USERS = User.__table__


def _engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        return create_async_engine(url, connect_args={"timeout": 30})
    return create_async_engine(url, pool_size=10, max_overflow=10)


async def nested_read(
    engine: AsyncEngine, user_id: str, organization_id: str, first: int, per_thread: int
) -> dict[str, Any]:
    """``data`` of the nested query, from 3 statements."""
    async with engine.connect() as connection:
        threads = (
            await connection.execute(
                select(THREADS.c.id, THREADS.c.title)
                .where(
                    THREADS.c.organization_id == organization_id,
                    THREADS.c.owner_user_id == user_id,
                    THREADS.c.deleted_at.is_(None),
                )
                .order_by(THREADS.c.id.desc())
                .limit(first)
            )
        ).all()
        thread_ids = [row.id for row in threads]
        position = (
            func.row_number()
            .over(partition_by=MESSAGES.c.thread_id, order_by=MESSAGES.c.id)
            .label("position")
        )
        inner = (
            select(
                MESSAGES.c.id,
                MESSAGES.c.thread_id,
                MESSAGES.c.content,
                MESSAGES.c.created_at,
                MESSAGES.c.author_user_id,
                position,
            )
            .where(MESSAGES.c.thread_id.in_(thread_ids))
            .subquery()
        )
        messages = (
            await connection.execute(
                select(inner).where(inner.c.position <= per_thread).order_by(inner.c.position)
            )
        ).all()
        author_ids = {row.author_user_id for row in messages if row.author_user_id}
        authors = {
            row.id: {"id": row.id, "name": row.name}
            for row in await connection.execute(
                select(USERS.c.id, USERS.c.name).where(USERS.c.id.in_(author_ids))
            )
        }
    by_thread: dict[str, list[dict[str, Any]]] = {thread_id: [] for thread_id in thread_ids}
    for row in messages:
        by_thread[row.thread_id].append(
            {
                "id": row.id,
                "content": row.content,
                "createdAt": row.created_at.isoformat(),
                "author": authors.get(row.author_user_id) if row.author_user_id else None,
            }
        )
    return {
        "threads": {
            "nodes": [
                {"id": row.id, "title": row.title, "messages": {"nodes": by_thread[row.id]}}
                for row in threads
            ]
        }
    }


def create_app(
    url: str | None = None,
    token: str | None = None,
    user_id: str | None = None,
    organization_id: str | None = None,
) -> FastAPI:
    """The app; arguments default to the ``BENCH_*`` environment (as uvicorn starts it)."""
    configure_malloc(2)  # the process settings Atrium's has, so the peaks compare
    engine = _engine(url or os.environ["BENCH_DATABASE_URL"])
    expected = f"Bearer {token or os.environ['BENCH_TOKEN']}"
    user_id = user_id or os.environ["BENCH_USER_ID"]
    organization_id = organization_id or os.environ["BENCH_ORGANIZATION_ID"]

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/health/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/threads")
    async def threads(request: Request, first: int = 50, messages: int = 20) -> Response:
        if not hmac.compare_digest(request.headers.get("authorization", ""), expected):
            return Response(b'{"error":"unauthenticated"}', 401, media_type="application/json")
        data = await nested_read(engine, user_id, organization_id, first, messages)
        return Response(orjson.dumps({"data": data}), media_type="application/json")

    app.state.engine = engine
    return app
