"""Job handlers used by the job tests, importable by a worker subprocess too."""

from __future__ import annotations

import asyncio
from typing import Any

from atrium.core.jobs import JobContext, PermanentJobError, job_handler

CALLS: list[tuple[str, int]] = []


@job_handler("test.record")
async def record(context: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    CALLS.append((context.job_id, context.attempt))
    return {"echo": payload.get("value"), "attempt": context.attempt}


@job_handler("test.flaky")
async def flaky(context: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Fails until attempt ``succeed_on``."""
    if context.attempt < payload["succeed_on"]:
        raise RuntimeError(f"flaky failure on attempt {context.attempt}")
    return {"attempt": context.attempt}


@job_handler("test.permanent")
async def permanent(context: JobContext, payload: dict[str, Any]) -> None:
    raise PermanentJobError("the target is gone")


@job_handler("test.stuck_first_time")
async def stuck_first_time(context: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Hangs on its first attempt (the worker gets killed), finishes on the next."""
    if context.attempt == 1:
        await asyncio.Event().wait()
    return {"finished_on_attempt": context.attempt}
