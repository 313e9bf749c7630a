"""Backtests: how often a rule would have fired on stored data.

``backtest`` is pure: it replays ``engine.evaluate`` over each series' points with
``now_ms`` = the point's timestamp, so pending, hysteresis and keep-firing-for behave as
they would have live. Between two points it also evaluates at the moments a tick without
new data would have changed something (keep-firing-for running out, no data for
``no_data_after_s``), as the evaluator's one-second tick does.

``run_backtests`` loads the points through anything with ``samples_for`` (an
``AlertStore``), once per distinct (metric, scope) and span, thinned to one point per
bucket in SQL (the max of each bucket for an "above" rule, the min for "below", so no
breach is hidden by thinning), and backtests several rules (the edited one and the one
as saved) on the same data.

Derived metrics (``state_down``, ``drift_oldest_s``, ``last_success_age_s``,
``data_age_s``) are computed from stored facts at evaluation time, not stored as
samples: they cannot be backtested (``backtestable`` says so).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from storage import SeriesSamples

from .engine import AlertEvent, AlertState, AlertStatus, evaluate
from .inputs import DERIVED_METRICS, OPEN_METRIC
from .model import ActiveMode, Direction, Rule, Severity

DAY_MS = 86_400_000
# At most this many series per rule and span (a scope of "every queue" on a big site).
MAX_SERIES = 500
_FIRING_STATES = frozenset({AlertState.FIRING, AlertState.RECOVERING})
_RANK = {Severity.WARNING: 1, Severity.CRITICAL: 2}


@dataclass(frozen=True, slots=True)
class Span:
    """A period before now, evaluated at one point per ``bucket_ms``."""

    name: str  # "24h" | "7d"
    duration_ms: int
    bucket_ms: int


# One point per 10 s over 24 h and one per minute over 7 d: at most ~10k points a series.
SPANS = (Span("24h", DAY_MS, 10_000), Span("7d", 7 * DAY_MS, 60_000))


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """What a rule would have done on one span's series.

    ``alerts``: alerts opened (``firing`` events); ``by_severity``: those alerts by the
    highest severity each reached, so the values add up to ``alerts``. ``firing_ms``:
    time spent firing or recovering, summed over series; ``observed_ms``: the time the
    series' points cover, summed likewise.
    """

    series: int = 0
    points: int = 0
    alerts: int = 0
    by_severity: Mapping[Severity, int] = field(default_factory=dict)
    series_fired: int = 0
    nodata_alerts: int = 0
    firing_ms: int = 0
    observed_ms: int = 0
    truncated: bool = False  # more series matched than were evaluated (MAX_SERIES)

    @property
    def firing_share(self) -> float | None:
        """The share of observed time spent firing (0-1); None without data."""
        return self.firing_ms / self.observed_ms if self.observed_ms > 0 else None


@dataclass(frozen=True, slots=True)
class SpanReport:
    """One span's results, one per rule passed to ``run_backtests`` (in that order)."""

    span: Span
    results: tuple[BacktestResult, ...]


class SampleSource(Protocol):
    """What ``run_backtests`` reads samples through (``storage.AlertStore``)."""

    def samples_for(
        self, metric: str, *, from_ms: int, to_ms: int, source: str | None = None,
        entity_kind: str | None = None, entity_ids: Sequence[str] = (),
        max_series: int = 2000, bucket_ms: int = 0, reduce: str = "max",
    ) -> list[SeriesSamples]: ...


def backtestable(rule: Rule) -> bool:
    """False for derived metrics, which have no stored samples to replay."""
    return rule.metric not in DERIVED_METRICS


def run_backtests(
    source: SampleSource, rules: Sequence[Rule], *, now_ms: int,
    spans: Sequence[Span] = SPANS, max_series: int = MAX_SERIES,
) -> list[SpanReport]:
    """Backtest each of ``rules`` over each span ending at ``now_ms``. Rules are judged
    as if enabled (a disabled rule being edited is asked what it *would* do). Raises
    what ``source`` raises (``StorageUnavailable``); ValueError for a derived metric."""
    for rule in rules:
        if not backtestable(rule):
            raise ValueError(f"{rule.metric} is derived and cannot be backtested")
    reports = []
    for span in spans:
        loader = _Loader(source, span, now_ms, max_series)
        results = []
        for rule in rules:
            series = loader.load(rule.metric, rule, _reduce(rule))
            opens = (loader.load(OPEN_METRIC, rule, "max")
                     if rule.active is ActiveMode.WHILE_OPEN else [])
            result = backtest(replace(rule, enabled=True), series[:max_series],
                              until_ms=now_ms, step_ms=span.bucket_ms, open_series=opens)
            results.append(replace(result, truncated=len(series) > max_series))
        reports.append(SpanReport(span, tuple(results)))
    return reports


class _Loader:
    """Samples of one span, each (metric, scope, reduce) read once."""

    def __init__(self, source: SampleSource, span: Span, now_ms: int, max_series: int) -> None:
        self._source = source
        self._span = span
        self._now_ms = now_ms
        self._max_series = max_series
        self._loaded: dict[tuple[object, ...], list[SeriesSamples]] = {}

    def load(self, metric: str, rule: Rule, reduce: str) -> list[SeriesSamples]:
        scope = rule.scope
        key = (metric, scope.source, scope.entity_kind, scope.entity_ids, reduce)
        if key not in self._loaded:
            self._loaded[key] = self._source.samples_for(
                metric, from_ms=self._now_ms - self._span.duration_ms, to_ms=self._now_ms,
                source=scope.source, entity_kind=scope.entity_kind,
                entity_ids=scope.entity_ids, max_series=self._max_series + 1,
                bucket_ms=self._span.bucket_ms, reduce=reduce)
        return self._loaded[key]


def _reduce(rule: Rule) -> str:
    return "max" if rule.direction is Direction.ABOVE else "min"


def backtest(
    rule: Rule, series: Sequence[SeriesSamples], *, until_ms: int, step_ms: int,
    open_series: Sequence[SeriesSamples] = (), open_fresh_ms: int | None = None,
) -> BacktestResult:
    """Replay ``rule`` over every series' points (oldest first).

    The state after a point holds until the next point (or the next tick that changes
    it); after the last point for ``step_ms``, at most until ``until_ms``.
    ``open_series``: the queues' ``open`` series, matched by source, entity kind and id;
    a point's ``queue_open`` is the newest open value at or before it, if at most
    ``open_fresh_ms`` (default three steps) old, else unknown.
    """
    fresh_ms = 3 * step_ms if open_fresh_ms is None else open_fresh_ms
    opens = {(s.source, s.entity_kind, s.entity_id): s.points for s in open_series}
    total = _Tally()
    for one in series:
        if not one.points:
            continue
        key = (one.source, one.entity_kind, one.entity_id)
        replay = _Replay(rule, _OpenLookup(opens.get(key, ()), fresh_ms))
        replay.run(one.points, until_ms, step_ms)
        total.add(replay.tally)
    return total.result()


@dataclass
class _Tally:
    series: int = 0
    points: int = 0
    alerts: int = 0
    warning: int = 0
    critical: int = 0
    series_fired: int = 0
    nodata: int = 0
    firing_ms: int = 0
    observed_ms: int = 0

    def add(self, other: _Tally) -> None:
        self.series += 1
        self.series_fired += 1 if other.alerts else 0
        for name in ("points", "alerts", "warning", "critical", "nodata", "firing_ms",
                     "observed_ms"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def result(self) -> BacktestResult:
        return BacktestResult(
            series=self.series, points=self.points, alerts=self.alerts,
            by_severity={Severity.WARNING: self.warning, Severity.CRITICAL: self.critical},
            series_fired=self.series_fired, nodata_alerts=self.nodata,
            firing_ms=self.firing_ms, observed_ms=self.observed_ms,
        )


class _OpenLookup:
    """``queue_open`` at increasing times, from a queue's open points (oldest first)."""

    def __init__(self, points: Sequence[tuple[int, float]], fresh_ms: int) -> None:
        self._points = points
        self._fresh_ms = fresh_ms
        self._next = 0

    def at(self, ts_ms: int) -> bool | None:
        points = self._points
        while self._next < len(points) and points[self._next][0] <= ts_ms:
            self._next += 1
        if self._next == 0:
            return None
        seen_ms, value = points[self._next - 1]
        if ts_ms - seen_ms > self._fresh_ms:
            return None
        return value >= 0.5


class _Replay:
    """One series through the engine, counting what happens."""

    def __init__(self, rule: Rule, opens: _OpenLookup) -> None:
        self.rule = rule
        self.opens = opens
        self.tally = _Tally(series=1)
        self.status: AlertStatus | None = None
        self.since_ms = 0  # when the current status began to hold
        self.alert: Severity | None = None  # the open alert's highest severity
        self.last_value_ms: int | None = None  # the newest value seen (for no-data ticks)
        self.above = rule.direction is Direction.ABOVE
        # Only keep-firing-for and no-data change a state between points.
        self.ticks = rule.keep_firing_for_s > 0 or rule.no_data_after_s is not None
        self.always = rule.active is ActiveMode.ALWAYS
        self.while_open = rule.active is ActiveMode.WHILE_OPEN
        self.thresholds = [(severity, threshold) for severity, threshold in (
            (Severity.CRITICAL, rule.critical), (Severity.WARNING, rule.warning))
            if threshold is not None]

    def run(self, points: Sequence[tuple[int, float]], until_ms: int, step_ms: int) -> None:
        first_ms = points[0][0]
        self.since_ms = first_ms
        for index, (ts, value) in enumerate(points):
            self._step(ts, value)
            end = points[index + 1][0] if index + 1 < len(points) else min(until_ms,
                                                                            ts + step_ms)
            if self.ticks:
                self._ticks_before(end)
            self._hold_until(end)
        self.tally.points = len(points)
        self.tally.observed_ms = max(0, self.since_ms - first_ms)
        self._close_alert()

    def _step(self, now_ms: int, value: float | None) -> None:
        queue_open = self.opens.at(now_ms)
        if value is not None and self._unchanged(value, queue_open):
            self._hold_until(now_ms)
            self.last_value_ms = now_ms
            return
        transition = evaluate(
            self.rule, self.status, value=value, value_ms=None if value is None else now_ms,
            now_ms=now_ms, queue_open=queue_open,
        )
        self._hold_until(now_ms)
        self.status = transition.status
        if transition.status.last_value_ms is not None:
            self.last_value_ms = transition.status.last_value_ms
        self._count(transition.event, transition.status)

    def _unchanged(self, value: float, queue_open: bool | None) -> bool:
        """A shortcut for the usual points: an OK status and a value that breaches no
        threshold, or a firing status (rule active) and a value at the same severity.
        The engine would only note the value there (``last_value_ms`` tracks it here)."""
        status = self.status
        if status is None or not math.isfinite(value):
            return False
        level = self._breached(value)
        if status.state is AlertState.OK:
            return level is None
        return (status.state is AlertState.FIRING and level is status.severity
                and (self.always or queue_open is True and self.while_open))

    def _breached(self, value: float) -> Severity | None:
        """The highest severity whose threshold ``value`` breaches (engine._breaches)."""
        for severity, threshold in self.thresholds:
            if (value >= threshold) if self.above else (value < threshold):
                return severity
        return None

    def _hold_until(self, end_ms: int) -> None:
        """The current status held from ``since_ms`` to ``end_ms``."""
        if end_ms <= self.since_ms:
            return
        if self.status is not None and self.status.state in _FIRING_STATES:
            self.tally.firing_ms += end_ms - self.since_ms
        self.since_ms = end_ms

    def _ticks_before(self, end_ms: int) -> None:
        """Evaluate without new data where a tick would change the state before
        ``end_ms`` (keep-firing-for over, no data for too long)."""
        for _ in range(4):  # each tick moves the state on; a few suffice
            due = self._next_tick()
            if due is None or due >= end_ms:
                return
            self._step(due, None)

    def _next_tick(self) -> int | None:
        status = self.status
        if status is None:
            return None
        due: list[int] = []
        if status.state is AlertState.RECOVERING and status.breach_ended_ms is not None:
            due.append(status.breach_ended_ms + int(self.rule.keep_firing_for_s * 1000))
        nodata_s = self.rule.no_data_after_s
        if (nodata_s is not None and self.last_value_ms is not None
                and status.state is not AlertState.NODATA):
            due.append(self.last_value_ms + int(nodata_s * 1000) + 1)
        later = [ts for ts in due if ts > self.since_ms]
        return min(later) if later else None

    def _count(self, event: AlertEvent | None, status: AlertStatus) -> None:
        if event is AlertEvent.FIRING:
            self._close_alert()
            self.tally.alerts += 1
            self.alert = status.severity
        elif event is AlertEvent.NODATA:
            self.tally.nodata += 1
        if self.alert is not None and status.severity is not None and (
                status.state in _FIRING_STATES
                and _RANK[status.severity] > _RANK[self.alert]):
            self.alert = status.severity
        if event in (AlertEvent.RESOLVED, AlertEvent.INACTIVE):
            self._close_alert()

    def _close_alert(self) -> None:
        if self.alert is Severity.CRITICAL:
            self.tally.critical += 1
        elif self.alert is Severity.WARNING:
            self.tally.warning += 1
        self.alert = None
