"""The read side of the floor figures: each queue's service-level target, its service
level in the current 15-minute interval, and staffing now (Erlang C), for the tiles; the
day's intervals and staffing line for ``/queues/<id>``.

Everything is derived from what the collector stores (see ``specs.intervals`` and
``specs.staffing``): the day counters ``answered_today``, ``abandoned_today`` and
``service_level_pct``, and ``agents_busy`` / ``agents_logged_in``, read as 1-minute
buckets (``HistoryStore.history``; the newest minutes are aggregated from raw samples on
the fly). A bucket's ``last`` is a counter's reading at the bucket's end; its ``mean``
times its length is the busy agent-time in it.

The tiles' figures are computed for every queue at most once per refresh period per
process, however many screens ask (the wall's own read model works the same way).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import flask
from sqlalchemy.engine import Engine

from alerts.floor_figures import (
    ANSWERED,
    FLOOR_METRICS,
    LEVEL,
    LOGGED_IN,
    MINUTE_MS,
    Series,
    last,
    queue_figures,
    series_of,
    staffing_until,
    window_start,
)
from specs.clock import Clock, now_ms
from specs.intervals import (
    IntervalLevel,
    current_interval,
    day_bounds,
    day_intervals,
    interval_levels,
)
from specs.sltarget import ServiceLevelTarget, target_for
from specs.staffing import WINDOW_MS, Staffing
from storage import HistoryStore, QueueTargetRow, QueueTargetStore, Store

from ._config import DashboardConfig
from ._memo import SnapshotCache
from .metrics import QUEUE_KIND

log = logging.getLogger(__name__)

EXTENSION_KEY = "trio_monitor.floor"


@dataclass(frozen=True, slots=True)
class QueueFloor:
    """One queue's floor figures now."""

    target: ServiceLevelTarget
    interval: IntervalLevel
    staffing: Staffing


@dataclass(frozen=True, slots=True)
class Floor:
    """Every queue's floor figures (by queue id) and the site's default target."""

    default: ServiceLevelTarget
    queues: Mapping[str, QueueFloor] = field(default_factory=dict)

    def target(self, queue_id: str) -> ServiceLevelTarget:
        found = self.queues.get(queue_id)
        return found.target if found is not None else self.default


@dataclass(frozen=True, slots=True)
class StaffingPoint:
    """Staffing at the end of one interval: needed (None: not enough data) and the
    agents logged in then."""

    ts_ms: int
    label: str
    needed: int | None
    logged_in: float | None


@dataclass(frozen=True, slots=True)
class QueueDay:
    """``/queues/<id>``: the day's intervals against the target, and staffing over it."""

    target: ServiceLevelTarget
    intervals: list[IntervalLevel]
    staffing: list[StaffingPoint]
    now: Staffing
    current: IntervalLevel


def default_target(config: DashboardConfig) -> ServiceLevelTarget:
    return ServiceLevelTarget(config.sl_target_pct, config.sl_threshold_s)


class FloorModel:
    """Floor figures over ``engine``; thread-safe (one cache, stores per call)."""

    def __init__(self, engine: Engine, config: DashboardConfig, clock: Clock) -> None:
        self._store = Store(engine)
        self._history = HistoryStore(engine, raw_interval_s=config.poll_interval_s)
        self.targets = QueueTargetStore(engine)
        self._config = config
        self._clock = clock
        self._cache: SnapshotCache[Floor] = SnapshotCache(
            config.refresh_interval_s, clock, wait_s=0.5, first_wait_s=10.0)

    @property
    def source(self) -> str:
        return self._config.source_name

    @property
    def default(self) -> ServiceLevelTarget:
        return default_target(self._config)

    def floor(self) -> Floor:
        """Every queue's figures, read at most once per refresh period. May raise
        ``StorageUnavailable`` (the caller shows the database's state)."""
        return self._cache.get(self._read_floor)

    def invalidate(self) -> None:
        """Read afresh next time (a target was changed through this process)."""
        self._cache.invalidate()

    def own_targets(self) -> dict[str, QueueTargetRow]:
        return self.targets.targets(self._config.source_name)

    def target(self, queue_id: str) -> ServiceLevelTarget:
        """The queue's target, read now (the page's form shows what is stored)."""
        return target_for(queue_id, _pairs(self.own_targets()), self.default)

    def day(self, queue_id: str) -> QueueDay | None:
        """The day so far of one queue; None if it has no stored series."""
        now = now_ms(self._clock)
        tz = self._config.timezone
        ids = self._series_ids().get(queue_id)
        if ids is None:
            return None
        start, _end = day_bounds(now, tz)
        # Whole minutes, from 30 minutes before midnight (staffing at 00:15 looks back).
        since = start - WINDOW_MS - MINUTE_MS
        history = self._history.history(list(ids.values()), since, now, max_points=2000)
        changes = self._store.server_changes(self.source, since)
        data = series_of(history, ids, now)
        target = self.target(queue_id)
        intervals = [iv for iv in day_intervals(now, tz) if iv[0] <= now]
        levels = interval_levels(data.readings[ANSWERED], data.readings[LEVEL], intervals,
                                 changes)
        points = [_staffing_at(min(end, now), label, data, target, changes)
                  for _start, end, label in intervals]
        current = current_interval(data.readings[ANSWERED], data.readings[LEVEL], now, tz,
                                   changes)
        return QueueDay(target, levels, points, staffing_until(data, target, now, changes),
                        current)

    # -- the tiles' figures -------------------------------------------------------------

    def _read_floor(self) -> Floor:
        default = self.default
        own = _pairs(self.own_targets())
        now = now_ms(self._clock)
        tz = self._config.timezone
        changes = self._store.server_changes(self.source, window_start(now, tz))
        figures = queue_figures(self._history, self._series_ids(), now, tz,
                                lambda queue_id: target_for(queue_id, own, default), changes)
        return Floor(default, {queue_id: QueueFloor(f.target, f.interval, f.staffing)
                               for queue_id, f in figures.items()})

    def _series_ids(self) -> dict[str, dict[str, int]]:
        """Queue id -> metric -> series id, for the floor's metrics."""
        found: dict[str, dict[str, int]] = {}
        for row in self._store.series(self._config.source_name):
            key = row.key
            if key.entity_kind == QUEUE_KIND and key.metric in FLOOR_METRICS:
                found.setdefault(key.entity_id, {})[key.metric] = row.id
        return found


def _pairs(rows: Mapping[str, QueueTargetRow]) -> dict[str, tuple[float, int]]:
    return {qid: (row.sl_target_pct, row.sl_threshold_s) for qid, row in rows.items()}


def _staffing_at(end: int, label: str, data: Series, target: ServiceLevelTarget,
                 changes: Sequence[int]) -> StaffingPoint:
    result = staffing_until(data, target, end, changes)
    return StaffingPoint(end, label, result.needed, last(data.readings[LOGGED_IN], end))


# -- one model per server ------------------------------------------------------------------


def install(server: flask.Flask, model: FloorModel) -> None:
    server.extensions[EXTENSION_KEY] = model


def current() -> FloorModel | None:
    """This server's model; None outside a request, or before the queue page set it up
    (a tile built by a test without the app)."""
    if not flask.has_app_context():
        return None
    found = flask.current_app.extensions.get(EXTENSION_KEY)
    return found if isinstance(found, FloorModel) else None
