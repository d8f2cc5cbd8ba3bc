"""Relay connections over SQL with keyset cursors.

Cursors are opaque (base64 of the row's ID, which is a ULID and so sorts by creation
time); they stay valid when rows are inserted. Page sizes are checked, never clamped:
``first``/``last`` above :data:`MAX_PAGE_SIZE` is a BAD_USER_INPUT error.

:func:`fetch_pages` serves a connection for many parents in one statement (a
``row_number()`` window per parent), which is how nested connections stay batched.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict, namedtuple
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple, cast
from weakref import WeakKeyDictionary

from sqlalchemy import ColumnElement, Select, bindparam, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from atrium.core.db import STATEMENT_CACHE_SIZE
from atrium.core.errors import BadUserInput

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_CURSOR_PREFIX = "c1:"
_OFFSET_PREFIX = "o1:"  # a position, for limit/offset clients (the REST layer)


def _encode(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def encode_cursor(row_id: str) -> str:
    return _encode(f"{_CURSOR_PREFIX}{row_id}")


def encode_offset_cursor(position: int) -> str:
    """A cursor meaning "after the row at ``position``" (0-based), for offset paging."""
    return _encode(f"{_OFFSET_PREFIX}{position}")


def _decode(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadUserInput(f"Invalid cursor: {cursor!r}") from None


def decode_cursor(cursor: str) -> str:
    raw = _decode(cursor)
    if not raw.startswith(_CURSOR_PREFIX):
        raise BadUserInput(f"Invalid cursor: {cursor!r}")
    return raw[len(_CURSOR_PREFIX) :]


def _decode_after(cursor: str) -> tuple[str | None, int | None]:
    """``after`` is a row cursor, or (from offset paging) a position."""
    raw = _decode(cursor)
    if raw.startswith(_OFFSET_PREFIX):
        try:
            position = int(raw[len(_OFFSET_PREFIX) :])
        except ValueError:
            raise BadUserInput(f"Invalid cursor: {cursor!r}") from None
        if position < 0:
            raise BadUserInput(f"Invalid cursor: {cursor!r}")
        return None, position
    return decode_cursor(cursor), None


@dataclass(frozen=True)
class ConnectionArgs:
    """Validated ``first/after/last/before``; hashable so it can key a DataLoader."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None
    descending: bool = False
    after_position: int | None = None  # from an offset cursor: skip rows up to this one

    @classmethod
    def of(
        cls,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        *,
        descending: bool = False,
    ) -> ConnectionArgs:
        for name, value in (("first", first), ("last", last)):
            if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
                raise BadUserInput(
                    f"`{name}` must be between 0 and {MAX_PAGE_SIZE}, got {value}",
                    details={"argument": name, "maximum": MAX_PAGE_SIZE},
                )
        if first is not None and last is not None:
            raise BadUserInput("Pass `first` or `last`, not both")
        if first is None and last is None and before is not None and after is None:
            # `before` alone means the page just before the cursor, as `last` would read it.
            last = DEFAULT_PAGE_SIZE
        after_id, after_position = _decode_after(after) if after else (None, None)
        return cls(
            first=first,
            after=after_id,
            last=last,
            before=decode_cursor(before) if before else None,
            descending=descending,
            after_position=after_position,
        )

    @property
    def skip(self) -> int:
        """Rows to skip before the page (offset paging); 0 for cursor paging."""
        return self.after_position + 1 if self.after_position is not None else 0

    @property
    def backwards(self) -> bool:
        return self.last is not None

    @property
    def limit(self) -> int:
        if self.last is not None:
            return self.last
        return self.first if self.first is not None else DEFAULT_PAGE_SIZE

    def requested_size(self) -> int:
        return self.limit


@dataclass
class Page:
    """A page of rows and the IDs its cursors encode.

    The cursors are encoded only when asked for (``edges { cursor }``): most clients
    read ``nodes`` and ``pageInfo``, and a nested read of 1,000 rows would otherwise
    encode 1,000 of them for nothing. ``ids`` stay the keyset's even when ``rows`` are
    replaced by what they point at (a project's repositories through its links).
    """

    rows: list[Any]
    has_next_page: bool = False
    has_previous_page: bool = False
    ids: list[str] = field(default_factory=list)

    @property
    def cursors(self) -> list[str]:
        return [encode_cursor(row_id) for row_id in self.ids]

    @property
    def start_cursor(self) -> str | None:
        return encode_cursor(self.ids[0]) if self.ids else None

    @property
    def end_cursor(self) -> str | None:
        return encode_cursor(self.ids[-1]) if self.ids else None


class _Shape(NamedTuple):
    """What the statement of a page depends on, besides its values."""

    descending: bool
    backwards: bool
    after: bool
    before: bool

    @classmethod
    def of(cls, args: ConnectionArgs) -> _Shape:
        return cls(args.descending, args.backwards, args.after is not None, args.before is not None)


def _keyset(
    id_col: InstrumentedAttribute[str], descending: bool, after: Any, before: Any
) -> list[ColumnElement[bool]]:
    """Conditions for after/before (values or bound parameters; None: no bound), in the
    connection's (possibly descending) order."""
    conditions: list[ColumnElement[bool]] = []
    if after is not None:
        conditions.append(id_col < after if descending else id_col > after)
    if before is not None:
        conditions.append(id_col > before if descending else id_col < before)
    return conditions


def _order(id_col: InstrumentedAttribute[str], shape: _Shape) -> ColumnElement[Any]:
    # Walking backwards (``last``) reads the order reversed, then flips the page.
    descending = shape.descending != shape.backwards
    return id_col.desc() if descending else id_col.asc()


def _page(rows: list[Any], args: ConnectionArgs) -> Page:
    limit = args.limit
    more = len(rows) > limit
    rows = rows[:limit]
    if args.backwards:
        rows.reverse()
    return Page(
        rows=rows,
        has_next_page=more if not args.backwards else args.before is not None,
        has_previous_page=more if args.backwards else (args.after is not None or args.skip > 0),
        ids=[row.id for row in rows],
    )


async def fetch_page(
    session: AsyncSession,
    stmt: Select[Any],
    id_col: InstrumentedAttribute[str],
    args: ConnectionArgs,
    *,
    plain: bool = False,
) -> Page:
    """One page of ``stmt`` (a ``select(Model)``) in ID order.

    ``plain`` reads the rows as records, as :func:`fetch_pages` does.
    """
    keyset = _keyset(id_col, args.descending, args.after, args.before)
    query = stmt.where(*keyset).order_by(_order(id_col, _Shape.of(args))).limit(args.limit + 1)
    if args.skip:
        query = query.offset(args.skip)
    rows: list[Any]
    if plain:
        model = cast("type[Any]", id_col.class_)  # a mapped class, not an alias
        columns = (attr.class_attribute for attr in inspect(model).column_attrs)
        rows = await _records(session, model, query.with_only_columns(*columns))
    else:
        rows = list((await session.scalars(query)).all())
    return _page(rows, args)


async def _records(
    session: AsyncSession,
    model: type[Any],
    query: Select[Any],
    names: tuple[str, ...] | None = None,
    params: dict[str, Any] | None = None,
) -> list[Any]:
    """The rows of ``query``, which selects ``model``'s column attributes ``names`` (all,
    by default) in the mapper's order, as records, read through Core on the session's
    connection (autoflushed first, as ``session.execute`` would)."""
    if session.autoflush:
        await session.flush()
    connection = await session.connection()
    record = _record_type(cast("Any", model), names)  # lru_cache types its keys Hashable
    return list(map(record._make, (await connection.execute(query, params)).all()))


async def fetch_pages(
    session: AsyncSession,
    model: type[Any],
    stmt: Select[Any],
    partition_col: InstrumentedAttribute[Any],
    parents: Sequence[Hashable],
    args: ConnectionArgs,
    *,
    plain: bool = False,
    columns: frozenset[str] | None = None,
) -> dict[Hashable, Page]:
    """The same page of a child connection for many parents, in one statement.

    ``plain`` reads the rows as read-only records (named tuples with the model's attribute
    names) instead of ORM instances, for pages that are only converted into GraphQL
    types: no identity map or instance state to build, and attributes read about 10x
    faster than an ORM instance's or a ``Row``'s, which matters when a nested read
    converts 1,000 rows (see bench/bench_nested_read.py). They are read through Core:
    the ORM would otherwise run each row and column through its per-entity loading in
    Python.
    ``columns`` (attribute names) narrows a plain read to what the query needs: only
    those columns are selected, and the other attributes of the records read None (the
    ID and the partition are always read).

    The statement is built once per ``stmt`` object and page shape, its values bound as
    parameters (see :func:`_window`).
    """
    shape = _Shape.of(args)
    window = _window(model, stmt, partition_col.key, shape, plain, columns if plain else None)
    params = {
        "page_parents": list(parents),
        "page_after": args.after,
        "page_before": args.before,
        "page_skip": args.skip,
        "page_end": args.skip + args.limit + 1,
    }
    rows: Iterable[Any]
    if plain:
        rows = await _records(session, model, window.query, window.names, params)
    else:
        rows = (await session.scalars(window.query, params)).all()
    grouped: dict[Hashable, list[Any]] = defaultdict(list)
    partition_name = partition_col.key
    for row in rows:
        grouped[getattr(row, partition_name)].append(row)
    return {parent: _page(grouped.get(parent, []), args) for parent in parents}


class _Window(NamedTuple):
    query: Select[Any]
    names: tuple[str, ...]  # the attributes its rows hold, in order


# Per base statement object: its windowed statements by shape. A visibility statement
# kept per caller keeps its windows; one built for a single call takes them along.
_WINDOWS_PER_STATEMENT = 32
_WINDOWS: WeakKeyDictionary[Select[Any], dict[tuple[Any, ...], _Window]] = WeakKeyDictionary()


def _window(
    model: type[Any],
    stmt: Select[Any],
    partition: str,
    shape: _Shape,
    plain: bool,
    columns: frozenset[str] | None,
) -> _Window:
    """The statement of :func:`fetch_pages`, with its values as parameters (``page_*``).

    Building it (a subquery, a window, column proxies) and SQLAlchemy's cache key of it
    cost more CPU than SQLite spends on a 50-parent page of 1,000 rows; reused, the
    cache key is computed once too.
    """
    windows = _WINDOWS.get(stmt)
    if windows is None:
        windows = _WINDOWS[stmt] = {}
    key = (model, partition, shape, plain, columns)
    window = windows.get(key)
    if window is not None:
        return window
    id_col: InstrumentedAttribute[str] = model.id
    partition_col: InstrumentedAttribute[Any] = getattr(model, partition)
    row_number = func.row_number().over(partition_by=partition_col, order_by=_order(id_col, shape))
    attrs = inspect(model).column_attrs
    read = [
        attr
        for attr in attrs
        if columns is None or attr.key in columns or attr.key in ("id", partition)
    ]
    if columns is not None:
        stmt = stmt.with_only_columns(*(attr.class_attribute for attr in read))
    keyset = _keyset(
        id_col,
        shape.descending,
        bindparam("page_after") if shape.after else None,
        bindparam("page_before") if shape.before else None,
    )
    parents = partition_col.in_(bindparam("page_parents", expanding=True))
    inner = stmt.add_columns(row_number.label("row_number")).where(parents, *keyset).subquery()
    bounds = (
        inner.c.row_number > bindparam("page_skip"),
        inner.c.row_number <= bindparam("page_end"),
    )
    if plain:
        selected: Any = [inner.c[attr.columns[0].key] for attr in read]
    else:
        selected = [aliased(model, inner)]
    query = select(*selected).where(*bounds).order_by(inner.c.row_number)
    if len(windows) >= _WINDOWS_PER_STATEMENT:
        del windows[next(iter(windows))]  # the oldest: bounded, whatever columns queries ask
    window = windows[key] = _Window(query, tuple(attr.key for attr in read))
    return window


@lru_cache(maxsize=STATEMENT_CACHE_SIZE)  # bounded: a query may select any set of columns
def _record_type(model: Any, names: tuple[str, ...] | None = None) -> Any:
    """A named tuple type of ``model``'s column attributes ``names`` (all by default,
    in the mapper's order) whose other column attributes read None.

    A narrowed read selects only the columns it needs: fewer values for SQLite to copy
    and SQLAlchemy to process per row than selecting NULL for the others.
    """
    every = [attr.key for attr in inspect(model).column_attrs]
    fields = names if names is not None else every
    base = namedtuple(f"{model.__name__}Record", fields)  # type: ignore[misc]
    missing = dict.fromkeys((name for name in every if name not in fields), None)
    return type(base.__name__, (base,), {"__slots__": (), **missing})


async def count_by(
    session: AsyncSession,
    stmt: Select[Any],
    partition_col: InstrumentedAttribute[Any],
    parents: Sequence[Hashable],
) -> dict[Hashable, int]:
    """Row counts of ``stmt`` per parent, in one grouped statement."""
    inner = stmt.where(partition_col.in_(list(parents))).subquery()
    column = inner.c[partition_col.key]
    query = select(column, func.count()).group_by(column)
    counts: dict[Hashable, int] = {parent: 0 for parent in parents}
    for parent, count in (await session.execute(query)).all():
        counts[parent] = count
    return counts


async def count(session: AsyncSession, stmt: Select[Any]) -> int:
    query = select(func.count()).select_from(stmt.order_by(None).subquery())
    return int((await session.scalar(query)) or 0)
