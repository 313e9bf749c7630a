"""The web side's read model: one cached snapshot of the wall screen's data per period.

However many screens refresh, each process queries the database at most once per
``refresh_interval_s``: the first caller after expiry queries while the others wait
briefly, then get the fresh snapshot or, if the query is slow, the previous one. The
snapshot holds the alert states and active silences the tiles are coloured and marked
by, read in the same pass. /alerts reads through ``alerts_page`` (its own cache).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from alerts.maintenance import Occurrence, running_now
from specs.clock import Clock, now_ms
from storage import (
    AlertStore,
    CurrentRow,
    DriftStore,
    LeaseInfo,
    MaintenanceStore,
    SilenceRow,
    SourceFacts,
    StateRow,
    StorageUnavailable,
    Store,
    ViewRow,
    ViewStore,
)

from ._config import DashboardConfig
from ._memo import CacheBusy, SnapshotCache
from .alertsmodel import AlertsModel
from .floormodel import FloorModel
from .metrics import QUEUE_KIND, QueueMetric
from .sites import DriftView, SourceStatus, drift_view, longest_first, source_status

log = logging.getLogger(__name__)


# Callers that find a refresh under way wait this long for it before taking the
# previous snapshot; with no previous snapshot they wait up to FIRST_WAIT_S.
REFRESH_WAIT_S = 0.5
FIRST_WAIT_S = 10.0


@dataclass(frozen=True, slots=True)
class QueueView:
    """One queue's newest values. ``metrics`` holds only values of the newest poll."""

    id: str
    name: str
    metrics: dict[str, float]
    ts_ms: int
    open: bool | None

    def metric(self, name: QueueMetric) -> float | None:
        return self.metrics.get(name)


@dataclass(frozen=True, slots=True)
class SourceView:
    name: str
    breaker_state: str
    breaker_opened_at_ms: int | None
    failover_active: bool
    active_url: str | None
    last_error: str | None
    failing_since_ms: int | None
    last_success_ms: int | None
    consecutive_failures: int
    # While in failover: when it began (the newest "failover" event), None if unknown.
    # The secondary server counts answered, abandoned and service level from then.
    failover_since_ms: int | None = None
    # The collector's reason for the source's state, e.g. "partial: 2 values refused (...)".
    state_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one refresh of the wall screen shows.

    ``db_error`` set means the database could not be read: the other fields are then
    empty, never left over from an earlier snapshot. ``version`` grows with every
    snapshot this process builds, so renders can be memoised per snapshot.
    """

    version: int
    taken_at_ms: int
    queues: list[QueueView] = field(default_factory=list)
    source: SourceView | None = None
    collector_active: bool = False
    collector_expired_at_ms: int | None = None
    db_error: str | None = None
    # Every other polled source (workers, reconcilers) and the drift now, for the strip.
    others: tuple[SourceStatus, ...] = ()
    drift: tuple[DriftView, ...] = ()
    # Alert states that are not OK (every source and entity: the tiles read their
    # queue's, the sound every critical one), the silences active when it was taken,
    # and rule names by id (for the tiles' badges).
    alert_states: tuple[StateRow, ...] = ()
    silences: tuple[SilenceRow, ...] = ()
    rule_names: Mapping[int, str] = field(default_factory=dict)
    # Planned maintenance running when it was taken: what it covers shows "maintenance".
    maintenance: tuple[Occurrence, ...] = ()
    # The team views (dashboard/teams.py), read in the same pass: a change made in
    # /admin reaches the screens with the next snapshot.
    views: tuple[ViewRow, ...] = ()


class ReadModel:
    """Snapshots for the dashboard, cached for ``config.refresh_interval_s``; thread-safe."""

    def __init__(self, engine: Engine, config: DashboardConfig, clock: Clock) -> None:
        self._store = Store(engine)
        self._drift = DriftStore(engine)
        self._alerts = AlertStore(engine)
        self._maintenance = MaintenanceStore(engine)
        self._views = ViewStore(engine)
        # /alerts reads through its own cache, over the same store.
        self.alerts_page = AlertsModel(self._alerts, config.refresh_interval_s, clock)
        # The ticker and /alerts' floor sections: messages and planned maintenance.
        self.floor = FloorModel(engine, config.refresh_interval_s, clock)
        self._config = config
        self._clock = clock
        self._versions = itertools.count(1)
        self._cache: SnapshotCache[Snapshot] = SnapshotCache(
            config.refresh_interval_s, clock, wait_s=REFRESH_WAIT_S, first_wait_s=FIRST_WAIT_S)

    def snapshot(self) -> Snapshot:
        """The current snapshot; queries at most once per refresh period.

        Never raises StorageUnavailable: a snapshot with ``db_error`` is returned instead.
        """
        try:
            return self._cache.get(self._query)
        except CacheBusy as err:
            return self._error_snapshot(str(err))

    def invalidate(self) -> None:
        """Query afresh on the next call (after someone acknowledged or silenced an
        alert through this process). Until then the current snapshot stays the fallback
        for callers that cannot wait."""
        self._cache.invalidate()

    def _now_ms(self) -> int:
        return now_ms(self._clock)

    def _query(self) -> Snapshot:
        now_ms = self._now_ms()
        config = self._config
        try:
            rows = self._store.latest(config.source_name)
            all_facts = self._store.sources()
            lease = self._store.read_lease(config.lease_name)
            drift = self._drift.current()
            states = self._alerts.states(open_only=True)
            silences = self._alerts.silences(active_at_ms=now_ms)
            windows = self._maintenance.windows(live_at_ms=now_ms)
            rules = self._alerts.list_rules()
            views = self._views.list()
            facts = next((f for f in all_facts if f.name == config.source_name), None)
            failover_since = (self._store.failover_since(config.source_name)
                              if facts is not None and facts.failover_active else None)
        except StorageUnavailable as err:
            log.warning("wall screen read failed: %s", err)
            return self._error_snapshot(str(err), now_ms)
        active = lease is not None and lease.expires_at_ms > now_ms
        return Snapshot(
            version=next(self._versions),
            taken_at_ms=now_ms,
            queues=queue_views(rows),
            source=source_view(facts, failover_since) if facts is not None else None,
            collector_active=active,
            collector_expired_at_ms=_expired_at(lease, active),
            others=tuple(source_status(f) for f in all_facts if f.name != config.source_name),
            drift=tuple(longest_first(drift_view(row) for row in drift)),
            alert_states=tuple(states),
            silences=tuple(silences),
            rule_names={rule.id: rule.name for rule in rules},
            maintenance=tuple(running_now(windows, now_ms)),
            views=tuple(views),
        )

    def _error_snapshot(self, message: str, now_ms: int | None = None) -> Snapshot:
        taken = self._now_ms() if now_ms is None else now_ms
        return Snapshot(version=next(self._versions), taken_at_ms=taken, db_error=message)


def _expired_at(lease: LeaseInfo | None, active: bool) -> int | None:
    return None if lease is None or active else lease.expires_at_ms


def queue_views(rows: Iterable[CurrentRow]) -> list[QueueView]:
    """Group current rows into queues, sorted by name (case-insensitively).

    A metric the last poll did not report (e.g. a service level that became null)
    keeps an older row in ``current``; only values with the queue's newest timestamp
    are kept, so an old value is never shown as if it were current.
    """
    by_queue: dict[str, list[CurrentRow]] = {}
    for row in rows:
        if row.entity_kind == QUEUE_KIND:
            by_queue.setdefault(row.entity_id, []).append(row)
    views = [_queue_view(queue_id, group) for queue_id, group in by_queue.items()]
    return sorted(views, key=lambda view: (sort_key(view.name), view.id))


# Swedish alphabet order without depending on the process locale: å, ä, ö last.
_SWEDISH_ORDER = str.maketrans({"å": "\uffe1", "ä": "\uffe2", "ö": "\uffe3", "é": "e"})


def sort_key(name: str) -> str:
    return name.casefold().translate(_SWEDISH_ORDER)


def _queue_view(queue_id: str, rows: list[CurrentRow]) -> QueueView:
    newest = max(rows, key=lambda row: row.ts_ms)
    metrics = {row.metric: row.value for row in rows if row.ts_ms == newest.ts_ms}
    is_open = metrics.get(QueueMetric.OPEN)
    return QueueView(
        id=queue_id,
        name=newest.entity_name,
        metrics=metrics,
        ts_ms=newest.ts_ms,
        open=None if is_open is None else is_open >= 0.5,
    )


def source_view(facts: SourceFacts, failover_since_ms: int | None = None) -> SourceView:
    return SourceView(
        name=facts.name,
        breaker_state=facts.breaker_state,
        breaker_opened_at_ms=facts.breaker_opened_at_ms,
        failover_active=facts.failover_active,
        active_url=facts.active_url,
        last_error=facts.last_error,
        failing_since_ms=facts.failing_since_ms,
        last_success_ms=facts.last_success_at_ms,
        consecutive_failures=facts.consecutive_failures,
        failover_since_ms=failover_since_ms if facts.failover_active else None,
        state_reason=facts.state_reason,
    )
