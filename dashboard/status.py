"""The wall screen's states, each declared once, and the pure functions computing them.

Three signals are kept apart: a value's colour (``tile_level``, from the alert states the
collector keeps), the data's age (stale or fresh, also in ``tile_level`` since a stale
tile shows no value), and the source's health (``source_alerts``, shown in the status
strip).

Colours come from alert states only (``queue_alerts``). A figure whose rules have no
state (no rule, a disabled rule, a collector not evaluating yet) is shown without a
threshold colour: the screen never judges a value itself, so it can neither flicker
while an alert holds steady (the hysteresis is in the states) nor contradict the rules
people set on /thresholds (there are no wait thresholds in the settings any more: a
fallback to them would colour a figure that no rule alerts on).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from alerts import AlertState, Severity
from alerts.maintenance import Occurrence
from specs import sitetime
from specs.collector_status import StorageStatus
from specs.metrics import PARTIAL_PREFIX
from storage import SilenceRow, StateRow

from ._config import DashboardConfig
from .i18n import t
from .metrics import BREAKER_HALF_OPEN, BREAKER_OPEN, QUEUE_KIND, QueueMetric
from .readmodel import QueueView, Snapshot, SourceView


class TileLevel(StrEnum):
    OK = "ok"  # fresh data, open, no rule of the queue firing
    WARNING = "warning"  # a rule of the queue firing (or recovering) at warning
    CRITICAL = "critical"  # a rule of the queue firing (or recovering) at critical
    CLOSED = "closed"  # the queue is closed: neutral, never red
    STALE = "stale"  # newest values older than stale_after_polls poll intervals
    NO_DATA = "no_data"  # fresh, open, but the last poll carried no wait figures
    # A team screen's queue the Trio server no longer lists (dashboard/teams.py): a quiet
    # tile, in no total.
    GONE = "gone"


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
    PARTIAL = "partial"  # the last poll refused some values (the rest is shown)


def is_stale(queue: QueueView, now_ms: int, config: DashboardConfig) -> bool:
    return now_ms - queue.ts_ms > config.stale_after_ms


def tile_level(
    queue: QueueView, now_ms: int, config: DashboardConfig, alerts: QueueAlerts
) -> TileLevel:
    """The tile's state. Staleness wins over everything: an old "closed" is as
    unreliable as an old number; a closed queue stays neutral whatever its alerts."""
    if is_stale(queue, now_ms, config):
        return TileLevel.STALE
    if queue.open is False:
        return TileLevel.CLOSED
    if alerts.level is not TileLevel.OK:
        return alerts.level
    if not has_figures(queue):
        return TileLevel.NO_DATA
    return TileLevel.OK


def has_figures(queue: QueueView) -> bool:
    return (queue.metric(QueueMetric.LONGEST_WAIT_S) is not None
            or queue.metric(QueueMetric.CALLS_WAITING) is not None)


# -- alert states of a queue ------------------------------------------------------------

# States of an alert that has fired and is not over: they colour (RECOVERING keeps its
# colour until keep-firing-for ends, so a tile does not flicker on a brief dip).
_COLOURING = frozenset({AlertState.FIRING.value, AlertState.RECOVERING.value})
_SEVERITY_LEVEL = {Severity.WARNING.value: TileLevel.WARNING,
                   Severity.CRITICAL.value: TileLevel.CRITICAL}
_RANK = {TileLevel.OK: 0, TileLevel.WARNING: 1, TileLevel.CRITICAL: 2}
# The figures a tile colours itself; firing rules on any other metric show as badges.
FIGURE_METRICS = (QueueMetric.LONGEST_WAIT_S.value, QueueMetric.SERVICE_LEVEL_PCT.value)
PENDING_MARK = "pending"  # a badge's modifier for a pending rule


@dataclass(frozen=True, slots=True)
class FigureAlert:
    """A figure's colour (OK = none) and whether a breach of it is pending."""

    level: TileLevel = TileLevel.OK
    pending: bool = False


@dataclass(frozen=True, slots=True)
class Badge:
    """A rule on another metric of the queue: its stored name (None: the rule is gone),
    the metric it watches, and ``warning``, ``critical`` or ``pending``. The tile shows
    the name in the reader's language, else the metric's registered name."""

    name: str | None
    mark: str
    metric: str = ""


@dataclass(frozen=True, slots=True)
class QueueAlerts:
    """What the open alert states of one queue say about its tile."""

    wait: FigureAlert = FigureAlert()
    service_level: FigureAlert = FigureAlert()
    level: TileLevel = TileLevel.OK  # the worst severity of any colouring state
    badges: tuple[Badge, ...] = ()
    # The acknowledgement of the worst colouring alert, if it has one: (user, at_ms).
    acknowledged: tuple[str, int] | None = None
    silence: SilenceRow | None = None  # an active silence covering an open state
    # When the worst colouring alert opened (it fired), shown on the tile.
    opened_at_ms: int | None = None
    # Planned maintenance running over the queue (or over some of its alerts): those
    # alerts colour nothing, and the tile says "maintenance until ...".
    maintenance: Occurrence | None = None


NO_ALERTS = QueueAlerts()


def alerts_by_queue(snapshot: Snapshot, now_ms: int, source: str) -> dict[str, QueueAlerts]:
    """``queue_alerts`` of every queue of ``source`` that has an open state or runs
    planned maintenance. An alert under running maintenance colours nothing: the tile
    says "maintenance" instead."""
    grouped: dict[str, list[StateRow]] = {}
    for row in snapshot.alert_states:
        if row.source == source and row.entity_kind == QUEUE_KIND:
            grouped.setdefault(row.entity_id, []).append(row)
    found = {}
    for queue in snapshot.queues:
        rows = grouped.pop(queue.id, [])
        found[queue.id] = _with_maintenance(rows, snapshot, now_ms, source, queue.id)
    for queue_id, rows in grouped.items():  # states of queues no longer listed
        found[queue_id] = _with_maintenance(rows, snapshot, now_ms, source, queue_id)
    return {queue_id: alerts for queue_id, alerts in found.items() if alerts != NO_ALERTS}


def _with_maintenance(
    rows: list[StateRow], snapshot: Snapshot, now_ms: int, source: str, queue_id: str
) -> QueueAlerts:
    running = snapshot.maintenance
    kept = [row for row in rows if covering_maintenance(row, running, now_ms) is None]
    covering = next((o for o in running if o.window.scope.rule_id is None
                     and o.active_at(now_ms) and o.matches(0, source, QUEUE_KIND, queue_id)),
                    None)
    if covering is None and len(kept) < len(rows):
        covering = next(o for row in rows
                        if (o := covering_maintenance(row, running, now_ms)) is not None)
    alerts = queue_alerts(kept, snapshot.silences, snapshot.rule_names, now_ms) if kept \
        else NO_ALERTS
    return alerts if covering is None else replace(alerts, maintenance=covering)


def covering_maintenance(
    row: StateRow, running: Iterable[Occurrence], now_ms: int
) -> Occurrence | None:
    """The planned maintenance running at ``now_ms`` that covers ``row``, if any."""
    return next((o for o in running if o.active_at(now_ms)
                 and o.matches(row.rule_id, row.source, row.entity_kind, row.entity_id)), None)


def queue_alerts(
    states: Iterable[StateRow], silences: Iterable[SilenceRow], rule_names: Mapping[int, str],
    now_ms: int,
) -> QueueAlerts:
    """Colours and marks of one queue from its states: FIRING or RECOVERING colour by
    severity, PENDING only marks (neutral colour), other states (no data, error) neither.
    The longest wait and the service level colour their own figure; rules on other
    metrics become badges. Every colouring state colours the tile."""
    rows = [row for row in states if row.state != AlertState.OK.value]
    colouring = sorted((row for row in rows if _level(row) is not TileLevel.OK),
                       key=lambda row: (_RANK[_level(row)], row.since_ms), reverse=True)
    worst = colouring[0] if colouring else None
    return QueueAlerts(
        wait=_figure(rows, FIGURE_METRICS[0]),
        service_level=_figure(rows, FIGURE_METRICS[1]),
        level=_level(worst) if worst is not None else TileLevel.OK,
        badges=_badges(rows, rule_names),
        acknowledged=(worst.ack_by, worst.ack_at_ms)
        if worst is not None and worst.ack_by and worst.ack_at_ms is not None else None,
        silence=_silence([*colouring, *rows], silences, now_ms),
        opened_at_ms=(worst.opened_at_ms or worst.since_ms) if worst is not None else None,
    )


def _level(row: StateRow) -> TileLevel:
    if row.state not in _COLOURING or row.severity is None:
        return TileLevel.OK
    return _SEVERITY_LEVEL.get(row.severity, TileLevel.OK)


def _figure(rows: list[StateRow], metric: str) -> FigureAlert:
    mine = [row for row in rows if row.metric == metric]
    level = max((_level(row) for row in mine), key=_RANK.__getitem__, default=TileLevel.OK)
    pending = any(row.state == AlertState.PENDING.value for row in mine)
    return FigureAlert(level, pending and level is TileLevel.OK)


def _badges(rows: list[StateRow], rule_names: Mapping[int, str]) -> tuple[Badge, ...]:
    """One badge per rule name (per metric for rules that are gone), the worst mark."""
    marks: dict[tuple[str, str], str] = {}
    for row in rows:
        if row.metric in FIGURE_METRICS:
            continue
        level = _level(row)
        mark = level.value if level is not TileLevel.OK else (
            PENDING_MARK if row.state == AlertState.PENDING.value else None)
        name = rule_names.get(row.rule_id)
        key = (name, "") if name is not None else ("", row.metric)
        if mark is not None and _mark_rank(mark) > _mark_rank(marks.get(key)):
            marks[key] = mark
    return tuple(Badge(name or None, mark, metric)
                 for (name, metric), mark in sorted(marks.items()))


def _mark_rank(mark: str | None) -> int:
    return {None: 0, PENDING_MARK: 1, "warning": 2, "critical": 3}[mark]


def _silence(
    rows: list[StateRow], silences: Iterable[SilenceRow], now_ms: int
) -> SilenceRow | None:
    """The silence covering the first state (worst first) that has one."""
    for row in rows:
        silence = covering_silence(row, silences, now_ms)
        if silence is not None:
            return silence
    return None


def covering_silence(
    row: StateRow, silences: Iterable[SilenceRow], now_ms: int
) -> SilenceRow | None:
    """The silence active at ``now_ms`` covering ``row`` that lasts longest, if any."""
    covering = [s for s in silences if s.active_at(now_ms)
                and s.matches(row.rule_id, row.source, row.entity_kind, row.entity_id)]
    return max(covering, key=lambda s: s.ends_at_ms, default=None)


def critical_alert_ids(snapshot: Snapshot, now_ms: int) -> list[str]:
    """Ids of the critical alerts firing now and not silenced, of every entity: a screen
    beeps when one appears that it has not seen (an escalated warning counts as new)."""
    return sorted({
        row.alert_id for row in snapshot.alert_states
        if row.alert_id is not None and _level(row) is TileLevel.CRITICAL
        and covering_silence(row, snapshot.silences, now_ms) is None
        and covering_maintenance(row, snapshot.maintenance, now_ms) is None
    })


# Levels whose figures count in the site totals: fresh and open.
_COUNTED = frozenset({TileLevel.OK, TileLevel.WARNING, TileLevel.CRITICAL, TileLevel.NO_DATA})


# States of an alert that is open and was told (or is held while its data is unknown).
_OPEN_ALERT_STATES = frozenset({AlertState.FIRING.value, AlertState.RECOVERING.value,
                                AlertState.NODATA.value, AlertState.ERROR.value})


def firing_counts(states: Iterable[StateRow]) -> tuple[int, int]:
    """(warnings, criticals): the open alerts of every rule and entity (queues, workers,
    reconcilers, sources), whatever the freshness of their data: an outage makes tiles
    stale, not alerts fewer. A no-data alert that never fired counts as critical (it goes
    to the critical channels)."""
    warnings = criticals = 0
    for row in states:
        if row.alert_id is None or row.state not in _OPEN_ALERT_STATES:
            continue
        if row.severity == Severity.WARNING.value:
            warnings += 1
        else:
            criticals += 1
    return warnings, criticals


@dataclass(frozen=True, slots=True)
class SiteState:
    """Totals over fresh, open queues only; ``warnings`` and ``criticals`` count the open
    alerts of every entity (``firing_counts``)."""

    level: SiteLevel
    warnings: int
    criticals: int
    stale: int
    closed: int
    counted: int  # fresh, open queues: the ones the totals add up
    waiting_total: int
    longest_wait_s: float | None
    agents_available_total: int
    # The service level of the counted queues together: each queue's weighted by its
    # calls answered today (None: no counted queue has both figures). A team screen's
    # top bar shows it.
    service_level_pct: float | None = None


def site_state(
    snapshot: Snapshot, now_ms: int, config: DashboardConfig,
    alerts: Mapping[str, QueueAlerts],
) -> SiteState:
    """``alerts``: ``alerts_by_queue`` of the snapshot."""
    levels = [(queue, tile_level(queue, now_ms, config, alerts.get(queue.id, NO_ALERTS)))
              for queue in snapshot.queues]
    counted = [queue for queue, level in levels if level in _COUNTED]
    waits = [w for q in counted if (w := q.metric(QueueMetric.LONGEST_WAIT_S)) is not None]
    count = {level: sum(1 for _, lv in levels if lv is level) for level in TileLevel}
    # Alerts under running maintenance do not alarm the site either.
    warnings, criticals = firing_counts(
        row for row in snapshot.alert_states
        if covering_maintenance(row, snapshot.maintenance, now_ms) is None)
    # The site's colour follows the alerts too: tiles of a failing source are stale,
    # but the alerts held open through the outage still make it red.
    count[TileLevel.WARNING] = max(count[TileLevel.WARNING], warnings)
    count[TileLevel.CRITICAL] = max(count[TileLevel.CRITICAL], criticals)
    return SiteState(
        level=_site_level(snapshot, count),
        warnings=warnings,
        criticals=criticals,
        stale=count[TileLevel.STALE],
        closed=count[TileLevel.CLOSED],
        counted=len(counted),
        waiting_total=int(sum(q.metric(QueueMetric.CALLS_WAITING) or 0 for q in counted)),
        longest_wait_s=max(waits) if waits else None,
        agents_available_total=int(
            sum(q.metric(QueueMetric.AGENTS_AVAILABLE) or 0 for q in counted)
        ),
        service_level_pct=combined_service_level(counted),
    )


def combined_service_level(queues: Iterable[QueueView]) -> float | None:
    """The service level of ``queues`` together: their own service levels weighted by
    calls answered today (a queue without either figure adds nothing); None when no
    queue has both or none answered a call yet."""
    pairs = [(sl, answered) for q in queues
             if (sl := q.metric(QueueMetric.SERVICE_LEVEL_PCT)) is not None
             and (answered := q.metric(QueueMetric.ANSWERED_TODAY)) is not None]
    answered_total = sum(answered for _, answered in pairs)
    if not pairs or answered_total <= 0:
        return None
    return sum(sl * answered for sl, answered in pairs) / answered_total


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
    if not alerts and (source.state_reason or "").startswith(PARTIAL_PREFIX):
        alerts.append(AlertKind.PARTIAL)
    return alerts


def storage_failing_text(status: StorageStatus | None, lang: str, zone: str) -> str | None:
    """What /health says while the collector's status file reports a database that takes
    no writes (the database cannot record that itself); None when all is well."""
    if status is None or status.failing_since_ms is None:
        return None
    since = sitetime.time_of_day(status.failing_since_ms, zone)
    return t("storage_failing", lang, time=since, reason=status.reason or "?",
             polls=status.buffered_polls, lost=status.lost_samples)
