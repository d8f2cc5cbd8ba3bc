"""The usage ledger: exact for this process's calls, careful when a re-read races one of
the recorder's writes, and re-read once its entries are older than a second."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from atrium.resolvers.llm.ledger import UsageLedger

KEY = ("ulim_1", datetime(2030, 1, 1, tzinfo=UTC))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_local_calls_count_at_once_and_entries_go_stale() -> None:
    clock = Clock()
    ledger = UsageLedger(seconds=1.0, now=clock)
    assert ledger.cached(KEY) is None
    assert ledger.learn(KEY, 0.25, ledger.mark()) == 0.25
    ledger.add(KEY, 0.5)  # a call answered here: counted before the recorder writes it
    assert ledger.cached(KEY) == 0.75
    ledger.begin_write()
    ledger.end_write([(KEY, 0.5)])  # written: no longer pending, still counted once
    assert ledger.cached(KEY) == 0.75
    clock.now += 1.5
    assert ledger.cached(KEY) is None  # other processes' usage: read it again
    assert ledger.learn(KEY, 0.75 + 0.1, ledger.mark()) == 0.85


def test_pending_calls_are_added_to_what_is_read() -> None:
    ledger = UsageLedger()
    ledger.add(KEY, 0.2)
    ledger.add(KEY, 0.3)
    assert ledger.learn(KEY, 1.0, ledger.mark()) == 1.5  # stored + not written yet
    ledger.begin_write()
    ledger.end_write([(KEY, 0.2), (KEY, 0.3)])
    ledger.forget(KEY[0])
    assert ledger.learn(KEY, 1.5, ledger.mark()) == 1.5  # no float residue left pending


def test_a_read_racing_a_write_is_not_trusted() -> None:
    ledger = UsageLedger()
    ledger.add(KEY, 0.5)
    mark = ledger.mark()
    ledger.begin_write()  # the recorder commits while the read runs: the value read may
    ledger.end_write([(KEY, 0.5)])  # or may not hold the 0.5
    assert ledger.learn(KEY, 0.5, mark) is None
    ledger.add(KEY, 0.25)
    ledger.begin_write()
    assert ledger.mark() is None  # a write in flight: wait for it before reading
    ledger.end_write()  # it failed: nothing committed, the call is still pending
    assert ledger.learn(KEY, 0.5, ledger.mark()) == 0.75


def test_reads_that_keep_racing_settle_for_the_known_entry() -> None:
    ledger = UsageLedger()
    assert ledger.learn(KEY, 0.1, ledger.mark()) == 0.1
    ledger.add(KEY, 0.2)
    mark = ledger.mark()
    ledger.begin_write()
    assert ledger.learn(KEY, 0.3, mark) is None  # read again once the write is done
    assert ledger.estimate(KEY, 0.3) == pytest.approx(0.3)  # what we knew: still exact here
    ledger.end_write([(KEY, 0.2)])


def test_a_call_that_cannot_be_written_stops_counting() -> None:
    ledger = UsageLedger()
    assert ledger.learn(KEY, 0.0, ledger.mark()) == 0.0
    ledger.add(KEY, 0.4)
    ledger.discard(KEY, 0.4)
    assert ledger.cached(KEY) == 0.0
    assert ledger.pending_on(KEY, 0.0) == 0.0
