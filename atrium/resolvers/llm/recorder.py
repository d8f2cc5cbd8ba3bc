"""The recorder: writes the proxy's calls after their answers, a few at a time.

Why not on the request path: a call's row and its limit counters are a transaction,
which cost more than everything else the proxy does; even as a background task of the
response it held the client's connection (the server reads the next request on a
keep-alive connection only once the task ended). So :meth:`UsageRecorder.submit` does
only what is needed at once, in memory: price the call, count it in the ledger (so
limit checks in this process stay exact) and in the metrics, and queue it. One task
per process writes the queue: it wakes on the first call, waits ``FLUSH_DELAY`` for
calls answered meanwhile, and writes them all in one transaction.

The trade-off, against "nothing a user wrote is lost on a crash or a restart": a call
whose answer has been delivered lives only in memory until that transaction commits
(``FLUSH_DELAY`` plus one transaction, a few milliseconds; longer only while the
database refuses writes). A restart loses nothing: a graceful stop writes the queue
first (:meth:`UsageRecorder.close`, which ``LlmRuntime.close`` calls; the task also
writes what is left when it is cancelled as the event loop shuts down). A crash in
that window (SIGKILL, power loss) loses those calls' rows and counter increments, as
the background task this replaces could (the answer had already gone out then too).

Who sees a call when: limit checks in this process at once (the ledger); the
usage-limit fields of the graph at once in this process (they read through the
ledger too); a limit created or re-windowed here counts the queued calls
(:func:`atrium.resolvers.llm.limits._past_usage`); the list of calls, statistics and
other processes once it is written. Readers never wait for the recorder: on SQLite a
request's transaction holds the write lock the recorder needs, so waiting inside one
would wait forever.

Failures: a write refused for a transient reason (database locked or unreachable) is
retried with backoff and its calls stay queued (at most ``MAX_QUEUE``; beyond that the
oldest are logged and dropped); a batch refused for another reason is retried call by
call, a call that still fails is retried without its limit counters (a limit deleted
meanwhile), then without its proxy (deleted meanwhile), and only then logged and
dropped (as every failure was before).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from atrium.core.context import Context
from atrium.resolvers.llm.runtime import CachedLimit, LlmRuntime
from atrium.resolvers.llm.usage import CallRecord, Recorded, recorded, write_calls, written

logger = logging.getLogger("atrium.llm")

FLUSH_DELAY = 0.002  # seconds to gather calls answered meanwhile into one transaction
MAX_BATCH = 500
MAX_QUEUE = 100_000
RETRY_FIRST, RETRY_MAX = 0.05, 5.0
CLOSING_ATTEMPTS = 3  # transient failures tolerated while shutting down


def _transient(error: Exception) -> bool:
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout | OSError | TimeoutError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


class UsageRecorder:
    def __init__(self, runtime: LlmRuntime, delay: float = FLUSH_DELAY) -> None:
        self.runtime = runtime
        self.delay = delay
        self._queue: list[Recorded] = []
        self._writing: list[Recorded] = []  # taken from the queue, transaction under way
        self._submitted = 0
        self._done = 0  # written or given up
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._wake: asyncio.Event | None = None
        self._hurry: asyncio.Event | None = None  # cuts FLUSH_DELAY short (flush, close)
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Calls submitted and not written yet."""
        return self._submitted - self._done

    def unwritten(self) -> list[Recorded]:
        """Calls not known to be written: queued, or in a transaction under way (which
        may have committed already: their IDs tell)."""
        return [*self._writing, *self._queue]

    def submit(self, call: CallRecord, limits: Sequence[CachedLimit]) -> None:
        """Record ``call`` (counted against ``limits`` in memory at once); no I/O."""
        item = recorded(self.runtime, call, limits)
        if len(self._queue) >= MAX_QUEUE:
            lost = self._queue.pop(0)
            logger.error("LLM usage queue full: dropping a call", extra={"model": lost.call.model})
            self._give_up([lost])
            self._finished(1)
        self._queue.append(item)
        self._submitted += 1
        self._start().set()

    async def flush(self) -> None:
        """Return once every call submitted so far is written (or given up).

        Not from inside a database transaction: on SQLite the recorder needs the write
        lock such a transaction holds (a request's session holds it once it has read).
        """
        target = self._submitted
        if self._done >= target:
            return
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((target, future))
        self._start().set()
        assert self._hurry is not None
        self._hurry.set()
        await future

    async def close(self) -> None:
        """Write the queue, then stop the task (a stop or restart loses no call)."""
        await self.flush()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _start(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        task = self._task
        if task is None or task.done() or task.get_loop() is not loop or self._wake is None:
            self._wake, self._hurry = asyncio.Event(), asyncio.Event()
            self._closing = False
            self._task = loop.create_task(
                self._run(self._wake, self._hurry), name="llm-usage-recorder"
            )
        return self._wake

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The writing task (the event loop cancels it at shutdown: it writes first)."""
        return self._task

    async def _run(self, wake: asyncio.Event, hurry: asyncio.Event) -> None:
        try:
            while True:
                await wake.wait()
                if self.delay and not hurry.is_set():
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.delay):
                            await hurry.wait()
                wake.clear()
                hurry.clear()
                while self._queue:
                    await self._write_next()
        except asyncio.CancelledError:
            self._closing = True  # the loop is shutting down: write what is left first
            while self._queue:
                batch = self._take()
                await self._write(batch)
            raise

    def _take(self) -> list[Recorded]:
        batch = self._queue[:MAX_BATCH]
        del self._queue[: len(batch)]
        self._writing = batch
        return batch

    async def _write_next(self) -> None:
        write = asyncio.ensure_future(self._write(self._take()))
        try:
            await asyncio.shield(write)
        except asyncio.CancelledError:
            await write  # finish the transaction under way: its outcome is unknown otherwise
            raise

    async def _write(self, batch: list[Recorded]) -> None:
        try:
            await self._write_retrying(batch)
        finally:
            self._writing = []

    async def _write_retrying(self, batch: list[Recorded], fallback: int = 0) -> None:
        """Write ``batch``; ``fallback`` 1 leaves out its limit counters (a limit deleted
        meanwhile), 2 also its proxy (deleted meanwhile: the row keeps its cost for the
        organization, as rows of a deleted proxy do)."""
        delay, attempts = RETRY_FIRST, 0
        while True:
            try:
                await self._transaction(batch, count=fallback == 0, linked=fallback < 2)
            except Exception as error:
                attempts += 1
                transient = _transient(error)
                if transient and not (self._closing and attempts >= CLOSING_ATTEMPTS):
                    logger.warning(
                        "could not record LLM proxy calls; retrying",
                        extra={"calls": len(batch), "error": repr(error)},
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX)
                    continue
                if not transient and len(batch) > 1:
                    for item in batch:  # find the call the database refuses
                        await self._write_retrying([item], fallback)
                    return
                if not transient and fallback < 2:
                    logger.warning(
                        "could not record an LLM proxy call as it was; recording less",
                        extra={"error": repr(error), "fallback": fallback + 1},
                    )
                    await self._write_retrying(batch, fallback + 1)
                    return
                logger.exception(
                    "could not record an LLM proxy call", extra={"model": batch[0].call.model}
                )
                self._give_up(batch)
            self._finished(len(batch))
            return

    async def _transaction(self, batch: list[Recorded], *, count: bool, linked: bool) -> None:
        runtime = self.runtime
        context = Context.for_services(runtime.services)
        runtime.ledger.begin_write()
        committed: list[tuple[Any, float]] = []
        try:
            async with context.session() as session:
                await write_calls(context, session, runtime, batch, count=count, linked=linked)
                await session.commit()
            written(runtime, batch)
            done = {item.id for item in batch}
            self._writing = [item for item in self._writing if item.id not in done]
            if count:
                committed = [(key, item.cost.total) for item in batch for key in item.counted]
            else:
                self._give_up(batch)  # written, but not counted: stop counting it here too
            try:
                await context.commit()  # publishes the queued usage-limit events
            except Exception:
                logger.exception("could not publish usage-limit events")
        finally:
            runtime.ledger.end_write(committed)
            await context.close()

    def _give_up(self, batch: Sequence[Recorded]) -> None:
        for item in batch:
            for key in item.counted:
                self.runtime.ledger.discard(key, item.cost.total)

    def _finished(self, count: int) -> None:
        self._done += count
        waiting = []
        for target, future in self._waiters:
            if target <= self._done:
                if not future.done():
                    future.set_result(None)
            else:
                waiting.append((target, future))
        self._waiters = waiting


def recorder_of(runtime: LlmRuntime) -> UsageRecorder:
    """The process's recorder (the runtime's services write the calls)."""
    if runtime.recorder is None:
        if runtime.services is None:
            raise RuntimeError("recording LLM proxy calls needs the process's services")
        runtime.recorder = UsageRecorder(runtime)
    return runtime.recorder
