"""This process's running view of usage-limit counters: limits checked without a query.

An entry per (limit, window) holds ``base``, the counter as last read from the
database, and ``local``, what this process has added to it since (written by the
recorder or still waiting in its queue). ``base + local`` is exact for every call this
process made, so a limit trips at exactly the right call here. Usage recorded by
*other* processes is picked up when the entry is read again, once it is older than
``COUNTER_SECONDS``: with several server processes a limit may overshoot by what the
others spent in that second (and checks were never atomic with forwarding anyway: two
concurrent calls may both pass when one call's budget is left).

A re-read races with this process's recorder: a read that overlaps one of its commits
cannot tell whether the commit is in the value or not. So :meth:`mark` is taken before
a read and :meth:`learn` only trusts the value when no write of ours was in flight or
committed meanwhile; otherwise the caller waits for the write (:meth:`quiet`) and reads
again. What the recorder has not committed yet is ``pending`` and is added on top.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

COUNTER_SECONDS = 1.0  # how stale other processes' usage may be
MAX_ENTRIES = 10_000

CounterKey = tuple[str, datetime]  # limit ID, window start


@dataclass
class _Entry:
    base: float  # the counter as read
    local: float  # added by this process since
    read_at: float  # monotonic


class UsageLedger:
    def __init__(
        self, seconds: float = COUNTER_SECONDS, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.now = now
        self._entries: dict[CounterKey, _Entry] = {}
        self._pending: dict[CounterKey, list[float]] = {}  # [amount, calls] not committed
        self._epoch = 0  # bumped by every write that ends
        self._writing = 0  # writes in flight
        self._quiet: asyncio.Event | None = None

    # --- what the recorder tells -------------------------------------------------

    def add(self, key: CounterKey, amount: float) -> None:
        """A call used ``amount`` of ``key``; the recorder will write it."""
        pending = self._pending.setdefault(key, [0.0, 0])
        pending[0] += amount
        pending[1] += 1
        entry = self._entries.get(key)
        if entry is not None:
            entry.local += amount

    def begin_write(self) -> None:
        self._writing += 1
        if self._quiet is not None:
            self._quiet.clear()

    def end_write(self, committed: Iterable[tuple[CounterKey, float]] = ()) -> None:
        """A write ended; ``committed`` are the amounts it made durable (none if it failed)."""
        for key, amount in committed:
            self._settle(key, amount)
        self._writing -= 1
        self._epoch += 1
        if self._writing == 0 and self._quiet is not None:
            self._quiet.set()

    def discard(self, key: CounterKey, amount: float) -> None:
        """A call that could not be written: stop counting it."""
        self._settle(key, amount)
        entry = self._entries.get(key)
        if entry is not None:
            entry.local -= amount

    def _settle(self, key: CounterKey, amount: float) -> None:
        pending = self._pending.get(key)
        if pending is None:
            return
        pending[0] -= amount
        pending[1] -= 1
        if pending[1] <= 0:  # no float residue left behind
            del self._pending[key]

    # --- what limit checks ask -----------------------------------------------------

    def cached(self, key: CounterKey) -> float | None:
        """Usage of ``key`` if read recently enough, else None (read it again)."""
        entry = self._entries.get(key)
        if entry is None or self.now() - entry.read_at > self.seconds:
            return None
        return entry.base + entry.local

    def mark(self) -> int | None:
        """Take before reading counters; None while a write is in flight."""
        return None if self._writing else self._epoch

    def learn(self, key: CounterKey, value: float, mark: int | None) -> float | None:
        """Usage of ``key`` from ``value`` read after ``mark``; None when the read raced
        one of our writes (wait for it and read again)."""
        if mark is None or mark != self._epoch or self._writing:
            return None
        pending = self._pending.get(key)
        local = pending[0] if pending else 0.0
        if len(self._entries) >= MAX_ENTRIES:
            self._prune()
        self._entries[key] = _Entry(value, local, self.now())
        return value + local

    def estimate(self, key: CounterKey, value: float) -> float:
        """Best effort when reads keep racing writes: the last entry (exact for this
        process, stale for others) if there is one, else ``value`` plus what is pending
        (which may count a batch committed just now twice)."""
        entry = self._entries.get(key)
        if entry is not None:
            return entry.base + entry.local
        return self.pending_on(key, value)

    def pending_on(self, key: CounterKey, value: float) -> float:
        """``value`` as stored plus what this process has not written yet (for readers
        that neither wait nor remember; a batch committing meanwhile may count twice)."""
        pending = self._pending.get(key)
        return value + (pending[0] if pending else 0.0)

    async def quiet(self) -> None:
        """Wait until no write of ours is in flight."""
        if not self._writing:
            return
        if self._quiet is None:
            self._quiet = asyncio.Event()
        await self._quiet.wait()

    # --- invalidation ----------------------------------------------------------------

    def forget(self, limit_id: str) -> None:
        """Read this limit's counters again (it was created, changed or deleted)."""
        for key in [k for k in self._entries if k[0] == limit_id]:
            del self._entries[key]

    def _prune(self) -> None:
        now = self.now()
        for key in [k for k, e in self._entries.items() if now - e.read_at > self.seconds]:
            del self._entries[key]
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
