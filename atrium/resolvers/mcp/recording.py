"""Recording gateway tool calls off the call's path, in batches.

A call's answer does not wait for its row: rows are queued and one writer task per event
loop inserts what queued up within ``BATCH_SECONDS`` in one transaction (one commit for
many calls, none of them waiting on it). A process that dies loses at most the calls of the
batch being written — acceptable for a usage record; the Prometheus counter is
incremented at once. A call whose server, gateway or user is deleted before its batch is
written is kept as the deletion left the calls written before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from atrium.core.db import Database
from atrium.models.agents import Agent
from atrium.models.identity import User
from atrium.models.mcp import McpServer, McpToolCall

logger = logging.getLogger("atrium.mcp")
MAX_BATCH = 500
# Calls gather this long before a batch is written: on SQLite every write transaction
# takes the database's write lock, which the next calls' credential checks then wait for.
BATCH_SECONDS = 0.1


class CallRecorder:
    def __init__(self) -> None:
        self._queue: list[tuple[Database, dict[str, Any]]] = []
        self._wake = asyncio.Event()
        self._hurry = asyncio.Event()  # cuts BATCH_SECONDS short (flush)
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None

    def record(self, db: Database, row: dict[str, Any]) -> None:
        self._queue.append((db, row))
        self._idle.clear()
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def flush(self) -> None:
        """Write every queued call now and wait until it is written (a writer cancelled
        with calls still queued, e.g. by a closing event loop, is started again)."""
        if self._idle.is_set():
            return
        if self._queue and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._run())
        self._hurry.set()
        await self._idle.wait()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._hurry.wait(), BATCH_SECONDS)
            self._hurry.clear()
            self._wake.clear()
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                by_db: dict[int, tuple[Database, list[dict[str, Any]]]] = {}
                for db, row in batch:
                    by_db.setdefault(id(db), (db, []))[1].append(row)
                for db, rows in by_db.values():
                    try:
                        await _write(db, rows)
                    except Exception:
                        logger.exception("could not record %d MCP tool calls", len(rows))
            if not self._queue:
                self._idle.set()


async def _write(db: Database, rows: list[dict[str, Any]]) -> None:
    try:
        await _insert(db, rows)
    except IntegrityError:
        # A server, gateway or user was deleted after the call and before its batch: do to
        # these rows what the deletion did to the rows already written, and write the rest.
        rows = await _as_deletions_left_them(db, rows)
        if rows:
            await _insert(db, rows)


async def _insert(db: Database, rows: list[dict[str, Any]]) -> None:
    async with db.sessionmaker() as session:
        session.add_all(McpToolCall(**row) for row in rows)
        await session.commit()


async def _as_deletions_left_them(db: Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Calls of deleted gateways dropped (CASCADE); deleted servers and users unset."""

    async def existing(column: Any, key: str) -> set[str]:
        wanted = {row[key] for row in rows if row[key] is not None}
        if not wanted:
            return set()
        return set(await session.scalars(select(column).where(column.in_(wanted))))

    async with db.sessionmaker() as session:
        gateways = await existing(Agent.id, "gateway_id")
        servers = await existing(McpServer.id, "server_id")
        users = await existing(User.id, "user_id")
    return [
        {
            **row,
            "server_id": row["server_id"] if row["server_id"] in servers else None,
            "user_id": row["user_id"] if row["user_id"] in users else None,
        }
        for row in rows
        if row["gateway_id"] in gateways
    ]


_RECORDERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CallRecorder] = (
    weakref.WeakKeyDictionary()
)


def recorder() -> CallRecorder:
    loop = asyncio.get_running_loop()
    found = _RECORDERS.get(loop)
    if found is None:
        found = _RECORDERS[loop] = CallRecorder()
    return found


async def flush_recorder() -> None:
    """Write what this event loop's recorder still holds (at shutdown)."""
    found = _RECORDERS.get(asyncio.get_running_loop())
    if found is not None:
        await found.flush()
