"""Usage-limit windows: when the current window started and when it resets.

Rolling intervals (1h, 24h, 1w) are fixed-length windows counted from the limit's
anchor (when it was created), so a limit made at 10:20 with 1h resets at 11:20, 12:20…
Calendar intervals follow the UTC calendar: a day starts at midnight, a week on Monday,
a month on its first day. The clock is always passed in, never read here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class LimitInterval(StrEnum):
    ONE_HOUR = "ONE_HOUR"
    ONE_DAY = "ONE_DAY"  # 24h
    ONE_WEEK = "ONE_WEEK"
    CALENDAR_DAY = "CALENDAR_DAY"
    CALENDAR_WEEK = "CALENDAR_WEEK"
    CALENDAR_MONTH = "CALENDAR_MONTH"


ROLLING = {
    LimitInterval.ONE_HOUR: timedelta(hours=1),
    LimitInterval.ONE_DAY: timedelta(hours=24),
    LimitInterval.ONE_WEEK: timedelta(weeks=1),
}


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime  # the next reset

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _month_start(year: int, month: int) -> datetime:
    return datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=UTC)


def window_at(interval: LimitInterval, now: datetime, anchor: datetime) -> Window:
    """The window of ``interval`` that contains ``now``."""
    now = now.astimezone(UTC)
    period = ROLLING.get(interval)
    if period is not None:
        anchor = anchor.astimezone(UTC)
        count = (now - anchor) // period  # negative before the anchor: still a whole window
        start = anchor + count * period
        return Window(start, start + period)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval is LimitInterval.CALENDAR_DAY:
        return Window(midnight, midnight + timedelta(days=1))
    if interval is LimitInterval.CALENDAR_WEEK:
        start = midnight - timedelta(days=now.weekday())
        return Window(start, start + timedelta(days=7))
    if interval is LimitInterval.CALENDAR_MONTH:
        return Window(_month_start(now.year, now.month), _month_start(now.year, now.month + 1))
    raise ValueError(f"unknown interval {interval!r}")
