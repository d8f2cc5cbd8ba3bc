"""glibc malloc tuning for the server process.

Two of glibc's defaults cost a server like this one memory it does not use:

* **An arena per thread.** glibc gives each thread that allocates an arena of its own,
  up to eight per core, and an arena keeps what is freed back to it. aiosqlite runs
  every pooled SQLite connection in a thread of its own, and what those threads
  allocate (page caches, rows before Python takes them) is freed back to their arenas:
  at 8 concurrent nested reads, nine arenas held 2 MB each with 0.8 MB in use. Two
  arenas share that slack: the nested read's peak RSS fell by 5 to 7 MB.
* **A sliding mmap threshold.** A block of 128 KiB or more is mapped on its own and
  unmapped when freed, but freeing one raises the threshold to its size, so later
  blocks that size (a response's JSON, a page's row list) come from the heap, which
  gives memory back only from its top. A fixed threshold returns them to the system:
  about 2 MB less at the nested read's peak, for a page fault per 4 KiB of each.

Both are glibc's environment variables (``MALLOC_ARENA_MAX``,
``MALLOC_MMAP_THRESHOLD_``) set from the process itself, so that every way of starting
the server (``atrium serve``, uvicorn, a container) gets them. When a variable, or its
tunable in ``GLIBC_TUNABLES`` (``glibc.malloc.arena_max``, ``glibc.malloc.mmap_threshold``),
is set, glibc has read it at start-up and it wins. Measured with
bench/bench_nested_read.py.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_MMAP_THRESHOLD = -3  # mallopt parameters, <malloc.h>
M_ARENA_MAX = -8
MMAP_THRESHOLD = 128 * 1024  # glibc's initial value, kept


def configure_malloc(arena_max: int) -> list[str]:
    """Cap the malloc arenas at ``arena_max`` (0: glibc's default) and fix the mmap
    threshold; the names of the settings changed (none on a C library without
    ``mallopt``, such as musl, or off Linux).

    Arenas already made stay, so call it before the threads start."""
    if not sys.platform.startswith("linux"):
        return []
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return []
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    wanted = {
        "MALLOC_ARENA_MAX": ("glibc.malloc.arena_max", M_ARENA_MAX, arena_max),
        "MALLOC_MMAP_THRESHOLD_": ("glibc.malloc.mmap_threshold", M_MMAP_THRESHOLD, MMAP_THRESHOLD),
    }
    return [
        name
        for name, (tunable, parameter, value) in wanted.items()
        if value > 0
        and name not in os.environ
        and f"{tunable}=" not in tunables
        and mallopt(parameter, value)
    ]
