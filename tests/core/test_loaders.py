"""Per-request loaders: what a request loaded goes with the request."""

from __future__ import annotations

import asyncio
import gc
import weakref

from atrium.core.config import Settings
from atrium.core.context import Context
from atrium.core.db import Database


class Row:
    def __init__(self, key: str) -> None:
        self.key = key


async def rows_by_key(_context: Context, keys: list[str]) -> list[Row]:
    return [Row(key) for key in keys]


async def test_a_closed_context_frees_its_rows_without_the_garbage_collector() -> None:
    # given a request's context whose loader loaded a row
    database = Database("sqlite+aiosqlite://")
    context = Context(db=database, settings=Settings())
    row = await context.loaders.get(rows_by_key).load("r1")
    assert context.loaders.peek(rows_by_key, "r1") is row
    freed = weakref.ref(row)
    del row
    gc.disable()  # only reference counting frees from here on
    try:
        # when the request ends (and the loop has run the callbacks the load scheduled)
        await context.close()
        await asyncio.sleep(0)
        # then the row is gone: no reference cycle holds it until a collection
        assert freed() is None
    finally:
        gc.enable()
        await database.dispose()


async def test_loaders_work_again_after_release() -> None:
    # given a context whose loaders were released
    database = Database("sqlite+aiosqlite://")
    context = Context(db=database, settings=Settings())
    await context.loaders.get(rows_by_key).load("r1")
    context.loaders.release()
    # when a field loads again, then it gets a fresh loader's answer
    row = await context.loaders.get(rows_by_key).load("r2")
    assert row.key == "r2"
    await database.dispose()
