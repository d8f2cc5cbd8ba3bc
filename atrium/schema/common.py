"""Shared GraphQL building blocks: Node, connections, userErrors, the mutation runner."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Hashable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar, cast

import strawberry
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    InlineFragmentNode,
    SelectionSetNode,
)
from sqlalchemy.exc import IntegrityError
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from atrium.core.context import Context
from atrium.core.errors import UserErrorCode, UserErrors
from atrium.core.pagination import ConnectionArgs, Page, count, fetch_page
from atrium.resolvers.loading import child_key

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
DEFINITION_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF
AtriumInfo = Info[Context, None]

First = Annotated[int | None, strawberry.argument(description="Page size from the start (≤ 100).")]
After = Annotated[str | None, strawberry.argument(description="Cursor to start after.")]
Last = Annotated[int | None, strawberry.argument(description="Page size from the end (≤ 100).")]
Before = Annotated[str | None, strawberry.argument(description="Cursor to end before.")]

strawberry.enum(
    UserErrorCode, name="UserErrorCode", description="Why a mutation did not do what it was asked."
)


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global ID, e.g. `usr_01JD3…`.")


@strawberry.type(
    description="An expected failure of a mutation: validation, conflict, not allowed."
)
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. `["input", "email"]`.'
    )
    message: str = strawberry.field(description="What went wrong, for people.")
    code: UserErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="Where a page sits in its connection.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item.")


@strawberry.type(description="An item of a connection with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque cursor for `after` / `before`.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list, Relay style.")
class Connection(Generic[T]):
    """Edges (and their cursors) are built only when the query asks for ``edges``: a
    page's items are its ``nodes`` already."""

    items: strawberry.Private[list[T]]
    cursors: strawberry.Private[Callable[[], list[str]]]

    @strawberry.field(description="The items with their cursors.")
    def edges(self) -> list[Edge[T]]:
        return [
            Edge(cursor=cursor, node=node)
            for cursor, node in zip(self.cursors(), self.items, strict=True)
        ]

    page_info: PageInfo = strawberry.field(description="Paging information.")
    total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The items without cursors.")
    def nodes(self) -> list[T]:
        return self.items

    @strawberry.field(description="Number of items in the whole list, across all pages.")
    async def total_count(self) -> int:
        return await self.total()


def resolve_later(awaitable: Awaitable[T]) -> T:
    """Return ``awaitable`` from a synchronous resolver, typed as its result.

    graphql-core awaits whatever a resolver returns that is awaitable, so a field can be
    a plain ``def`` that answers at once when what it needs is already loaded and hands
    back the loader's awaitable only when it is not. A field declared ``async`` costs a
    coroutine and an awaitable per row even when it has nothing to wait for (DESIGN.md,
    speed notes).
    """
    return cast("T", awaitable)


def _fields(
    selection_set: SelectionSetNode | None, fragments: dict[str, Any]
) -> Iterator[FieldNode]:
    """The fields of a selection set, looking through inline fragments and spreads."""
    for selection in selection_set.selections if selection_set is not None else ():
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            yield from _fields(fragments[selection.name.value].selection_set, fragments)


def _item_fields(info: AtriumInfo) -> Iterator[FieldNode]:
    """The fields a connection field asks for on its items (``nodes`` or ``edges.node``),
    read from the query's syntax tree. (``info.selected_fields`` answers too, but it
    converts the whole selection, arguments and directives included, on every call: a
    few percent of a 50-thread read when each thread's ``messages`` asked it.)"""
    raw = info._raw_info
    fragments = raw.fragments
    for connection in raw.field_nodes:
        for item in _fields(connection.selection_set, fragments):
            if item.name.value == "nodes":
                yield from _fields(item.selection_set, fragments)
            elif item.name.value == "edges":
                for node in _fields(item.selection_set, fragments):
                    if node.name.value == "node":
                        yield from _fields(node.selection_set, fragments)


def selects_item_field(info: AtriumInfo, name: str) -> bool:
    """Does this connection field ask for ``name`` on its items?"""
    return _per_selection(
        info, ("selects", name), lambda: any(f.name.value == name for f in _item_fields(info))
    )


def _per_selection(info: AtriumInfo, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per request and field selection: the 50 threads of a page share
    their ``messages`` field's nodes, so its selection is walked once, not 50 times."""
    nodes = info._raw_info.field_nodes
    memo = info.context.selection_memo
    entry = memo.get((key, id(nodes)))
    if entry is not None and entry[0] is nodes:
        return cast("T", entry[1])
    value = compute()
    memo[(key, id(nodes))] = (nodes, value)  # the nodes kept alive: their id is the key
    return value


COLUMNS = "atrium.columns"
"""Field metadata key: the model columns a resolver reads from its object."""


def reads(*columns: str) -> dict[str, tuple[str, ...]]:
    """Metadata for a resolver field of a type whose rows may be loaded partially:
    ``@strawberry.field(metadata=reads("author_user_id"))``."""
    return {COLUMNS: columns}


def selected_columns(info: AtriumInfo, item_type: str) -> frozenset[str] | None:
    """The columns the items of this connection need for what the query selects, or None
    for all of them.

    A plain field needs the column of its name; a resolver needs the columns its
    :func:`reads` metadata names, and one without that metadata may read anything, so
    it asks for every column. The row's ID (its cursor) is always read.
    """
    return _per_selection(info, ("columns", item_type), lambda: _columns(info, item_type))


def _columns(info: AtriumInfo, item_type: str) -> frozenset[str] | None:
    graphql_type = info._raw_info.schema.type_map[item_type]
    assert isinstance(graphql_type, GraphQLObjectType)
    columns = {"id"}
    for node in _item_fields(info):
        name = node.name.value
        if name == "__typename":
            continue
        field = graphql_type.fields.get(name)
        definition = (field.extensions or {}).get(DEFINITION_BACKREF) if field else None
        if not isinstance(definition, StrawberryField):
            return None
        if definition.base_resolver is None:
            columns.add(definition.python_name)
        elif COLUMNS in definition.metadata:
            columns.update(definition.metadata[COLUMNS])
        else:
            return None
    return frozenset(columns)


def record_converter(cls: type[T]) -> Callable[[Any], T]:
    """A converter from the records of a plain page (``fetch_pages(plain=True)``) to
    ``cls``, a type whose fields are columns of the same names.

    It sets the record's attributes on a new object, the fields it lacks to None (as a
    narrowed record reads them), without the dataclass ``__init__``: 17 keyword
    arguments cost a message twice as much, 1 µs of each of 1,000 messages in a nested
    read (bench/bench_nested_read.py). Use it only where ``from_model`` merely copies.
    """
    fields = dataclasses.fields(cast("Any", cls))
    template = dict.fromkeys(field.name for field in fields if field.init)
    new = object.__new__

    def convert(record: Any) -> T:
        item = new(cls)
        values = item.__dict__
        values.update(template)
        values.update(zip(record._fields, record, strict=True))
        return cast("T", item)

    return convert


def to_connection(
    page: Page, convert: Callable[[Any], T], total: Callable[[], Awaitable[int]]
) -> Connection[T]:
    return Connection(
        items=[convert(row) for row in page.rows],
        cursors=lambda: page.cursors,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.start_cursor,
            end_cursor=page.end_cursor,
        ),
        total=total,
    )


async def child_connection(
    info: AtriumInfo,
    parent_id: str,
    pages: Any,
    counts: Any,
    convert: Callable[[Any], Any],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    *,
    descending: bool = False,
    columns: frozenset[str] | None = None,
) -> Connection[Any]:
    """A connection under ``parent_id``, batched with its siblings through loaders.

    ``columns`` (from :func:`selected_columns`) narrows what a ``plain`` page loader
    reads; the pages of siblings asking for the same columns share a statement.
    """
    args = ConnectionArgs.of(first, after, last, before, descending=descending)
    context = info.context

    async def total() -> int:
        return int(await context.loaders.get(counts).load(parent_id))

    page = await context.loaders.get(pages).load(child_key(parent_id, args, columns))
    return to_connection(page, convert, total)


async def statement_connection(
    info: AtriumInfo,
    stmt: Select[Any],
    key: Any,
    convert: Callable[[Any], T],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    *,
    descending: bool = False,
    plain: bool = False,
) -> Connection[T]:
    """One page of ``stmt`` (ordered by ``key``) with a lazily counted total; ``plain``
    when ``convert`` reads nothing but columns (see :func:`fetch_pages`)."""
    args = ConnectionArgs.of(first, after, last, before, descending=descending)
    async with info.context.session() as session:
        page = await fetch_page(session, stmt, key, args, plain=plain)

    async def total() -> int:
        async with info.context.session() as session:
            return await count(session, stmt)

    return to_connection(page, convert, total)


def user_errors(errors: UserErrors) -> list[UserError]:
    return [
        UserError(field=list(e.field) if e.field else None, message=e.message, code=e.code)
        for e in errors.errors
    ]


async def run_mutation(
    info: AtriumInfo,
    action: Callable[[Context, AsyncSession], Awaitable[T]],
) -> tuple[T | None, list[UserError]]:
    """Run one mutation field atomically.

    The action runs inside a SAVEPOINT. If it raises :class:`UserErrors` the savepoint
    is rolled back and the events it queued are dropped, so a failed mutation writes
    nothing; any other exception propagates (and is masked) after the same rollback.
    """
    context = info.context
    mark = context.pending_after_commit
    try:
        async with context.transaction() as session:
            result = await action(context, session)
    except UserErrors as errors:
        return None, _failed(context, mark, user_errors(errors))
    except IntegrityError:
        # A concurrent request won a uniqueness race (same slug, same membership…).
        conflict = UserError(
            field=None,
            message="This conflicts with a change made at the same time; try again",
            code=UserErrorCode.CONFLICT,
        )
        return None, _failed(context, mark, [conflict])
    except BaseException:
        _failed(context, mark, [])
        raise
    context.loaders.clear()
    return result, []


def _failed(context: Context, mark: int, errors: list[UserError]) -> list[UserError]:
    """Forget what the rolled-back mutation queued and what loaders cached meanwhile."""
    context.discard_after_commit(mark)
    context.loaders.clear()
    return errors


def first_or_none(values: Sequence[T]) -> T | None:
    return values[0] if values else None


DateTime = datetime
