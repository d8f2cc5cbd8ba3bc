"""Usage statistics, the pure part: timeframes, time buckets and series.

Archestra's timeframes are ``5m``, ``15m``, ``30m``, ``1h``, ``24h``, ``7d``, ``30d``,
``90d`` and ``12m`` (twelve months), or a custom range. Each range is cut into at most
~60 equal buckets of a round size, and a series has a point for every bucket, empty ones
included, so charts need no gap filling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

TIMEFRAMES: dict[str, timedelta] = {
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "12m": timedelta(days=365),
}
BUCKETS = (
    timedelta(seconds=10),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(days=1),
    timedelta(days=7),
)
MAX_POINTS = 60
MAX_RANGE = timedelta(days=400)
_CUSTOM = re.compile(r"^(\d+)([mhdw])$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TimeframeError(ValueError):
    pass


@dataclass(frozen=True)
class Timeframe:
    start: datetime
    end: datetime
    bucket: timedelta

    def bucket_of(self, moment: datetime) -> datetime:
        """The start of the bucket holding ``moment`` (buckets are aligned to the epoch)."""
        return EPOCH + ((moment - EPOCH) // self.bucket) * self.bucket

    def bucket_starts(self) -> list[datetime]:
        starts, moment = [], self.bucket_of(self.start)
        while moment < self.end:
            starts.append(moment)
            moment += self.bucket
        return starts


def bucket_for(span: timedelta) -> timedelta:
    for size in BUCKETS:
        if span / size <= MAX_POINTS:
            return size
    return BUCKETS[-1]


def timeframe(
    name: str | None, now: datetime, start: datetime | None = None, end: datetime | None = None
) -> Timeframe:
    """A named timeframe ending now, or the custom range ``start``..``end`` (end: now)."""
    if start is not None:
        end = end or now
        if end <= start:
            raise TimeframeError("`from` must be before `to`")
        if end - start > MAX_RANGE:
            raise TimeframeError("A custom range spans at most 400 days")
        return Timeframe(start, end, bucket_for(end - start))
    span = TIMEFRAMES.get(name or "24h")
    if span is None:
        raise TimeframeError(
            f"Unknown timeframe {name!r}: one of {', '.join(TIMEFRAMES)} or a custom range"
        )
    return Timeframe(now - span, now, bucket_for(span))


@dataclass
class Totals:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0

    def add(self, input_tokens: int, output_tokens: int, cost: float, requests: int = 1) -> None:
        self.requests += requests
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.cost += cost


@dataclass
class Group:
    key: str | None  # team, agent or model; None: requests without one
    totals: Totals = field(default_factory=Totals)
    series: dict[datetime, Totals] = field(default_factory=dict)


@dataclass(frozen=True)
class UsageRow:
    key: str | None
    at: datetime
    input_tokens: int
    output_tokens: int
    cost: float


def group_usage(rows: Iterable[UsageRow], frame: Timeframe) -> list[Group]:
    """Totals and a full series per key, largest cost first (then most requests, key)."""
    groups, _ = group_usage_by(
        ((row.key, row.at, row.input_tokens, row.output_tokens, row.cost) for row in rows),
        frame,
        1,
    )
    return groups[0]


def group_usage_by(
    rows: Iterable[Sequence[Any]], frame: Timeframe, keys: int
) -> tuple[list[list[Group]], Group]:
    """Several groupings and the total in one pass over ``rows``.

    Each row is ``keys`` grouping keys then ``at, input_tokens, output_tokens, cost``.
    Returns, per key position, the groups as :func:`group_usage` orders them, and the
    total as a group keyed ``"all"`` (with a full series even without rows).
    """
    starts = frame.bucket_starts()
    by: list[dict[Any, Group]] = [{} for _ in range(keys)]
    total = Group("all", series={s: Totals() for s in starts})
    for row in rows:
        at, input_tokens, output_tokens, cost = row[keys : keys + 4]
        bucket = frame.bucket_of(at)
        for group in (total, *(_group(by[i], row[i], starts) for i in range(keys))):
            group.totals.add(input_tokens, output_tokens, cost)
            group.series.setdefault(bucket, Totals()).add(input_tokens, output_tokens, cost)
    ordered = [
        sorted(groups.values(), key=lambda g: (-g.totals.cost, -g.totals.requests, g.key or ""))
        for groups in by
    ]
    return ordered, total


def _group(groups: dict[Any, Group], key: Any, starts: list[datetime]) -> Group:
    group = groups.get(key)
    if group is None:
        group = groups[key] = Group(key, series={s: Totals() for s in starts})
    return group
