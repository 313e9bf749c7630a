"""The read side of ``/queues/<id>``: the range a link asks for, and the queue's history.

- ``parse_range`` reads ``?range=24h`` or ``?from=..&to=..`` (local times of the site's
  zone) into a ``ViewRange``; anything wrong comes back as a ``RangeProblem`` next to the
  default range, so the page says what was wrong and still shows something.
- ``HistoryModel`` reads one queue's chart points (``HistoryStore.history`` picks raw,
  1 minute or 1 hour from the range), the thresholds of the enabled alert rules that
  watch it, its alert periods (from the rules' events), its agents and its daily figures.
  The series index, agents and daily figures are kept for one refresh period per process;
  chart points are read per request (a relative range ends at "now").

Dataclasses live here rather than in the page module: Dash re-executes page modules.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import flask
from sqlalchemy.engine import Engine

from alerts import AlertState, Rule, Severity, SpecError, validate_rule
from alerts.queue_targets import for_queue
from specs import sitetime
from specs.clock import Clock, now_ms
from specs.sltarget import ServiceLevelTarget, target_for
from storage import (
    AgentRow,
    AlertStore,
    DailyRow,
    EventRow,
    History,
    HistoryStore,
    QueueTargetStore,
    RuleRow,
    StateRow,
    Store,
    series_key,
)

from ._config import DashboardConfig
from ._memo import RenderMemo
from .metrics import QUEUE_KIND, QueueMetric

log = logging.getLogger(__name__)

EXTENSION_KEY = "trio_monitor.history"

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
PRESETS: dict[str, int] = {"1h": HOUR_MS, "8h": 8 * HOUR_MS, "24h": DAY_MS,
                           "7d": 7 * DAY_MS, "30d": 30 * DAY_MS}
DEFAULT_PRESET = "24h"
# A custom range longer than this would send more than ~2000 hourly points per series.
MAX_CUSTOM_MS = 90 * DAY_MS
DAILY_DAYS = 90
# Events read per rule and range: far more than a sane rule makes in 30 days. If a rule
# made more, only the newest are drawn, from the oldest one read on (see alert_periods).
MAX_EVENTS = 2000
CHART_METRICS = (
    QueueMetric.CALLS_WAITING, QueueMetric.LONGEST_WAIT_S, QueueMetric.SERVICE_LEVEL_PCT,
    QueueMetric.AGENTS_AVAILABLE, QueueMetric.AGENTS_BUSY, QueueMetric.AGENTS_PAUSED,
)
# States of an alert that is open (it fired and has not resolved), and NODATA of a rule
# whose no-data policy alerts: the periods the charts shade.
_OPEN_STATES = frozenset({AlertState.FIRING.value, AlertState.RECOVERING.value,
                          AlertState.NODATA.value, AlertState.ERROR.value})
NODATA_PERIOD = "nodata"  # the kind of a period of no data that never fired


# -- the range a link asks for ------------------------------------------------------------


class RangeProblem(StrEnum):
    """Why the range in an address (or the custom form) was not taken."""

    UNKNOWN_PRESET = "unknown_preset"  # ?range= is none of PRESETS
    BAD_TIME = "bad_time"  # from or to is not an ISO date/time
    MISSING_END = "missing_end"  # only one of from and to
    ORDER = "order"  # to is not after from
    TOO_LONG = "too_long"  # longer than MAX_CUSTOM_MS


@dataclass(frozen=True, slots=True)
class RangeError:
    problem: RangeProblem
    value: str = ""  # the offending text, for the message


@dataclass(frozen=True, slots=True)
class ViewRange:
    """A preset (``1h`` .. ``30d``, ending now) or a custom range between two local
    times (``YYYY-MM-DDTHH:MM`` in the site's zone)."""

    preset: str | None = DEFAULT_PRESET
    start: str | None = None
    end: str | None = None

    def bounds(self, now_ms: int, tz: str) -> tuple[int, int]:
        """``(from_ms, to_ms)``; a preset ends at ``now_ms``."""
        if self.preset is not None or self.start is None or self.end is None:
            return now_ms - PRESETS[self.preset or DEFAULT_PRESET], now_ms
        zone = ZoneInfo(tz)
        return _local_ms(self.start, zone), _local_ms(self.end, zone)

    def query(self) -> str:
        """The query string that shows this range (``?range=24h``)."""
        if self.preset is not None or self.start is None or self.end is None:
            return f"?range={self.preset or DEFAULT_PRESET}"
        return f"?from={self.start}&to={self.end}"

    def as_data(self) -> dict[str, str | None]:
        return {"range": self.preset, "from": self.start, "to": self.end}

    @classmethod
    def from_data(cls, data: object) -> ViewRange:
        """Back from ``as_data`` (a dcc.Store); anything else is the default range."""
        if not isinstance(data, Mapping):
            return cls()
        preset, start, end = data.get("range"), data.get("from"), data.get("to")
        if isinstance(preset, str) and preset in PRESETS:
            return cls(preset=preset)
        if isinstance(start, str) and isinstance(end, str) and _is_time(start) and _is_time(end):
            return cls(preset=None, start=start, end=end)
        return cls()


def parse_range(
    preset: object, start: object, end: object, tz: str
) -> tuple[ViewRange, RangeError | None]:
    """The range of ``?range=`` or ``?from=&to=`` (which win when given); the default
    range and the reason when they cannot be used. Nothing given: the default range."""
    if _given(start) or _given(end):
        return custom_range(start, end, tz)
    if not _given(preset):
        return ViewRange(), None
    text = str(preset).strip().lower().replace(" ", "")
    if text in PRESETS:
        return ViewRange(preset=text), None
    return ViewRange(), RangeError(RangeProblem.UNKNOWN_PRESET, _shown(preset))


def custom_range(start: object, end: object, tz: str) -> tuple[ViewRange, RangeError | None]:
    """A custom range from two local times, checked: both given, both times, in order,
    at most ``MAX_CUSTOM_MS`` apart."""
    if not (_given(start) and _given(end)):
        return ViewRange(), RangeError(RangeProblem.MISSING_END)
    zone = ZoneInfo(tz)
    times: list[datetime] = []
    for value in (start, end):
        moment = _parse_local(str(value), zone)
        if moment is None:
            return ViewRange(), RangeError(RangeProblem.BAD_TIME, _shown(value))
        times.append(moment)
    first, last = times
    if last <= first:
        return ViewRange(), RangeError(RangeProblem.ORDER)
    if (last - first).total_seconds() * 1000 > MAX_CUSTOM_MS:
        return ViewRange(), RangeError(RangeProblem.TOO_LONG)
    return ViewRange(preset=None, start=_local_text(first), end=_local_text(last)), None


def local_input(ts_ms: int, tz: str) -> str:
    """A moment as the custom form shows it: ``2024-05-01 08:00`` in the site's zone."""
    return sitetime.minute(ts_ms, tz)


def _given(value: object) -> bool:
    """Present in the address (a repeated parameter comes as a list: given, and wrong)."""
    return value is not None and not (isinstance(value, str) and value.strip() == "")


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _parse_local(text: str, zone: ZoneInfo) -> datetime | None:
    """An ISO date or date and time; without an offset it is local to ``zone``."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def _is_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _local_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S" if moment.second else "%Y-%m-%dT%H:%M")


def _local_ms(text: str, zone: ZoneInfo) -> int:
    moment = _parse_local(text, zone)
    if moment is None:
        raise ValueError(f"not a local time: {text!r}")
    return int(moment.timestamp() * 1000)


# -- what the charts show ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueInfo:
    """A stored queue: its name (the newest series' name) and chart series by metric."""

    source: str
    queue_id: str
    name: str
    series: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class ThresholdLine:
    rule_name: str
    severity: str  # alerts.Severity value
    value: float


@dataclass(frozen=True, slots=True)
class AlertPeriod:
    """``[start_ms, end_ms)`` during which a rule's alert was open, with its severity
    (``NODATA_PERIOD`` for a no-data alert of a series that never fired)."""

    rule_name: str
    kind: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class MetricAlerts:
    thresholds: tuple[ThresholdLine, ...] = ()
    periods: tuple[AlertPeriod, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueCharts:
    """Everything the charts draw for one queue over ``[from_ms, to_ms]``."""

    queue: QueueInfo
    history: History
    alerts: Mapping[str, MetricAlerts] = field(default_factory=dict)  # by metric


def covers(rule: Rule, source: str, queue_id: str, metric: str) -> bool:
    """Whether ``rule`` watches ``metric`` of this queue."""
    scope = rule.scope
    return (rule.metric == metric
            and scope.source in (None, "", source)
            and scope.entity_kind in (None, "", QUEUE_KIND)
            and (not scope.entity_ids or queue_id in scope.entity_ids))


def thresholds(rule: Rule) -> tuple[ThresholdLine, ...]:
    return tuple(
        ThresholdLine(rule.name, severity.value, value)
        for severity in (Severity.WARNING, Severity.CRITICAL)
        if (value := rule.threshold(severity)) is not None
    )


def alert_periods(
    rule_name: str,
    events: Sequence[EventRow],
    state: StateRow | None,
    from_ms: int,
    to_ms: int,
    *,
    complete: bool = True,
) -> tuple[AlertPeriod, ...]:
    """The open-alert periods within ``[from_ms, to_ms]`` of one rule on one series.

    ``events``: the rule's events on the series from ``from_ms`` on, oldest first;
    ``state``: its stored state now. Before the first event the series was in that
    event's ``from_state`` (no event at all: in ``state``'s state since before the range).
    ``complete=False`` (the events were cut at a limit): nothing is drawn before the
    first event, whose predecessors are unknown.
    """
    changes = [e for e in events if e.to_state is not None and e.event != "acknowledged"
               and e.event != "unacknowledged"]
    if changes:
        current = (changes[0].from_state, _severity_before(changes[0]))
    elif state is not None:
        current = (state.state, state.severity)
    else:
        return ()
    start = from_ms if complete or not changes else max(from_ms, changes[0].ts_ms)
    periods: list[AlertPeriod] = []
    for event in changes:
        if event.ts_ms >= to_ms:
            break
        if event.ts_ms > start:
            _add_period(periods, rule_name, current, start, event.ts_ms)
            start = event.ts_ms
        current = (event.to_state, event.severity)
    if start < to_ms:
        _add_period(periods, rule_name, current, start, to_ms)
    return tuple(periods)


def _severity_before(event: EventRow) -> str | None:
    """The severity before ``event`` (an event carries the severity after it, or the
    ended alert's for one that closes it)."""
    if event.event == "escalated":
        return Severity.WARNING.value
    if event.event == "deescalated":
        return Severity.CRITICAL.value
    return event.severity


def _add_period(periods: list[AlertPeriod], rule_name: str,
                state: tuple[str | None, str | None], start: int, end: int) -> None:
    name, severity = state
    if name not in _OPEN_STATES:
        return
    if severity in (Severity.WARNING.value, Severity.CRITICAL.value):
        kind = severity
    elif name == AlertState.NODATA.value:
        kind = NODATA_PERIOD
    else:
        return  # an error before anything fired: nothing was open
    last = periods[-1] if periods else None
    if last is not None and last.kind == kind and last.end_ms == start:
        periods[-1] = AlertPeriod(rule_name, kind, last.start_ms, end)
    else:
        periods.append(AlertPeriod(rule_name, kind, start, end))


# -- the model ----------------------------------------------------------------------------


class HistoryModel:
    """Reads for ``/queues/<id>``; every method may raise ``StorageUnavailable``."""

    def __init__(self, engine: Engine, config: DashboardConfig, clock: Clock) -> None:
        self.history_store = HistoryStore(engine, raw_interval_s=config.poll_interval_s)
        self._store = Store(engine)
        self._alerts = AlertStore(engine)
        self._targets = QueueTargetStore(engine)
        self._config = config
        self._clock = clock
        self._ttl_ms = max(1, int(config.refresh_interval_s * 1000))
        self._queues: RenderMemo[dict[str, QueueInfo]] = RenderMemo(size=2)
        self._agents: RenderMemo[list[AgentRow]] = RenderMemo(size=2)
        self._daily: RenderMemo[list[DailyRow]] = RenderMemo(size=32)
        self._failover: RenderMemo[int | None] = RenderMemo(size=2)

    def _now_ms(self) -> int:
        return now_ms(self._clock)

    def _period(self) -> int:
        return self._now_ms() // self._ttl_ms

    def queue(self, queue_id: str) -> QueueInfo | None:
        """The stored queue ``queue_id`` of the configured source; None if unknown."""
        source = self._config.source_name
        index = self._queues.get((source, self._period()), lambda: self._queue_index(source))
        return index.get(queue_id)

    def _queue_index(self, source: str) -> dict[str, QueueInfo]:
        names: dict[str, tuple[int, str]] = {}
        series: dict[str, dict[str, int]] = {}
        for row in self._store.series(source):
            key = row.key
            if key.entity_kind != QUEUE_KIND:
                continue
            series.setdefault(key.entity_id, {})[key.metric] = row.id
            # The newest series carries the newest name (a queue renamed in Trio).
            if row.created_at_ms >= names.get(key.entity_id, (-1, ""))[0]:
                names[key.entity_id] = (row.created_at_ms, key.entity_name or key.entity_id)
        return {qid: QueueInfo(source, qid, names[qid][1], by_metric)
                for qid, by_metric in series.items()}

    def charts(self, queue: QueueInfo, from_ms: int, to_ms: int) -> QueueCharts:
        ids = [queue.series[m] for m in CHART_METRICS if m in queue.series]
        history = self.history_store.history(ids, from_ms, to_ms)
        return QueueCharts(queue, history, self._metric_alerts(queue, from_ms, to_ms))

    def _metric_alerts(self, queue: QueueInfo, from_ms: int, to_ms: int
                       ) -> dict[str, MetricAlerts]:
        rules = [rule for rule in _rules(self._alerts.list_rules())
                 if any(covers(rule, queue.source, queue.queue_id, m) for m in CHART_METRICS)]
        if not rules:
            return {}
        # The shipped service-level rule is written against the site's default target;
        # on a queue with its own, its lines move as the engine moves it.
        target = self.target(queue)
        default_pct = self.default_target.pct
        rules = [for_queue(rule, target.pct if target.own else None, default_pct)
                 for rule in rules]
        key = series_key(queue.source, QUEUE_KIND, queue.queue_id)
        states = {row.rule_id: row for row in self._alerts.states(entity_kind=QUEUE_KIND)
                  if row.series_key == key}
        found: dict[str, tuple[list[ThresholdLine], list[AlertPeriod]]] = {}
        for rule in rules:
            lines, periods = found.setdefault(rule.metric, ([], []))
            if rule.enabled:
                lines.extend(thresholds(rule))
            events = self._alerts.events(since_ms=from_ms, limit=MAX_EVENTS,
                                         rule_id=rule.id, series_key=key)
            periods.extend(alert_periods(rule.name, events[::-1], states.get(rule.id or 0),
                                         from_ms, to_ms, complete=len(events) < MAX_EVENTS))
        return {metric: MetricAlerts(tuple(lines), tuple(periods))
                for metric, (lines, periods) in found.items()}

    def agents(self, queue: QueueInfo) -> list[AgentRow]:
        """The source's agents that serve this queue (as of the source's last poll)."""
        rows = self._agents.get((queue.source, self._period()),
                                lambda: self._store.agents(queue.source))
        return [row for row in rows if queue.queue_id in row.queue_ids]

    @property
    def default_target(self) -> ServiceLevelTarget:
        return ServiceLevelTarget(self._config.sl_target_pct, self._config.sl_threshold_s)

    def target(self, queue: QueueInfo) -> ServiceLevelTarget:
        """The queue's own service-level target, else the site's default. Read per call
        (one small row): a target just set on the page shows at once."""
        row = self._targets.targets(queue.source).get(queue.queue_id)
        own = {} if row is None else {row.queue_id: (row.sl_target_pct, row.sl_threshold_s)}
        return target_for(queue.queue_id, own, self.default_target)

    def daily(self, queue: QueueInfo) -> list[DailyRow]:
        """The queue's daily figures for the last ``DAILY_DAYS`` local days, oldest
        first (see ``storage.DailyRow`` for what each figure means)."""
        now_ms = self._now_ms()
        return self._daily.get(
            (queue.source, queue.queue_id, now_ms // self._ttl_ms),
            lambda: self.history_store.daily(now_ms, days=DAILY_DAYS, tz=self._config.timezone,
                                             queue_ids=[queue.queue_id], source=queue.source),
        )

    def failover_since(self, queue: QueueInfo) -> int | None:
        """When the failover of the queue's source began, while it is in failover (its
        counters then count from the switchover); None when not in failover or the start
        was not recorded. Read once per refresh period."""
        def read() -> int | None:
            facts = self._store.source(queue.source)
            if facts is None or not facts.failover_active:
                return None
            return self._store.failover_since(queue.source)
        return self._failover.get((queue.source, self._period()), read)


def _rules(rows: Iterable[RuleRow]) -> list[Rule]:
    """Every stored rule that still validates (one that does not is shown on
    /thresholds with its error; here it is only left out)."""
    rules: list[Rule] = []
    for row in rows:
        try:
            rules.append(validate_rule({**row.spec, "id": row.id, "name": row.name,
                                        "enabled": row.enabled}))
        except SpecError as err:
            log.warning("rule %s left off the history charts: %s", row.name, err)
    return rules


def install(server: flask.Flask, model: HistoryModel) -> None:
    if EXTENSION_KEY in server.extensions:
        raise RuntimeError("a history model is already installed on this Flask server")
    server.extensions[EXTENSION_KEY] = model


def current() -> HistoryModel:
    """The history model of the Flask app handling this request."""
    model: HistoryModel = flask.current_app.extensions[EXTENSION_KEY]
    return model

