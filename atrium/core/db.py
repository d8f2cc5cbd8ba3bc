"""Engine and session factory.

One ``AsyncSession`` per request, committed once at the end (see ``core.context``).
SQLite gets WAL, foreign keys, ``BEGIN IMMEDIATE`` transactions and real SAVEPOINTs
(pysqlite's own transaction handling is switched off so SQLAlchemy can emit
BEGIN/SAVEPOINT itself): each mutation field runs in a savepoint, so a failed one
leaves nothing half-written.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import import_module
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool

# Connections kept open to a SQLite file: as many as requests read at once, or each one
# past it opens and closes its own (an aiosqlite thread, the file, the pragmas): at 8
# concurrent nested reads a pool of 4 opened a connection for every other request, a
# sixth of the request's CPU (bench/bench_nested_read.py).
SQLITE_POOL_SIZE = 10
# Statements built per caller (visibility) or per page shape and kept, per builder: a
# nested read's statements cost more CPU to build than SQLite spends running them.
STATEMENT_CACHE_SIZE = 256
READ_ONLY = "atrium_read_only"  # execution option of read-only sessions' connections
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


class ReadOnlyViolation(RuntimeError):
    """A read-only session was asked to write: a bug in the code path, not the input."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def json_loads(text: str | bytes) -> Any:
    """Read a JSON column: orjson, several times faster than the standard library (a
    page of 1,000 messages reads 1,000 ``parts``), and the standard library for what
    orjson refuses but ``json`` accepts (``NaN``, integers beyond 64 bits, lone
    surrogates), so that every stored value reads back as before."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


@cache
def dialect_insert(dialect: str) -> Any:
    """The ``insert`` with ``ON CONFLICT`` of ``dialect`` ("postgresql", else SQLite's).

    Imported on first use: PostgreSQL's dialect package imports the modules of all its
    drivers, 2 MB that a process serving SQLite does not need."""
    name = "postgresql" if dialect == "postgresql" else "sqlite"
    return import_module(f"sqlalchemy.dialects.{name}").insert


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine with the per-backend settings Atrium relies on."""
    kwargs.setdefault("json_deserializer", json_loads)
    if is_sqlite(url):
        memory = make_url(url).database in (None, "", ":memory:")
        options: dict[str, Any] = {"connect_args": {"timeout": 30}}
        if not memory:
            # Keep connections open: opening one starts an aiosqlite thread and sets the
            # pragmas, a few ms of CPU (bench/bench_nested_read.py). No overflow limit,
            # so a busy moment never waits for a connection.
            options.update(
                poolclass=AsyncAdaptedQueuePool, pool_size=SQLITE_POOL_SIZE, max_overflow=-1
            )
        options.update(kwargs)
        engine = create_async_engine(url, **options)
        _configure_sqlite(engine)
        return engine
    options = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}
    options.update(kwargs)
    return create_async_engine(url, **options)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front. A deferred transaction that reads and
        # then writes cannot wait for the lock (SQLite fails it with "database is locked"
        # when another connection wrote meanwhile), and requests, the job worker and
        # subscriptions all write to the same file. A read-only session never writes, so
        # it begins deferred: readers neither wait for nor block anyone (WAL).
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _refuse_writes(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY) and _WRITE.match(statement):
            raise ReadOnlyViolation(
                f"A read-only session cannot write: {statement[:60]!r}; write through "
                "Context.transaction() (mutations do) or a write session"
            )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


class Database:
    """The engine and the session factories, created once per application.

    ``read_sessionmaker`` makes sessions for operations that only read (GraphQL
    queries): on SQLite their transactions begin deferred, so that concurrent reads do
    not queue for the write lock one after the other (each waiting in SQLite's busy
    handler, which sleeps up to 100 ms between tries), and a write in one raises
    :class:`ReadOnlyViolation` instead of failing only when another connection happened
    to write meanwhile. On PostgreSQL they are READ ONLY and REPEATABLE READ: every
    statement of a query sees the same snapshot, so a connection's ``totalCount`` and
    its ``nodes`` (two statements) agree even while others commit.
    """

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.sessionmaker = create_sessionmaker(self.engine)
        options: dict[str, Any] = (
            {READ_ONLY: True}
            if self.is_sqlite
            else {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
        self.read_sessionmaker = create_sessionmaker(self.engine.execution_options(**options))

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    async def dispose(self) -> None:
        await self.engine.dispose()
