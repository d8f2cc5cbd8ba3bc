"""Recording gateway tool calls off the call's path, in batches.

A call's answer does not wait for its row: rows are queued and one writer task per event
loop inserts what queued up within ``BATCH_SECONDS`` in one transaction (one commit for
many calls, none of them waiting on it). A process that dies loses at most the calls of the
batch being written — acceptable for a usage record; the Prometheus counter is
incremented at once.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from atrium.core.db import Database
from atrium.models.mcp import McpToolCall

logger = logging.getLogger("atrium.mcp")
MAX_BATCH = 500
# Calls gather this long before a batch is written: on SQLite every write transaction
# takes the database's write lock, which the next calls' credential checks then wait for.
BATCH_SECONDS = 0.1


class CallRecorder:
    def __init__(self) -> None:
        self._queue: list[tuple[Database, dict[str, Any]]] = []
        self._wake = asyncio.Event()
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
        """Wait until every queued call is written."""
        await self._idle.wait()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(BATCH_SECONDS)
            self._wake.clear()
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                by_db: dict[int, tuple[Database, list[dict[str, Any]]]] = {}
                for db, row in batch:
                    by_db.setdefault(id(db), (db, []))[1].append(row)
                for db, rows in by_db.values():
                    try:
                        async with db.sessionmaker() as session:
                            session.add_all(McpToolCall(**row) for row in rows)
                            await session.commit()
                    except Exception:
                        logger.exception("could not record %d MCP tool calls", len(rows))
            if not self._queue:
                self._idle.set()


_RECORDERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CallRecorder] = (
    weakref.WeakKeyDictionary()
)


def recorder() -> CallRecorder:
    loop = asyncio.get_running_loop()
    found = _RECORDERS.get(loop)
    if found is None:
        found = _RECORDERS[loop] = CallRecorder()
    return found
