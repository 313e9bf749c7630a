"""What a process (or a process and its children) costs, read from /proc: CPU seconds,
resident and proportional memory. For the benchmarks' sizing figures; Linux only."""

from __future__ import annotations

import os
from pathlib import Path


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces


def cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) the process ``pid`` has used so far."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def pss_mib(pid: int) -> float | None:
    """Proportional set size: shared pages (a forked worker's) counted once in a sum."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def tree(pid: int) -> list[int]:
    """``pid`` and every process descended from it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents[int(entry.name)] = int(fields[1])
    found = [pid]
    for candidate in sorted(parents):
        walk = candidate
        while walk in parents and walk not in (0, 1, pid):
            walk = parents[walk]
        if walk == pid and candidate != pid:
            found.append(candidate)
    return found


def tree_cpu_s(pid: int) -> float:
    return sum(cpu_s(p) or 0.0 for p in tree(pid))


def tree_pss_mib(pid: int) -> float:
    return sum(pss_mib(p) or 0.0 for p in tree(pid))
