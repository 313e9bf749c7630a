"""Keeping a long-running collector's memory flat.

Measured (bench/soak.py, see docs/DESIGN.md "Memory of the collector"): the growth of
the collector's RSS was not Python objects (tracemalloc stayed flat) but glibc malloc
arenas. glibc gives every thread that allocates its own arena (up to 8 per core), and
the collector's database calls run in ``asyncio.to_thread`` workers (the loop's default
pool: up to ``min(32, cores + 4)`` threads): each worker's arena keeps the peak of what a
rollup or a large write allocated there, fragmented, and never hands it back.

So, at the start of the collector process:

- ``limit_arenas``: at most ``MALLOC_ARENAS`` arenas (glibc's ``M_ARENA_MAX``, what the
  ``MALLOC_ARENA_MAX`` environment variable sets; set here so it holds however the
  process is started: systemd, a container, ``trio-monitor serve``);
- the loop's default executor (what ``asyncio.to_thread`` uses) is the runner's bounded
  pool of daemon threads (``collectors.runner.DaemonExecutor``), so few threads allocate;
- ``trim``: after a job that allocates a large transient working set (a rollup run), the
  freed memory is handed back to the system (``malloc_trim``).

Each is a no-op where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import cache

log = logging.getLogger(__name__)

MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # from glibc's malloc.h


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt  # noqa: B018  (glibc only: probe before use)
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def limit_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for threads started from now on; True if applied."""
    libc = _libc()
    if libc is None:
        return False
    ok = bool(libc.mallopt(_M_ARENA_MAX, arenas))
    if not ok:
        log.warning("could not limit malloc arenas to %d", arenas)
    return ok


def trim() -> bool:
    """Hand freed heap memory back to the system; True if some was released."""
    libc = _libc()
    return libc is not None and bool(libc.malloc_trim(0))
