"""The values alert rules judge: stored series, and the derived metrics of DESIGN.md.

Stored metrics come from ``current`` (the newest value of each series). Derived metrics
are computed from stored facts at the time of evaluation:

- ``state_down``: 1.0 while a health target's state is "down", else 0.0;
- ``drift_oldest_s``: seconds the oldest still-drifting resource of a provider has drifted;
- ``last_success_age_s``: now minus a reconciler's ``last_success_ts`` series;
- ``data_age_s``: now minus a source's last successful poll;
- ``screen_silence_s``: now minus a wall screen's last request (display tokens);
- ``interval_service_level_pct`` and ``agents_short``: a queue's service level in the
  current 15-minute interval and the agents it is short by Erlang C
  (``alerts.floor_figures``, the tiles' own computation, with the queue's target).

An age is a value taken *now* (its timestamp is the evaluation time): it grows while
nothing is written, which is the point. ``state_down`` is observed at the source's last
poll, so a rule's pending period counts polls that saw the target down.

A stored value is *unknown* (``Inputs.unknown``) while its source is failing (failed
polls, an open breaker) or when the source has answered since without it: the engine
then holds an open alert instead of judging a value nobody can vouch for. Derived
metrics are never unknown that way: a source's failure is exactly what they measure;
except the floor figures, which are the queue's counters read another way: they are
unknown like a stored value, and also while the queue lacks the data for them
(``Input.note`` says why), so a rule on them neither fires nor clears on a guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from specs import text
from specs.drift import (
    DRIFT_COUNT_METRIC,
    DRIFT_METRIC_DISPLAYS,
    DRIFT_OLDEST_METRIC,
    LAST_SUCCESS_AGE_METRIC,
)
from specs.floor_metrics import (
    AGENTS_SHORT_METRIC,
    FLOOR_METRIC_DISPLAYS,
    INTERVAL_SERVICE_LEVEL_METRIC,
)
from specs.health import HEALTH_METRIC_DISPLAYS, STATE_DOWN_METRIC
from specs.metrics import COUNTED_SINCE_FAILOVER, QUEUE_METRICS, Display, QueueMetricId
from specs.sltarget import ServiceLevelTarget, target_for
from specs.sources import (
    DATA_AGE_METRIC,
    SCREEN_SILENCE_METRIC,
    SOURCE_METRIC_DISPLAYS,
    BreakerState,
    HealthState,
)
from storage import (
    AlertStore,
    CurrentRow,
    DisplayRow,
    DisplayStore,
    DriftResourceRow,
    DriftStore,
    HistoryStore,
    QueueTargetStore,
    SourceFacts,
    Store,
)
from storage import series_key as _series_key

from . import floor_figures
from .model import Rule

STATE_DOWN = STATE_DOWN_METRIC
DRIFT_OLDEST = DRIFT_OLDEST_METRIC
LAST_SUCCESS_AGE = LAST_SUCCESS_AGE_METRIC
DATA_AGE = DATA_AGE_METRIC
SCREEN_SILENCE = SCREEN_SILENCE_METRIC
INTERVAL_SERVICE_LEVEL = INTERVAL_SERVICE_LEVEL_METRIC
AGENTS_SHORT = AGENTS_SHORT_METRIC
FLOOR_DERIVED = frozenset({INTERVAL_SERVICE_LEVEL, AGENTS_SHORT})
DERIVED_METRICS = frozenset({STATE_DOWN, DRIFT_OLDEST, LAST_SUCCESS_AGE, DATA_AGE,
                             SCREEN_SILENCE, *FLOOR_DERIVED})
# The wall screens' entities: written by the web app, never polled by the collector.
DISPLAY_SOURCE = "display"
SCREEN_KIND = "screen"

OPEN_METRIC = QueueMetricId.OPEN.value  # a queue's open/closed series, for while_open rules
HEALTH_KIND = "health"  # SourceFacts.kind of a health target
HEALTH_PREFIX = "health:"
DRIFT_COUNT = DRIFT_COUNT_METRIC
LAST_SUCCESS_TS = "last_success_ts"
FEW_SOURCES = 8
BREAKER_CLOSED = BreakerState.CLOSED.value
# Contact-center counters that a Trio server in failover counts from the switchover (the
# vendor's installation manual): a figure of them then covers only the time since.
FAILOVER_COUNTED = COUNTED_SINCE_FAILOVER
# Every metric a rule can watch (stored or derived) -> how the screens show its value,
# as each metric's declaration in specs says.
RULE_METRIC_DISPLAYS: Mapping[str, Display] = {
    **{m.id: m.display for m in QUEUE_METRICS},
    **HEALTH_METRIC_DISPLAYS,
    **DRIFT_METRIC_DISPLAYS,
    **SOURCE_METRIC_DISPLAYS,
    **FLOOR_METRIC_DISPLAYS,
}


@dataclass(frozen=True, slots=True)
class FloorSettings:
    """What the floor figures need besides the stored data: the site's default target,
    its zone (the 15-minute intervals) and the poll interval (the history's resolution)."""

    default: ServiceLevelTarget
    timezone: str
    poll_interval_s: float


@dataclass(frozen=True, slots=True)
class Input:
    """The newest value of one watched entity for one metric (None: no value)."""

    source: str
    entity_kind: str
    entity_id: str
    entity_name: str
    metric: str
    unit: str
    value: float | None
    ts_ms: int | None
    note: str | None = None  # why there is no value (a floor figure without enough data)

    @property
    def key(self) -> str:
        return _series_key(self.source, self.entity_kind, self.entity_id)


@dataclass
class Inputs:
    """Values by metric, and which queues are known to be open right now."""

    by_metric: dict[str, list[Input]] = field(default_factory=dict)
    # (source, queue id) -> open; only queues whose ``open`` value is fresh.
    queue_open: dict[tuple[str, str], bool] = field(default_factory=dict)
    # The facts of the sources read, by name; and for those in failover, when it began
    # (None: in failover, start not recorded).
    facts: dict[str, SourceFacts] = field(default_factory=dict)
    failover_since: dict[str, int | None] = field(default_factory=dict)
    fresh_ms: int = 15_000
    # How old a source's values may be before nobody can vouch for them (three of its
    # poll intervals, the wall screen's staleness), by source; and the evaluation time.
    stale_after_ms: Mapping[str, int] = field(default_factory=dict)
    now_ms: int = 0

    def unknown(self, item: Input) -> str | None:
        """Why ``item``'s value cannot be vouched for now, or None when it can."""
        if item.metric in FLOOR_DERIVED and item.value is None:
            return item.note or f"no {item.metric} value"
        if item.metric in DERIVED_METRICS and item.metric not in FLOOR_DERIVED:
            return None
        why = unknown_reason(item, self.facts.get(item.source), self.fresh_ms)
        limit = self.stale_after_ms.get(item.source)
        if why is None and limit is not None and item.ts_ms is not None and (
                self.now_ms - item.ts_ms > limit):
            # Nobody polled the source lately (a collector just taking over, a stuck
            # job): an old value says nothing about now.
            return f"no {item.metric} value since {utc_time(item.ts_ms)}"
        return why

    def in_failover(self, item: Input) -> tuple[bool, int | None]:
        """Whether ``item`` is a counter its source counts from a failover now, and when
        that failover began (None: unknown)."""
        if item.metric not in FAILOVER_COUNTED or item.source not in self.failover_since:
            return False, None
        return True, self.failover_since[item.source]

    def for_rule(self, rule: Rule) -> list[Input]:
        """The inputs ``rule``'s scope selects."""
        return [i for i in self.by_metric.get(rule.metric, ()) if in_scope(rule, i)]

    def is_open(self, item: Input) -> bool | None:
        """Whether ``item``'s queue is open (None: not a queue, or not known lately)."""
        if item.entity_kind != "queue":
            return None
        return self.queue_open.get((item.source, item.entity_id))


def in_scope(rule: Rule, item: Input) -> bool:
    scope = rule.scope
    return (
        (scope.source is None or scope.source == item.source)
        and (scope.entity_kind is None or scope.entity_kind == item.entity_kind)
        and (not scope.entity_ids or item.entity_id in scope.entity_ids)
    )


def may_touch(rule: Rule, sources: Collection[str]) -> bool:
    """Whether a write of ``sources`` can change what ``rule`` sees."""
    return rule.scope.source is None or rule.scope.source in sources


class InputReader:
    """Reads the inputs of a set of metrics in a few queries (one per kind of input).

    ``open_fresh_ms``: how old a queue's ``open`` value may be and still count (DESIGN.md:
    three poll intervals). Any method may raise ``storage.StorageUnavailable``.
    """

    def __init__(
        self, alerts: AlertStore, store: Store, drift: DriftStore, *, open_fresh_ms: int,
        floor: FloorSettings | None = None,
    ) -> None:
        self._alerts = alerts
        self._store = store
        self._drift = drift
        self._open_fresh_ms = open_fresh_ms
        self._floor = floor or FloorSettings(ServiceLevelTarget(80.0, 20), "Europe/Stockholm",
                                             5.0)
        self._history = HistoryStore(alerts.engine, raw_interval_s=self._floor.poll_interval_s)
        self._targets = QueueTargetStore(alerts.engine)

    def read(
        self, metrics: Collection[str], *, now_ms: int, sources: Collection[str] | None = None,
        want_open: bool = False,
    ) -> Inputs:
        """The inputs of ``metrics`` (of ``sources``, None = all); with ``want_open`` the
        queues' open state as well."""
        wanted = set(metrics)
        stored = wanted - DERIVED_METRICS
        if DRIFT_OLDEST in wanted:
            stored.add(DRIFT_COUNT)
        if LAST_SUCCESS_AGE in wanted:
            stored.add(LAST_SUCCESS_TS)
        if want_open:
            stored.add(OPEN_METRIC)
        rows = self._current(stored, sources)
        inputs = Inputs(fresh_ms=self._open_fresh_ms, now_ms=now_ms)
        if stored - {OPEN_METRIC} or wanted & FLOOR_DERIVED:
            inputs.facts = {f.name: f for f in self._facts(sources)}
            inputs.failover_since = {
                name: self._store.failover_since(name)
                for name, f in inputs.facts.items() if f.failover_active
            }
        for metric in wanted - DERIVED_METRICS:
            inputs.by_metric[metric] = [stored_input(r) for r in rows.get(metric, ())]
        if want_open:
            inputs.queue_open = open_queues(rows.get(OPEN_METRIC, ()), now_ms, self._open_fresh_ms)
        self._derive(inputs, wanted, rows, now_ms, sources)
        return inputs

    def _current(
        self, metrics: set[str], sources: Collection[str] | None
    ) -> dict[str, list[CurrentRow]]:
        if not metrics:
            return {}
        chosen = None if sources is None else sorted(sources)
        by_metric: dict[str, list[CurrentRow]] = defaultdict(list)
        for row in self._alerts.current_values(sorted(metrics), sources=chosen):
            by_metric[row.metric].append(row)
        return by_metric

    def _derive(
        self, inputs: Inputs, wanted: set[str], rows: dict[str, list[CurrentRow]], now_ms: int,
        sources: Collection[str] | None,
    ) -> None:
        if wanted & {STATE_DOWN, DATA_AGE}:
            facts = self._facts(sources)
            if STATE_DOWN in wanted:
                inputs.by_metric[STATE_DOWN] = state_down_inputs(facts)
            if DATA_AGE in wanted:
                inputs.by_metric[DATA_AGE] = data_age_inputs(facts, now_ms)
        if DRIFT_OLDEST in wanted:
            resources = [
                r for r in self._drift.current() if sources is None or r.source in sources
            ]
            inputs.by_metric[DRIFT_OLDEST] = drift_oldest_inputs(
                rows.get(DRIFT_COUNT, ()), resources, now_ms
            )
        if LAST_SUCCESS_AGE in wanted:
            inputs.by_metric[LAST_SUCCESS_AGE] = last_success_age_inputs(
                rows.get(LAST_SUCCESS_TS, ()), now_ms
            )
        if wanted & FLOOR_DERIVED:
            floor = self._floor_inputs(now_ms, sources)
            for metric in wanted & FLOOR_DERIVED:
                inputs.by_metric[metric] = [i for i in floor if i.metric == metric]
        if SCREEN_SILENCE in wanted:
            # Not filtered by ``sources``: "display" is never among the polled (watched)
            # sources, yet its screens are always watched.
            screens = DisplayStore(self._alerts.engine).list(include_revoked=False)
            inputs.by_metric[SCREEN_SILENCE] = screen_silence_inputs(screens, now_ms)

    def _floor_inputs(self, now_ms: int, sources: Collection[str] | None) -> list[Input]:
        """Both floor figures of every queue (of ``sources``) with day counters."""
        by_source: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
        names: dict[tuple[str, str], str] = {}
        # After a write of a few sources (health checks: many a second) read only theirs.
        rows = (self._store.series() if sources is None or len(sources) > FEW_SOURCES
                else [row for name in sorted(sources) for row in self._store.series(name)])
        for row in rows:
            key = row.key
            if (key.entity_kind == "queue" and key.metric in floor_figures.FLOOR_METRICS
                    and (sources is None or key.source in sources)):
                by_source[key.source][key.entity_id][key.metric] = row.id
                names[(key.source, key.entity_id)] = key.entity_name or key.entity_id
        if not by_source:
            return []
        own: dict[str, dict[str, tuple[float, int]]] = defaultdict(dict)
        for target in self._targets.all_targets():
            own[target.source][target.queue_id] = (target.sl_target_pct, target.sl_threshold_s)
        out: list[Input] = []
        for source, queues in sorted(by_source.items()):
            changes = self._store.server_changes(
                source, floor_figures.window_start(now_ms, self._floor.timezone))
            figures = floor_figures.queue_figures(
                self._history, queues, now_ms, self._floor.timezone,
                partial(target_for, own=own.get(source, {}), default=self._floor.default),
                changes)
            for queue_id, figure in figures.items():
                out.extend(floor_inputs(source, queue_id, names[(source, queue_id)], figure))
        return out

    def _facts(self, sources: Collection[str] | None) -> list[SourceFacts]:
        # After a write of a few sources (a health check: dozens a second with hundreds
        # of targets) read just those rows instead of the whole table.
        if sources is not None and len(sources) <= FEW_SOURCES:
            found = (self._store.source(name) for name in sorted(sources))
            return [f for f in found if f is not None]
        return [f for f in self._store.sources() if sources is None or f.name in sources]


# -- pure derivations --------------------------------------------------------------------


def stored_input(row: CurrentRow) -> Input:
    return Input(
        source=row.source, entity_kind=row.entity_kind, entity_id=row.entity_id,
        entity_name=row.entity_name, metric=row.metric, unit=row.unit,
        value=row.value, ts_ms=row.ts_ms,
    )


def unknown_reason(item: Input, facts: SourceFacts | None, fresh_ms: int) -> str | None:
    """Why a stored value is unknown: its source failing, or answering without it."""
    if facts is not None:
        failing = facts.consecutive_failures > 0 or facts.breaker_state != BREAKER_CLOSED
        if failing:
            since = facts.failing_since_ms or facts.breaker_opened_at_ms
            when = f" since {utc_time(since)}" if since is not None else ""
            return f"source {facts.name} failing{when}"
        last = facts.last_success_at_ms
        if item.ts_ms is not None and last is not None and last - item.ts_ms > fresh_ms:
            return f"no fresh {item.metric} value (newest {utc_time(item.ts_ms)})"
    if item.value is None or item.ts_ms is None:
        return f"no {item.metric} value"
    return None


def utc_time(ms: int) -> str:
    """A moment as a reason stores it: a UTC stamp, which ``specs.text.stored`` shows in
    the site's zone (a stored reason does not depend on the site's zone setting)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def open_queues(
    rows: Iterable[CurrentRow], now_ms: int, fresh_ms: int
) -> dict[tuple[str, str], bool]:
    """(source, queue id) -> open, for queues whose ``open`` value is at most ``fresh_ms``
    old (an older one says nothing about now)."""
    return {
        (r.source, r.entity_id): r.value >= 0.5
        for r in rows
        if r.entity_kind == "queue" and now_ms - r.ts_ms <= fresh_ms
    }


def state_down_inputs(facts: Iterable[SourceFacts]) -> list[Input]:
    """1.0 for each health target whose state is down, 0.0 for the others; targets not
    judged yet (no state) have no value."""
    out = []
    for f in facts:
        if f.kind != HEALTH_KIND or f.state is None:
            continue
        name = f.name.removeprefix(HEALTH_PREFIX)
        observed = f.last_poll_at_ms or f.state_since_ms
        out.append(Input(
            source=f.name, entity_kind="target", entity_id=name, entity_name=name,
            metric=STATE_DOWN, unit="", value=1.0 if f.state == HealthState.DOWN else 0.0,
            ts_ms=observed,
        ))
    return out


def data_age_inputs(facts: Iterable[SourceFacts], now_ms: int) -> list[Input]:
    """Seconds since each source's last successful poll. A source that never succeeded
    counts from when it started failing; one never polled has no value."""
    out = []
    for f in facts:
        since = f.last_success_at_ms if f.last_success_at_ms is not None else f.failing_since_ms
        if since is None:
            continue
        out.append(Input(
            source=f.name, entity_kind="source", entity_id=f.name, entity_name=f.name,
            metric=DATA_AGE, unit="s", value=max(0.0, (now_ms - since) / 1000), ts_ms=now_ms,
        ))
    return out


def drift_oldest_inputs(
    counts: Iterable[CurrentRow], resources: Sequence[DriftResourceRow], now_ms: int
) -> list[Input]:
    """Per (reconciler, provider): seconds since the oldest resource still drifting was
    detected, 0 when none drifts. Providers are those with a ``drift_count`` series."""
    oldest: dict[tuple[str, str], int] = {}
    for r in resources:
        key = (r.source, r.provider)
        oldest[key] = min(oldest.get(key, r.detected_at_ms), r.detected_at_ms)
    providers = {(c.source, c.entity_id) for c in counts if c.entity_kind == "provider"}
    out = []
    for source, provider in sorted(providers | set(oldest)):
        detected = oldest.get((source, provider))
        age = 0.0 if detected is None else max(0.0, (now_ms - detected) / 1000)
        out.append(Input(
            source=source, entity_kind="provider", entity_id=provider, entity_name=provider,
            metric=DRIFT_OLDEST, unit="s", value=age, ts_ms=now_ms,
        ))
    return out


def last_success_age_inputs(rows: Iterable[CurrentRow], now_ms: int) -> list[Input]:
    """Seconds since each reconciler's last successful run (``last_success_ts`` is epoch
    seconds)."""
    return [
        Input(
            source=r.source, entity_kind=r.entity_kind, entity_id=r.entity_id,
            entity_name=r.entity_name, metric=LAST_SUCCESS_AGE, unit="s",
            value=max(0.0, now_ms / 1000 - r.value), ts_ms=now_ms,
        )
        for r in rows
        if r.entity_kind == "reconciler"
    ]


def floor_inputs(source: str, queue_id: str, name: str,
                 figure: floor_figures.QueueFigures) -> list[Input]:
    """A queue's interval service level and agents short, as of its newest counter
    reading; a figure the data cannot give has no value and says why."""
    level = figure.interval.service_level_pct
    staffed = figure.staffing
    short = (None if staffed.needed is None or staffed.logged_in is None
             else float(staffed.short_by))
    why_short = None
    if short is None:
        # Stored in English from the catalog; screens show it in their language
        # (specs.text.stored knows the rsn_ and erl_reason_ texts).
        why = (text.t(f"erl_reason_{staffed.reason.value}", "en")
               if staffed.reason is not None else text.t("rsn_no_staffing_figure", "en"))
        why_short = text.t("rsn_not_enough_for_staffing", "en", why=why)
    return [
        Input(source, "queue", queue_id, name, INTERVAL_SERVICE_LEVEL, "%", level,
              figure.newest_ms,
              None if level is not None else text.t("rsn_no_interval_call", "en")),
        Input(source, "queue", queue_id, name, AGENTS_SHORT, "agents", short, figure.newest_ms,
              why_short),
    ]


def screen_silence_inputs(rows: Iterable[DisplayRow], now_ms: int) -> list[Input]:
    """Seconds since each wall screen's last request (its display token's
    ``last_seen_at``, written at most every 10 s while it polls). Revoked tokens and
    tokens never used have no value: no screen is expected there."""
    return [
        Input(
            source=DISPLAY_SOURCE, entity_kind=SCREEN_KIND, entity_id=str(r.id),
            entity_name=r.name, metric=SCREEN_SILENCE, unit="s",
            value=max(0.0, (now_ms - r.last_seen_at_ms) / 1000), ts_ms=now_ms,
        )
        for r in rows
        if not r.revoked and r.last_seen_at_ms is not None
    ]
