"""Cron schedules (croniter) shared by routines and knowledge-base connectors."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from croniter import croniter

from atrium.engines.health.schedule import schedule_error


def is_valid(expression: str) -> bool:
    """Five cron fields or a macro (@daily…), as project assessment schedules accept
    (``engines.health.schedule``): croniter alone also takes a sixth, seconds field."""
    return schedule_error(expression) is None


def next_after(expression: str, after: datetime, timezone: str = "UTC") -> datetime:
    """The first time ``expression`` matches after ``after``, read in ``timezone``, in UTC."""
    local: datetime = croniter(expression, after.astimezone(ZoneInfo(timezone))).get_next(datetime)
    return local.astimezone(UTC)
