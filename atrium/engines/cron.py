"""Cron schedules (croniter) shared by routines and knowledge-base connectors."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from croniter import croniter


def is_valid(expression: str) -> bool:
    return bool(croniter.is_valid(expression))


def next_after(expression: str, after: datetime, timezone: str = "UTC") -> datetime:
    """The first time ``expression`` matches after ``after``, read in ``timezone``, in UTC."""
    local: datetime = croniter(expression, after.astimezone(ZoneInfo(timezone))).get_next(datetime)
    return local.astimezone(UTC)
