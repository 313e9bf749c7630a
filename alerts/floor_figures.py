"""Each queue's floor figures now, from the stored day counters: service level in the
current 15-minute interval (``specs.intervals``) and staffing by Erlang C
(``specs.staffing``). One computation for the tiles (``dashboard.daymodel``) and for
alert rules on the derived metrics ``interval_service_level_pct`` and ``agents_short``
(``alerts.inputs``; declared in ``specs.floor_metrics``).

The counters are read as 1-minute buckets (``HistoryStore.history``; the newest minutes
are aggregated from raw samples on the fly). A bucket's ``last`` is a counter's reading
at the bucket's end; its ``mean`` times its length is the busy agent-time in it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from specs.intervals import IntervalLevel, Reading, current_interval, interval_start
from specs.metrics import QueueMetricId
from specs.sltarget import ServiceLevelTarget
from specs.staffing import WINDOW_MS, BusySpan, Staffing, staffing, workload
from storage import History, HistoryStore

MINUTE_MS = 60_000
# One point per minute over the window (30 min and the interval's start).
MAX_POINTS = 60
# Queues per history read: five series each, within HistoryStore's 500 series per read.
QUEUES_PER_READ = 100

ANSWERED = QueueMetricId.ANSWERED_TODAY.value
ABANDONED = QueueMetricId.ABANDONED_TODAY.value
LEVEL = QueueMetricId.SERVICE_LEVEL_PCT.value
BUSY = QueueMetricId.AGENTS_BUSY.value
LOGGED_IN = QueueMetricId.AGENTS_LOGGED_IN.value
FLOOR_METRICS = (ANSWERED, ABANDONED, LEVEL, BUSY, LOGGED_IN)


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """One queue's figures now; ``newest_ms``: its newest counter reading (None: none)."""

    target: ServiceLevelTarget
    interval: IntervalLevel
    staffing: Staffing
    newest_ms: int | None


@dataclass(frozen=True, slots=True)
class Series:
    readings: dict[str, list[Reading]]
    busy: list[BusySpan]


def queue_figures(
    history: HistoryStore, by_queue: Mapping[str, Mapping[str, int]], now_ms: int, tz: str,
    target: Callable[[str], ServiceLevelTarget], changes: Sequence[int] = (),
) -> dict[str, QueueFigures]:
    """Figures of every queue in ``by_queue`` (queue id -> metric -> series id), in reads
    of ``QUEUES_PER_READ`` queues; ``changes``: when the source's server changed
    (``window_start`` on, ``Store.server_changes``). May raise ``StorageUnavailable``."""
    start = window_start(now_ms, tz)
    found: dict[str, QueueFigures] = {}
    items = list(by_queue.items())
    for offset in range(0, len(items), QUEUES_PER_READ):
        chunk = items[offset:offset + QUEUES_PER_READ]
        read = history.history([sid for _, ids in chunk for sid in ids.values()], start,
                               now_ms, max_points=MAX_POINTS)
        for queue_id, ids in chunk:
            data = series_of(read, ids, now_ms)
            goal = target(queue_id)
            interval = current_interval(data.readings[ANSWERED], data.readings[LEVEL],
                                        now_ms, tz, changes)
            newest = [r.ts_ms for m in FLOOR_METRICS for r in data.readings[m][-1:]]
            found[queue_id] = QueueFigures(goal, interval,
                                           staffing_until(data, goal, now_ms, changes),
                                           max(newest) if newest else None)
    return found


def window_start(now_ms: int, tz: str) -> int:
    """Where the figures' reads begin: the staffing window or the interval's start,
    whichever is earlier, and a minute before."""
    return min(now_ms - WINDOW_MS, interval_start(now_ms, tz)) - MINUTE_MS


def series_of(history: History, ids: Mapping[str, int], now: int) -> Series:
    """Counter readings (each bucket's last value at the bucket's last millisecond, so a
    step counts in the interval it ends in) and busy spans (each bucket's mean over it)."""
    bucket = MINUTE_MS
    readings: dict[str, list[Reading]] = {m: [] for m in FLOOR_METRICS}
    busy: list[BusySpan] = []
    for metric, sid in ids.items():
        points = history.points.get(sid, [])
        readings[metric] = [Reading(min(p.ts_ms + bucket - 1, now), p.last) for p in points]
        if metric == BUSY:
            busy = [BusySpan(p.ts_ms, min(p.ts_ms + bucket, now), p.mean) for p in points]
    return Series(readings, busy)


def window(readings: Sequence[Reading], from_ms: int, to_ms: int) -> list[Reading]:
    return [r for r in readings if from_ms <= r.ts_ms <= to_ms]


def last(readings: Sequence[Reading], at_ms: int) -> float | None:
    before = [r.value for r in readings if r.ts_ms <= at_ms]
    return before[-1] if before else None


def staffing_until(data: Series, target: ServiceLevelTarget, end: int,
                   changes: Sequence[int] = ()) -> Staffing:
    start = end - WINDOW_MS
    load = workload(window(data.readings[ANSWERED], start, end),
                    window(data.readings[ABANDONED], start, end), data.busy, changes)
    return staffing(load, target, last(data.readings[LOGGED_IN], end))
