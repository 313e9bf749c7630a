"""The read model of /health and /drift: one cached ``OpsSnapshot`` per refresh period.

Built lazily (only when one of these pages asks), under a lock like the wall screen's
snapshot, so any number of open pages cause one set of queries per period per process:
two per source (latency of the last hour, state events of 7 d) plus a few for targets
and drift. A source's 24 h detail is read on demand and kept for one period.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from specs.clock import Clock, now_ms
from specs.drift import DRIFT_COUNT_METRIC
from specs.health import LATENCY_METRIC, uptime
from storage import (
    DriftEventRow,
    DriftStore,
    HealthTargetRow,
    HealthTargetStore,
    SeriesRow,
    SourceFacts,
    StorageUnavailable,
    Store,
)

from ._memo import CacheBusy, RenderMemo, SnapshotCache
from .sites import (
    DAY_MS,
    DRIFT_KIND,
    HEALTH_KIND,
    HOUR_MS,
    DriftView,
    SourceStatus,
    drift_view,
    grid_order,
    health_source,
    longest_first,
    never_checked,
    source_status,
)

log = logging.getLogger(__name__)

Points = tuple[tuple[int, float], ...]  # (ts_ms, value), oldest first

HEALTH_KIND_ENTITY = "target"  # entity kind of a health target's latency series
CYCLE_METRIC = "cycle_duration_s"
RECONCILER_ENTITY = "reconciler"
STATE_EVENT = "state"
SHOWN_EVENTS = frozenset({STATE_EVENT, "loss", "storage"})
WAIT_S = 10.0
DETAIL_EVENTS = 200
RECENT_DRIFT_EVENTS = 20


@dataclass(frozen=True, slots=True)
class SourceHistory:
    latency: Points = ()  # last hour; health targets only
    uptime_24h: float | None = None
    uptime_7d: float | None = None


@dataclass(frozen=True, slots=True)
class ReconcilerView:
    """A reconciler's own report (its ``reconciler`` series) and its source's state."""

    status: SourceStatus
    healthy: bool | None
    last_success_ms: int | None
    consecutive_failures: int | None
    cycle_durations_s: Points = ()  # last 24 h


@dataclass(frozen=True, slots=True)
class StateChange:
    ts_ms: int
    from_state: str | None
    to_state: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class SourceDetail:
    status: SourceStatus
    history: SourceHistory
    events: tuple[StateChange, ...]  # newest first
    latency_24h: Points


@dataclass(frozen=True, slots=True)
class OpsSnapshot:
    """What /health and /drift show; with ``db_error`` set every other field is empty."""

    version: int
    taken_at_ms: int
    sources: list[SourceStatus] = field(default_factory=list)  # grid order
    history: dict[str, SourceHistory] = field(default_factory=dict)
    targets: list[HealthTargetRow] = field(default_factory=list)
    drift: list[DriftView] = field(default_factory=list)  # longest first
    drift_counts: dict[str, Points] = field(default_factory=dict)  # line label -> 24 h
    reconcilers: list[ReconcilerView] = field(default_factory=list)
    drift_events: list[DriftEventRow] = field(default_factory=list)  # newest first
    durations_ms: list[int] = field(default_factory=list)  # reconciled in the last 7 d
    db_error: str | None = None

    def source(self, name: str) -> SourceStatus | None:
        return next((s for s in self.sources if s.name == name), None)


class OpsModel:
    """``snapshot()`` and ``detail(name)``, cached for one refresh period; thread-safe."""

    def __init__(self, engine: Engine, ttl_s: float, clock: Clock) -> None:
        self._store = Store(engine)
        self.targets = HealthTargetStore(engine)
        self._drift = DriftStore(engine)
        self._clock = clock
        self._versions = itertools.count(1)
        self._cache: SnapshotCache[OpsSnapshot] = SnapshotCache(ttl_s, clock, wait_s=WAIT_S)
        self._details: RenderMemo[SourceDetail | None] = RenderMemo(size=32)

    def _now_ms(self) -> int:
        return now_ms(self._clock)

    def invalidate(self) -> None:
        """Forget the cached snapshot: after an edit, the next page shows it."""
        self._cache.clear()

    def snapshot(self) -> OpsSnapshot:
        """Never raises StorageUnavailable: a snapshot with ``db_error`` instead (not
        kept: the next call asks the database again)."""
        try:
            return self._cache.get(lambda: self._query(self._now_ms()))
        except CacheBusy as err:
            return self._failed(str(err))
        except StorageUnavailable as err:
            log.warning("health and drift read failed: %s", err)
            return self._failed(str(err))

    def _failed(self, message: str) -> OpsSnapshot:
        return OpsSnapshot(version=next(self._versions), taken_at_ms=self._now_ms(),
                           db_error=message)

    def detail(self, name: str) -> SourceDetail | None:
        """One source with its state history and 24 h latency; None if unknown.
        Raises StorageUnavailable."""
        snapshot = self.snapshot()
        status = snapshot.source(name)
        if status is None:
            return None
        return self._details.get(
            (snapshot.version, name),
            lambda: self._detail(status, snapshot.history.get(name, SourceHistory()),
                                 snapshot.taken_at_ms),
        )

    def _detail(self, status: SourceStatus, history: SourceHistory,
                now_ms: int) -> SourceDetail:
        # Besides state changes: samples the collector lost and database outages that
        # delayed this source's writes (their message says what, how many and when).
        events = tuple(
            StateChange(e.ts_ms, e.from_state, e.to_state, e.message)
            for e in self._store.source_events(status.name, DETAIL_EVENTS)
            if e.kind in SHOWN_EVENTS
        )
        series = _index(self._store.series(status.name))
        latency = series.get((HEALTH_KIND_ENTITY, LATENCY_METRIC), [])
        points = self._points(latency, now_ms - DAY_MS, now_ms)
        return SourceDetail(status=status, history=history, events=events,
                            latency_24h=next(iter(points.values()), ()))

    def _points(self, rows: Iterable[SeriesRow], from_ms: int, to_ms: int) -> dict[str, Points]:
        return {row.key.entity_name or row.key.entity_id:
                tuple(self._store.samples(row.id, from_ms, to_ms)) for row in rows}

    def _query(self, now_ms: int) -> OpsSnapshot:
        facts = self._store.sources()
        targets = self.targets.list()
        statuses = _statuses(facts, targets)
        series = self._store.series()
        by_source: dict[str, list[SeriesRow]] = {}
        for row in series:
            by_source.setdefault(row.key.source, []).append(row)
        history = {s.name: self._history(s, by_source.get(s.name, []), now_ms)
                   for s in statuses}
        reconcilers = [s for s in statuses if s.kind == DRIFT_KIND]
        return OpsSnapshot(
            version=next(self._versions),
            taken_at_ms=now_ms,
            sources=statuses,
            history=history,
            targets=targets,
            drift=longest_first(drift_view(row) for row in self._drift.current()),
            drift_counts=self._drift_counts(reconcilers, by_source, now_ms),
            reconcilers=[self._reconciler(s, by_source.get(s.name, []), now_ms)
                         for s in reconcilers],
            drift_events=self._drift.events(since_ms=now_ms - 7 * DAY_MS,
                                            limit=RECENT_DRIFT_EVENTS),
            durations_ms=self._drift.durations(now_ms - 7 * DAY_MS),
        )

    def _history(self, status: SourceStatus, series: list[SeriesRow],
                 now_ms: int) -> SourceHistory:
        latency: Points = ()
        if status.kind == HEALTH_KIND:
            rows = _index(series).get((HEALTH_KIND_ENTITY, LATENCY_METRIC), [])
            latency = next(iter(self._points(rows, now_ms - HOUR_MS, now_ms).values()), ())
        before, events = self._store.state_events(status.name, now_ms - 7 * DAY_MS)
        return SourceHistory(latency=latency, **uptimes(before, events, now_ms))

    def _drift_counts(self, reconcilers: list[SourceStatus],
                      by_source: dict[str, list[SeriesRow]], now_ms: int) -> dict[str, Points]:
        several = len(reconcilers) > 1
        counts: dict[str, Points] = {}
        for status in reconcilers:
            rows = [r for r in by_source.get(status.name, [])
                    if r.key.metric == DRIFT_COUNT_METRIC]
            for provider, points in self._points(rows, now_ms - DAY_MS, now_ms).items():
                counts[f"{status.label} · {provider}" if several else provider] = points
        return dict(sorted(counts.items()))

    def _reconciler(self, status: SourceStatus, series: list[SeriesRow],
                    now_ms: int) -> ReconcilerView:
        latest = {row.metric: row.value for row in self._store.latest(status.name)
                  if row.entity_kind == RECONCILER_ENTITY}
        cycle_rows = _index(series).get((RECONCILER_ENTITY, CYCLE_METRIC), [])
        cycles = self._points(cycle_rows, now_ms - DAY_MS, now_ms)
        last_success_s = latest.get("last_success_ts")
        failures = latest.get("consecutive_failures")
        healthy = latest.get("healthy")
        return ReconcilerView(
            status=status,
            healthy=None if healthy is None else healthy >= 0.5,
            last_success_ms=None if last_success_s is None else int(last_success_s * 1000),
            consecutive_failures=None if failures is None else int(failures),
            cycle_durations_s=next(iter(cycles.values()), ()),
        )


def _index(series: Iterable[SeriesRow]) -> dict[tuple[str, str], list[SeriesRow]]:
    index: dict[tuple[str, str], list[SeriesRow]] = {}
    for row in series:
        index.setdefault((row.key.entity_kind, row.key.metric), []).append(row)
    return index


def _statuses(facts: list[SourceFacts], targets: list[HealthTargetRow]) -> list[SourceStatus]:
    """Every polled source, and every target not polled yet (PENDING)."""
    enabled = {health_source(t.name): t.enabled for t in targets}
    statuses = {f.name: source_status(f, enabled=enabled.get(f.name, True)) for f in facts}
    for target in targets:
        name = health_source(target.name)
        if name not in statuses:
            statuses[name] = never_checked(name, HEALTH_KIND, target.url,
                                           enabled=target.enabled)
    return grid_order(statuses.values())


def uptimes(state_before: str | None, events: list[tuple[int, str]],
            now_ms: int) -> dict[str, float | None]:
    """Uptime over 24 h and 7 d from the state events of the last 7 d (oldest first)."""
    since_24h = now_ms - DAY_MS
    before_24h = state_before
    for ts_ms, to_state in events:
        if ts_ms < since_24h:
            before_24h = to_state
    recent = [(ts, state) for ts, state in events if ts >= since_24h]
    return {
        "uptime_24h": uptime(recent, before_24h, since_24h, now_ms),
        "uptime_7d": uptime(events, state_before, now_ms - 7 * DAY_MS, now_ms),
    }


