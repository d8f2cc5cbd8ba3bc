"""The process caps its glibc malloc arenas, so SQLite's threads share their slack."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from atrium.core.malloc import limit_arenas

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="glibc malloc arenas are Linux's"
)

# Eight threads allocate while all alive (an exiting thread's arena goes back to a free
# list for the next one), then glibc prints one "Arena N:" block per arena to stderr.
SCRIPT = """
import ctypes, sys, threading
from atrium.core.malloc import limit_arenas
print(limit_arenas(int(sys.argv[1])))
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
barrier = threading.Barrier(8)
def allocate():
    libc.malloc(4096)
    barrier.wait()
threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads: thread.start()
for thread in threads: thread.join()
libc.malloc_stats()
"""


def _arenas(cap: int, **env: str) -> tuple[str, int]:
    environment = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(cap)],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=60,
    )
    return done.stdout.strip(), done.stderr.count("Arena ")


def test_eight_allocating_threads_share_the_two_arenas_of_the_cap() -> None:
    # given no cap, eight threads allocating at once get arenas of their own
    changed, uncapped = _arenas(0)
    assert changed == "False"
    assert uncapped > 2

    # when the process caps its arenas at two, they share them
    changed, capped = _arenas(2)
    assert changed == "True"
    assert capped <= 2


def test_malloc_arena_max_in_the_environment_wins() -> None:
    # given MALLOC_ARENA_MAX set for the process, glibc has read it: it is left alone
    changed, arenas = _arenas(2, MALLOC_ARENA_MAX="3")
    assert changed == "False"
    assert arenas <= 3


def test_no_cap_asked_changes_nothing() -> None:
    assert limit_arenas(0) is False
