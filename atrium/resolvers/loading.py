"""Building blocks for every domain's batch functions (``resolvers/<domain>/loaders.py``).

Each factory returns a plain ``async def load(context, keys)`` that issues one statement
per batch and filters by what the caller may see, so a field resolved through it can
neither leak another organization's rows nor query once per parent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context
from atrium.core.pagination import ConnectionArgs, Page, count_by, fetch_pages
from atrium.core.policy import Action, Role

BaseQuery = Callable[[Context], Select[Any]]
Prefetch = Callable[[Context, AsyncSession, list[Any]], Awaitable[None]]
# (parent, args) or, for a plain page read partially, (parent, args, columns)
ChildKey = tuple[Hashable, ConnectionArgs] | tuple[Hashable, ConnectionArgs, frozenset[str]]


def child_key(
    parent: Hashable, args: ConnectionArgs, columns: frozenset[str] | None = None
) -> ChildKey:
    """The key of one parent's page in a :func:`child_pages` loader."""
    return (parent, args) if columns is None else (parent, args, columns)


async def by_ids(
    context: Context,
    stmt: Select[Any],
    keys: Sequence[str],
    params: dict[str, Any] | None = None,
) -> list[Any]:
    """Rows of ``stmt`` (with its bound ``params``) in the order of ``keys`` (None where
    missing or hidden)."""
    async with context.session() as session:
        rows = {row.id: row for row in (await session.scalars(stmt, params)).all()}
    return [rows.get(key) for key in keys]


def visible_org_ids(context: Context, action: Action = Action.READ) -> list[str]:
    """Organizations in which the caller may ``action`` (by default: see them at all)."""
    principal = context.principal
    if action is Action.READ:
        return principal.organization_ids
    return [org_id for org_id in principal.organization_ids if principal.can(action, org_id)]


class Caller(NamedTuple):
    """What the visibility conditions depend on, of the caller: the key under which
    ``threads.visibility`` and ``identity.loaders`` keep the statements they build once
    per caller (building one costs more CPU than SQLite spends running it, and a reused
    statement also keeps SQLAlchemy's cache key; bench/bench_nested_read.py)."""

    organization_ids: tuple[str, ...]
    user_id: str | None
    admin_organization_ids: tuple[str, ...]  # where the caller sees every team's threads
    service_account: bool


def caller(context: Context) -> Caller:
    principal = context.principal
    return Caller(
        tuple(visible_org_ids(context)),
        principal.user_id,
        tuple(o for o, role in principal.roles.items() if role in (Role.OWNER, Role.ADMIN)),
        principal.service_account_id is not None,
    )


def org_scoped(model: Any, action: Action = Action.READ) -> Any:
    """Rows by ID, in the organizations where the caller may ``action``."""

    async def load(context: Context, keys: list[str]) -> list[Any]:
        stmt = select(model).where(
            model.id.in_(keys), model.organization_id.in_(visible_org_ids(context, action))
        )
        return await by_ids(context, stmt, keys)

    load.__name__ = f"{model.__tablename__}_by_id"
    return load


def child_pages(
    model: Any,
    partition: Any,
    base: BaseQuery | None = None,
    *,
    prefetch: Prefetch | None = None,
    plain: bool = False,
) -> Any:
    """Pages of a child connection keyed by (parent id, args): one statement per args.

    ``prefetch`` loads what the page's rows point to in the same batch (e.g. each
    membership's user), priming other loaders, so the next level of the query costs no
    awaitable per row (DESIGN.md, speed notes). ``plain`` pages hold read-only records
    (named tuples) rather than ORM instances (see
    :func:`~atrium.core.pagination.fetch_pages`), for children that are only converted
    into GraphQL types.
    """

    every_row = select(model)  # one object, so that fetch_pages reuses its statements

    async def load(context: Context, keys: list[ChildKey]) -> list[Page]:
        groups: dict[tuple[ConnectionArgs, frozenset[str] | None], list[Hashable]] = {}
        for parent, args, *narrowed in keys:
            groups.setdefault((args, narrowed[0] if narrowed else None), []).append(parent)
        results: dict[ChildKey, Page] = {}
        async with context.session() as session:
            for (args, columns), parents in groups.items():
                stmt = base(context) if base is not None else every_row
                pages = await fetch_pages(
                    session, model, stmt, partition, parents, args, plain=plain, columns=columns
                )
                results.update(
                    {child_key(parent, args, columns): page for parent, page in pages.items()}
                )
            if prefetch is not None:
                await prefetch(
                    context, session, [r for page in results.values() for r in page.rows]
                )
        return [results[key] for key in keys]

    suffix = f"_with_{prefetch.__name__.strip('_')}" if prefetch is not None else ""
    load.__name__ = f"{model.__tablename__}_pages_by_{partition.key}{suffix}"
    return load


def child_counts(model: Any, partition: Any, base: BaseQuery | None = None) -> Any:
    """``totalCount`` of a child connection per parent: one grouped statement."""

    async def load(context: Context, keys: list[Hashable]) -> list[int]:
        stmt = base(context) if base is not None else select(model)
        async with context.session() as session:
            counts = await count_by(session, stmt, partition, keys)
        return [counts[key] for key in keys]

    load.__name__ = f"{model.__tablename__}_counts_by_{partition.key}"
    return load
