"""Usage-limit counters: one row per limit and window, read before a call, bumped after.

Reading is one indexed query for every limit that applies; bumping is an upsert that
returns the new total, so the usage before and after each call is exact even with
concurrent calls, and the 80% / 100% crossings are published once per window. The LLM
proxy reads through the process's ledger (:func:`current_states`), which answers from
memory and queries only for counters it has not read in the last second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.db import dialect_insert
from atrium.core.ids import new_id
from atrium.engines.llm import Window, crossed, window_at
from atrium.models.llm import UsageLimitCounter
from atrium.resolvers.llm.runtime import CachedLimit, LlmRuntime

READ_ATTEMPTS = 3  # reads racing the recorder's writes before settling for an estimate


@dataclass(frozen=True)
class LimitState:
    limit: CachedLimit
    window: Window
    used: float

    @property
    def remaining(self) -> float:
        return max(self.limit.rule.value - self.used, 0.0)

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit.rule.value

    @property
    def fraction(self) -> float:
        value = self.limit.rule.value
        return self.used / value if value > 0 else (1.0 if self.used > 0 else 0.0)


@dataclass(frozen=True)
class Crossing:
    limit: CachedLimit
    window: Window
    threshold: int  # 80 or 100
    used: float


async def _read(
    session: AsyncSession, limits: Sequence[CachedLimit], windows: dict[str, Window]
) -> dict[str, float]:
    starts = {windows[item.rule.id].start for item in limits}
    rows = (
        await session.execute(
            select(
                UsageLimitCounter.limit_id, UsageLimitCounter.window_start, UsageLimitCounter.used
            ).where(
                UsageLimitCounter.limit_id.in_([item.rule.id for item in limits]),
                UsageLimitCounter.window_start.in_(list(starts)),
            )
        )
    ).all()
    return {
        limit_id: float(value)
        for limit_id, start, value in rows
        if windows[limit_id].start == start
    }


async def read_states(
    session: AsyncSession, limits: Sequence[CachedLimit], now: datetime
) -> list[LimitState]:
    """The usage of each limit in its current window, as stored: one query."""
    if not limits:
        return []
    windows = {item.rule.id: window_at(item.interval, now, item.anchor_at) for item in limits}
    used = await _read(session, limits, windows)
    return [LimitState(item, windows[item.rule.id], used.get(item.rule.id, 0.0)) for item in limits]


class Sessions(Protocol):
    """Where :func:`current_states` reads: a session opened on demand, and a way to end
    its transaction (on SQLite an open transaction holds the write lock the recorder
    needs, so it must not be held while waiting for the recorder)."""

    def __call__(self) -> AsyncSession: ...

    async def release(self) -> None: ...


def _from_ledger(
    runtime: LlmRuntime, limits: Sequence[CachedLimit], now: datetime
) -> tuple[dict[str, Window], dict[str, float], list[CachedLimit]]:
    """Each limit's current window, the usage the ledger knows, and the limits it does not."""
    ledger = runtime.ledger
    windows = {item.rule.id: window_at(item.interval, now, item.anchor_at) for item in limits}
    used: dict[str, float] = {}
    missing: list[CachedLimit] = []
    for item in limits:
        value = ledger.cached((item.rule.id, windows[item.rule.id].start))
        if value is None:
            missing.append(item)
        else:
            used[item.rule.id] = value
    return windows, used, missing


async def pending_states(
    runtime: LlmRuntime, session: AsyncSession, limits: Sequence[CachedLimit], now: datetime
) -> list[LimitState]:
    """:func:`current_states` for readers that must not wait for the recorder (the
    GraphQL fields, inside a transaction that may hold SQLite's write lock the recorder
    needs, and may roll back): stored usage plus what is pending, read in one query
    without teaching the ledger."""
    ledger = runtime.ledger
    windows, used, missing = _from_ledger(runtime, limits, now)
    if missing:
        stored = await _read(session, missing, windows)
        for item in missing:
            key = (item.rule.id, windows[item.rule.id].start)
            used[item.rule.id] = ledger.pending_on(key, stored.get(item.rule.id, 0.0))
    return [LimitState(item, windows[item.rule.id], used[item.rule.id]) for item in limits]


async def current_states(
    runtime: LlmRuntime, sessions: Sessions, limits: Sequence[CachedLimit], now: datetime
) -> list[LimitState]:
    """The usage of each limit in its current window including this process's calls not
    written yet (:mod:`ledger`); a query only for counters not read in the last second.

    A read that races one of the recorder's writes is repeated after the write.
    """
    ledger = runtime.ledger
    windows, used, missing = _from_ledger(runtime, limits, now)
    for attempt in range(1, READ_ATTEMPTS + 1):
        if not missing:
            break
        if attempt > 1 or ledger.mark() is None:
            await sessions.release()
            await ledger.quiet()
        mark = ledger.mark()
        stored = await _read(sessions(), missing, windows)
        racing = []
        for item in missing:
            key = (item.rule.id, windows[item.rule.id].start)
            value = stored.get(item.rule.id, 0.0)
            learnt = ledger.learn(key, value, mark)
            if learnt is None and attempt == READ_ATTEMPTS:
                learnt = ledger.estimate(key, value)
            if learnt is None:
                racing.append(item)
            else:
                used[item.rule.id] = learnt
        missing = racing
    return [LimitState(item, windows[item.rule.id], used[item.rule.id]) for item in limits]


async def add_usage(
    session: AsyncSession, item: CachedLimit, window: Window, amount: float, now: datetime
) -> float:
    """Add ``amount`` to ``item``'s counter for ``window``; the new total."""
    upsert = dialect_insert(session.bind.dialect.name if session.bind else "sqlite")
    stmt = (
        upsert(UsageLimitCounter)
        .values(
            id=new_id("ulc"),
            limit_id=item.rule.id,
            window_start=window.start,
            used=amount,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=[UsageLimitCounter.limit_id, UsageLimitCounter.window_start],
            set_={"used": UsageLimitCounter.used + amount, "updated_at": now},
        )
        .returning(UsageLimitCounter.used)
    )
    return float((await session.execute(stmt)).scalar_one())


async def bump(
    session: AsyncSession, limits: Sequence[CachedLimit], amount: float, now: datetime
) -> list[Crossing]:
    """Add ``amount`` to each limit's current window; the thresholds this crossed."""
    if amount <= 0 or not limits:
        return []
    crossings: list[Crossing] = []
    for item in limits:
        window = window_at(item.interval, now, item.anchor_at)
        after = await add_usage(session, item, window, amount, now)
        for threshold in crossed(item.rule.value, after - amount, after):
            crossings.append(Crossing(item, window, threshold, after))
    return crossings


async def set_usage(session: AsyncSession, item: CachedLimit, used: float, now: datetime) -> None:
    """Start the current window at ``used`` (a new limit counts the window's past calls)."""
    if used <= 0:
        return
    window = window_at(item.interval, now, item.anchor_at)
    session.add(UsageLimitCounter(limit_id=item.rule.id, window_start=window.start, used=used))
    await session.flush()
