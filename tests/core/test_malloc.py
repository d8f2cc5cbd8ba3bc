"""The process tunes glibc malloc: SQLite's threads share two arenas, and freed large
blocks go back to the system."""

from __future__ import annotations

import ctypes
import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc" or not hasattr(ctypes.CDLL(None), "mallinfo2"),
    reason="glibc malloc (2.33 or later: mallinfo2)",
)

# Eight threads allocate while all alive (an exiting thread's arena goes back to a free
# list for the next one), then glibc prints one "Arena N:" block per arena to stderr.
ARENAS = """
import ctypes, sys, threading
from atrium.core.malloc import configure_malloc
if sys.argv[1] != "default":
    print(" ".join(configure_malloc(int(sys.argv[1]))))
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

# A 1 MiB block is mapped and freed; is a 512 KiB block then mapped on its own too
# (it goes back to the system when freed), or carved from the heap?
MAPPED = """
import ctypes, sys
from atrium.core.malloc import configure_malloc
if sys.argv[1] != "default":
    configure_malloc(0)
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
    ).split()]
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = Info
libc.free(libc.malloc(1 << 20))
before = libc.mallinfo2().hblks
block = libc.malloc(512 << 10)
print(libc.mallinfo2().hblks - before)
"""


def _run(script: str, argument: str, **env: str) -> subprocess.CompletedProcess[str]:
    names = ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES")
    environment = {k: v for k, v in os.environ.items() if k not in names} | env
    return subprocess.run(
        [sys.executable, "-c", script, argument],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=60,
    )


def test_eight_allocating_threads_share_the_two_arenas_of_the_cap() -> None:
    # given glibc's default, eight threads allocating at once get arenas of their own
    assert _run(ARENAS, "default").stderr.count("Arena ") > 2

    # when the process caps its arenas at two, they share them
    capped = _run(ARENAS, "2")
    assert capped.stdout.split() == ["MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_"]
    assert capped.stderr.count("Arena ") <= 2


def test_a_large_block_is_mapped_even_after_a_larger_one_was_freed() -> None:
    # given glibc's default, freeing a 1 MiB block moves the threshold above 512 KiB
    assert _run(MAPPED, "default").stdout.strip() == "0"

    # when the process fixes the threshold, a 512 KiB block is still mapped on its own
    assert _run(MAPPED, "configured").stdout.strip() == "1"


def test_glibcs_environment_variables_win() -> None:
    # given MALLOC_ARENA_MAX set for the process, glibc has read it: it is left alone
    done = _run(ARENAS, "2", MALLOC_ARENA_MAX="3", MALLOC_MMAP_THRESHOLD_="65536")
    assert done.stdout.split() == []
    assert done.stderr.count("Arena ") == 3


def test_glibcs_tunables_win() -> None:
    # given the same settings as tunables (glibc 2.26 and later)
    tunables = "glibc.malloc.arena_max=3:glibc.malloc.mmap_threshold=65536"
    done = _run(ARENAS, "2", GLIBC_TUNABLES=tunables)
    assert done.stdout.split() == []
    assert done.stderr.count("Arena ") == 3


def test_no_cap_asked_leaves_the_arenas_and_still_fixes_the_threshold() -> None:
    done = _run(ARENAS, "0")
    assert done.stdout.split() == ["MALLOC_MMAP_THRESHOLD_"]
    assert done.stderr.count("Arena ") > 2
