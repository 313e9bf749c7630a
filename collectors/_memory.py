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

None of this bounds what a job holds at once: that is bounded where it is allocated
(the rollup's recheck reads a few series at a time; SQLite's page cache per connection
is set in ``storage.make_engine``).

Each is a no-op where the C library is not glibc. What the process's memory is made of,
for benchmarks: ``start_report`` (``bench/soak.py --memory-report``).
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


_MALLINFO2_FIELDS = ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                     "uordblks", "fordblks", "keepcost")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in _MALLINFO2_FIELDS]


def mallinfo() -> dict[str, int]:
    """glibc's heap totals over all arenas (``mallinfo2``); empty where unavailable."""
    libc = _libc()
    fn = getattr(libc, "mallinfo2", None) if libc is not None else None
    if fn is None:
        return {}
    fn.restype = _MallInfo2
    info = fn()
    return {name: int(getattr(info, name)) for name in _MALLINFO2_FIELDS}


def malloc_info_xml() -> str:
    """glibc's ``malloc_info``: one XML element per arena; empty where unavailable."""
    libc = _libc()
    if libc is None or not hasattr(libc, "open_memstream"):
        return ""
    buf, size = ctypes.c_char_p(), ctypes.c_size_t()
    libc.open_memstream.restype = ctypes.c_void_p
    libc.open_memstream.argtypes = [ctypes.POINTER(ctypes.c_char_p),
                                    ctypes.POINTER(ctypes.c_size_t)]
    libc.fclose.argtypes = [ctypes.c_void_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    stream = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
    if not stream:
        return ""
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    text = (buf.value or b"").decode("ascii", "replace")
    libc.free.argtypes = [ctypes.c_void_p]
    libc.free(ctypes.cast(buf, ctypes.c_void_p))
    return text


def _arenas(xml: str) -> list[tuple[int, int, int]]:
    """(arena, bytes from the system, bytes free in it) per arena of ``malloc_info``."""
    import re

    out = []
    for nr, body in re.findall(r'<heap nr="(\d+)">(.*?)</heap>', xml, re.S):
        system = re.search(r'<system type="current" size="(\d+)"/>', body)
        free = sum(int(s) for s in re.findall(r'<total type="(?:fast|rest)" count="\d+" '
                                               r'size="(\d+)"/>', body))
        out.append((int(nr), int(system.group(1)) if system else 0, free))
    return out


def _sqlite_memory_used() -> int | None:
    """What SQLite holds (page caches, statements) in this process, where it is the
    shared library Python's sqlite3 module uses."""
    try:
        lib = ctypes.CDLL("libsqlite3.so.0")
    except OSError:
        return None
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    return int(lib.sqlite3_memory_used())


def start_report(path: str, every_s: float = 60.0, frames: int = 0) -> None:
    """For benchmarks: every ``every_s``, append to ``path`` the process's memory as the
    system and glibc see it, and with ``frames`` (tracemalloc started here with that many
    frames) what grew in Python since the first report. Tracing costs memory and CPU
    and its snapshots are allocated in the reporting thread's arena: leave it off to
    measure the growth, turn it on to find Python-level growth. Not for production."""
    import gc
    import threading
    import time
    import tracemalloc
    from pathlib import Path

    if frames:
        tracemalloc.start(frames)

    def rollup() -> dict[str, int]:
        out = {}
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
            key, _, rest = line.partition(":")
            out[key] = int(rest.split()[0])
        return out

    def _snapshot() -> tracemalloc.Snapshot:
        return tracemalloc.take_snapshot().filter_traces(
            (tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)))

    def loop() -> None:
        first: tracemalloc.Snapshot | None = None
        previous: tracemalloc.Snapshot | None = None
        started = time.monotonic()
        while True:
            time.sleep(every_s)
            lines = [f"=== minute {(time.monotonic() - started) / 60:.1f} "
                     f"threads {threading.active_count()}"]
            smaps = rollup()
            lines.append("smaps " + " ".join(f"{k}={smaps.get(k)}" for k in (
                "Rss", "Anonymous", "Private_Dirty")))
            lines.append("mallinfo2 " + " ".join(f"{k}={v}" for k, v in mallinfo().items()))
            lines.append("arenas " + " ".join(f"{nr}:{sysb // 1024}k/free{free // 1024}k"
                                              for nr, sysb, free in _arenas(malloc_info_xml())))
            lines.append(f"sqlite3_memory_used={_sqlite_memory_used()}")
            lines.append(f"gc objects={len(gc.get_objects())}")
            if tracemalloc.is_tracing():
                snap = _snapshot()
                current, peak = tracemalloc.get_traced_memory()
                lines.append(f"tracemalloc current={current} peak={peak} "
                             f"own={tracemalloc.get_tracemalloc_memory()}")
                if first is not None and previous is not None:
                    for label, base in (("since first", first), ("since previous", previous)):
                        lines.append(f"-- top by line {label}")
                        lines.extend(f"  {stat}" for stat in snap.compare_to(base, "lineno")[:15])
                    lines.append("-- top by traceback since first")
                    for stat in snap.compare_to(first, "traceback")[:6]:
                        lines.append(f"  {stat}")
                        # Not traceback.format(): it reads every source file into linecache.
                        lines.extend(f"      {frame.filename}:{frame.lineno}"
                                     for frame in list(stat.traceback)[-8:])
                first = first or snap
                previous = snap
            with open(path, "a", encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")

    threading.Thread(target=loop, name="memory-report", daemon=True).start()
