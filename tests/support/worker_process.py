"""A job worker in its own process: ``python -m tests.support.worker_process URL LEASE QUEUE``."""

from __future__ import annotations

import asyncio
import sys

import tests.support.job_handlers  # noqa: F401 - registers the handlers
from atrium.core.db import Database
from atrium.core.jobs import Worker


async def main(url: str, lease_seconds: float, queue: str) -> None:
    db = Database(url)
    worker = Worker(
        db, None, concurrency=1, poll_seconds=0.05, lease_seconds=lease_seconds, queues=[queue]
    )
    print(worker.id, flush=True)
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]), sys.argv[3]))
