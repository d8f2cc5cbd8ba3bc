"""Usage-limit counters: one row per limit and window, read before a call, bumped after.

Reading is one indexed query for every limit that applies; bumping is an upsert that
returns the new total, so the usage before and after each call is exact even with
concurrent calls, and the 80% / 100% crossings are published once per window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.ids import new_id
from atrium.engines.llm import Window, crossed, window_at
from atrium.models.llm import UsageLimitCounter
from atrium.resolvers.llm.runtime import CachedLimit


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


async def read_states(
    session: AsyncSession, limits: Sequence[CachedLimit], now: datetime
) -> list[LimitState]:
    """The usage of each limit in its current window: one query."""
    if not limits:
        return []
    windows = {item.rule.id: window_at(item.interval, now, item.anchor_at) for item in limits}
    starts = {window.start for window in windows.values()}
    rows = (
        await session.execute(
            select(
                UsageLimitCounter.limit_id, UsageLimitCounter.window_start, UsageLimitCounter.used
            ).where(
                UsageLimitCounter.limit_id.in_(list(windows)),
                UsageLimitCounter.window_start.in_(list(starts)),
            )
        )
    ).all()
    used = {
        limit_id: float(value)
        for limit_id, start, value in rows
        if windows[limit_id].start == start
    }
    return [LimitState(item, windows[item.rule.id], used.get(item.rule.id, 0.0)) for item in limits]


async def bump(
    session: AsyncSession, limits: Sequence[CachedLimit], amount: float, now: datetime
) -> list[Crossing]:
    """Add ``amount`` to each limit's current window; the thresholds this crossed."""
    if amount <= 0 or not limits:
        return []
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    module: Any = postgresql if dialect == "postgresql" else sqlite
    crossings: list[Crossing] = []
    for item in limits:
        window = window_at(item.interval, now, item.anchor_at)
        stmt = (
            module.insert(UsageLimitCounter)
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
        after = float((await session.execute(stmt)).scalar_one())
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
