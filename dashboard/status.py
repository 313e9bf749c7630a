"""The wall screen's states, each declared once, and the pure functions computing them.

Three signals are kept apart: a value's colour (``tile_level`` from thresholds), the
data's age (stale or fresh, also in ``tile_level`` since a stale tile shows no value),
and the source's health (``source_alerts``, shown in the status strip).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ._config import DashboardConfig
from .metrics import BREAKER_HALF_OPEN, BREAKER_OPEN, QueueMetric
from .readmodel import QueueView, Snapshot, SourceView


class TileLevel(StrEnum):
    OK = "ok"  # fresh data, open, within every threshold
    WARNING = "warning"  # longest wait at/over the warning threshold, or SL under target
    CRITICAL = "critical"  # longest wait at/over the critical threshold
    CLOSED = "closed"  # the queue is closed: neutral, never red
    STALE = "stale"  # newest values older than stale_after_polls poll intervals
    NO_DATA = "no_data"  # fresh, open, but the last poll carried no wait figures


class SiteLevel(StrEnum):
    OK = "ok"  # every fresh open queue is OK
    WARNING = "warning"  # at least one warning, no critical
    CRITICAL = "critical"  # at least one critical queue
    STALE = "stale"  # no warning/critical, but some queues are stale
    UNAVAILABLE = "unavailable"  # database unreadable or no collector: nothing to judge
    EMPTY = "empty"  # no queues stored yet


class AlertKind(StrEnum):
    """One line of the source status strip; the value is its CSS modifier."""

    DB_UNAVAILABLE = "db-unavailable"  # the database could not be read
    NO_COLLECTOR = "no-collector"  # the collector lease expired (or never existed)
    NOT_POLLED = "not-polled"  # the source has no facts yet
    BREAKER_OPEN = "breaker-open"  # the collector stopped calling the source for a while
    BREAKER_HALF_OPEN = "breaker-half-open"  # trying the source again after a pause
    FAILING = "failing"  # recent polls failed
    FAILOVER = "failover"  # the collector uses the standby server


def is_stale(queue: QueueView, now_ms: int, config: DashboardConfig) -> bool:
    return now_ms - queue.ts_ms > config.stale_after_ms


def tile_level(queue: QueueView, now_ms: int, config: DashboardConfig) -> TileLevel:
    """The tile's state. Staleness wins over everything: an old "closed" is as
    unreliable as an old number."""
    if is_stale(queue, now_ms, config):
        return TileLevel.STALE
    if queue.open is False:
        return TileLevel.CLOSED
    wait = queue.metric(QueueMetric.LONGEST_WAIT_S)
    if wait is None and queue.metric(QueueMetric.CALLS_WAITING) is None:
        return TileLevel.NO_DATA
    levels = {wait_level(wait, config),
              service_level_level(queue.metric(QueueMetric.SERVICE_LEVEL_PCT), config)}
    for level in (TileLevel.CRITICAL, TileLevel.WARNING):
        if level in levels:
            return level
    return TileLevel.OK


def wait_level(wait_s: float | None, config: DashboardConfig) -> TileLevel:
    """The longest wait's own level, so the tile can colour the figure that breached."""
    if wait_s is not None and wait_s >= config.wait_crit_s:
        return TileLevel.CRITICAL
    if wait_s is not None and wait_s >= config.wait_warn_s:
        return TileLevel.WARNING
    return TileLevel.OK


def service_level_level(pct: float | None, config: DashboardConfig) -> TileLevel:
    """Below target is a warning (never critical: the longest wait is the urgent figure)."""
    if pct is not None and pct < config.sl_target_pct:
        return TileLevel.WARNING
    return TileLevel.OK


# Levels whose figures count in the site totals: fresh and open.
_COUNTED = frozenset({TileLevel.OK, TileLevel.WARNING, TileLevel.CRITICAL, TileLevel.NO_DATA})


@dataclass(frozen=True, slots=True)
class SiteState:
    """Counts and totals over fresh, open queues only."""

    level: SiteLevel
    warnings: int
    criticals: int
    stale: int
    closed: int
    counted: int  # fresh, open queues: the ones the totals add up
    waiting_total: int
    longest_wait_s: float | None
    agents_available_total: int


def site_state(snapshot: Snapshot, now_ms: int, config: DashboardConfig) -> SiteState:
    levels = [(queue, tile_level(queue, now_ms, config)) for queue in snapshot.queues]
    counted = [queue for queue, level in levels if level in _COUNTED]
    waits = [w for q in counted if (w := q.metric(QueueMetric.LONGEST_WAIT_S)) is not None]
    count = {level: sum(1 for _, lv in levels if lv is level) for level in TileLevel}
    return SiteState(
        level=_site_level(snapshot, count),
        warnings=count[TileLevel.WARNING],
        criticals=count[TileLevel.CRITICAL],
        stale=count[TileLevel.STALE],
        closed=count[TileLevel.CLOSED],
        counted=len(counted),
        waiting_total=int(sum(q.metric(QueueMetric.CALLS_WAITING) or 0 for q in counted)),
        longest_wait_s=max(waits) if waits else None,
        agents_available_total=int(
            sum(q.metric(QueueMetric.AGENTS_AVAILABLE) or 0 for q in counted)
        ),
    )


def _site_level(snapshot: Snapshot, count: dict[TileLevel, int]) -> SiteLevel:
    if snapshot.db_error is not None or not snapshot.collector_active:
        return SiteLevel.UNAVAILABLE
    if not snapshot.queues:
        return SiteLevel.EMPTY
    if count[TileLevel.CRITICAL]:
        return SiteLevel.CRITICAL
    if count[TileLevel.WARNING]:
        return SiteLevel.WARNING
    if count[TileLevel.STALE]:
        return SiteLevel.STALE
    return SiteLevel.OK


def source_alerts(snapshot: Snapshot) -> list[AlertKind]:
    """What the status strip says, most serious first; empty when all is well."""
    if snapshot.db_error is not None:
        return [AlertKind.DB_UNAVAILABLE]
    alerts: list[AlertKind] = []
    if not snapshot.collector_active:
        alerts.append(AlertKind.NO_COLLECTOR)
    source = snapshot.source
    if source is None:
        return [*alerts, AlertKind.NOT_POLLED]
    alerts.extend(_source_health(source))
    return alerts


def _source_health(source: SourceView) -> list[AlertKind]:
    alerts: list[AlertKind] = []
    if source.breaker_state == BREAKER_OPEN:
        alerts.append(AlertKind.BREAKER_OPEN)
    elif source.breaker_state == BREAKER_HALF_OPEN:
        alerts.append(AlertKind.BREAKER_HALF_OPEN)
    elif source.consecutive_failures > 0:
        alerts.append(AlertKind.FAILING)
    if source.failover_active:
        alerts.append(AlertKind.FAILOVER)
    return alerts
