"""glibc malloc tuning for the server process.

glibc gives each thread that allocates an arena of its own, up to eight per core, and
an arena keeps what is freed back to it. aiosqlite runs every pooled SQLite connection
in a thread of its own, and what those threads allocate (page caches, rows before Python
takes them) is freed back to their arenas: at 8 concurrent nested reads, nine arenas
held 2 MB each with 0.8 MB in use. Two arenas share that slack; the nested read's peak
RSS fell by 5 to 7 MB, with no measurable cost in time (bench/bench_nested_read.py).

This is the ``MALLOC_ARENA_MAX`` environment variable, set from the process itself so
that every way of starting the server (``atrium serve``, uvicorn, a container) gets it.
When the variable is set, glibc has read it at start-up and it wins.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_ARENA_MAX = -8  # mallopt parameter, <malloc.h>


def limit_arenas(count: int) -> bool:
    """Cap this process's malloc arenas at ``count``; false when nothing was changed
    (0, ``MALLOC_ARENA_MAX`` set, not Linux, or a C library without ``mallopt``).

    Arenas already made stay, so call it before the threads start."""
    if count <= 0 or "MALLOC_ARENA_MAX" in os.environ or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):  # musl, for one, has no mallopt
        return False
    return bool(mallopt(M_ARENA_MAX, count))
