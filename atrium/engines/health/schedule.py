"""Assessment schedules: a cron expression, and the slot that is due at a moment.

A project's ``settings.assessment_schedule`` is a five-field cron expression in UTC
(``0 3 * * 1``) or one of the macros ``@hourly``, ``@daily``, ``@weekly``, ``@monthly``
and ``@yearly``. A *slot* is one firing time of the schedule; a slot is due from its time
until ``grace`` after it, so a worker that was briefly down still catches the latest one,
while a schedule set today does not fire for slots long past. Missed slots are not
back-filled: only the latest one counts (as cron does).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from croniter import croniter

MACROS = frozenset({"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly"})
DEFAULT_GRACE = timedelta(hours=1)


def schedule_error(expression: object) -> str | None:
    """Why ``expression`` is not a schedule (None when it is one)."""
    if not isinstance(expression, str) or not expression.strip():
        return "Give a cron expression such as '0 3 * * *', or @daily"
    text = expression.strip()
    if text.startswith("@"):
        return None if text.lower() in MACROS else f"Unknown macro {text!r}"
    if len(text.split()) != 5 or not croniter.is_valid(text):
        return "Give five cron fields: minute hour day-of-month month day-of-week"
    return None


def latest_slot(expression: str, now: datetime) -> datetime:
    """The schedule's latest firing time at or before ``now`` (UTC)."""
    text = expression.strip()
    base = now.astimezone(UTC) + timedelta(microseconds=1)  # a slot at exactly ``now`` counts
    slot: datetime = croniter(text.lower() if text.startswith("@") else text, base).get_prev(
        datetime
    )
    return slot.astimezone(UTC)


def due_slot(
    expression: str,
    now: datetime,
    *,
    not_before: datetime | None = None,
    grace: timedelta = DEFAULT_GRACE,
) -> datetime | None:
    """The slot due at ``now``, if any: the latest, within ``grace``, not before ``not_before``."""
    slot = latest_slot(expression, now)
    if now - slot > grace:
        return None
    if not_before is not None and slot < not_before:
        return None
    return slot
