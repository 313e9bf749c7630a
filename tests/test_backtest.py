"""alerts.backtest: scripted series replayed through the engine (pending, hysteresis,
keep-firing-for, no data, queue open), and run_backtests over stored samples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from alerts import Rule, Severity, validate_rule
from alerts import backtest as backtest_module
from alerts.backtest import (
    DAY_MS,
    SPANS,
    BacktestResult,
    backtest,
    backtestable,
    run_backtests,
)
from storage import AlertStore, PollWrite, Sample, SeriesKey, SeriesSamples, Store
from tests.fixtures.dashboard import facts

T0 = 1_780_000_000_000
S = 1000
STEP = 10 * S


def wait_rule(**fields: Any) -> Rule:
    base: dict[str, Any] = {"name": "Longest wait", "metric": "longest_wait_s",
                            "direction": "above", "warning": 15, "critical": 20}
    return validate_rule(base | fields)


def series(values: Sequence[float], *, entity_id: str = "12", start_ms: int = T0,
           step_ms: int = STEP, metric: str = "longest_wait_s") -> SeriesSamples:
    """One queue series with a point every ``step_ms``."""
    return SeriesSamples(
        series_id=int(entity_id), source="trio", entity_kind="queue", entity_id=entity_id,
        entity_name=f"Queue {entity_id}", metric=metric, unit="s",
        points=tuple((start_ms + i * step_ms, float(v)) for i, v in enumerate(values)),
    )


def run(rule: Rule, *data: SeriesSamples, opens: Sequence[SeriesSamples] = ()) -> BacktestResult:
    end = max(s.points[-1][0] for s in data) + STEP
    return backtest(rule, data, until_ms=end, step_ms=STEP, open_series=opens)


def test_it_fires_only_when_a_breach_holds_for_the_pending_period() -> None:
    rule = wait_rule(pending_s=30)
    short = run(rule, series([0, 16, 16, 16, 0, 0]))  # breach seen for 20 s
    assert (short.alerts, short.series_fired, short.firing_ms) == (0, 0, 0)
    held = run(rule, series([0, 16, 16, 16, 16, 16, 0, 0]))  # 40 s: fires at the 4th
    assert (held.alerts, held.series_fired) == (1, 1)
    assert held.by_severity == {Severity.WARNING: 1, Severity.CRITICAL: 0}
    assert held.firing_ms == 20 * S  # firing from 40 s until the value drops at 60 s


def test_it_counts_one_alert_where_hysteresis_holds_and_two_without() -> None:
    wobbling = series([0, 16, 14, 16, 14, 11, 0])
    assert run(wait_rule(), wobbling).alerts == 2
    with_recovery = run(wait_rule(recovery_warning=12), wobbling)
    assert with_recovery.alerts == 1
    assert with_recovery.firing_ms == 40 * S  # 10 s .. 50 s, where 11 < 12 recovers


def test_it_counts_an_alert_by_the_highest_severity_it_reached() -> None:
    result = run(wait_rule(), series([0, 16, 25, 16, 0]), series([16, 0], entity_id="4"))
    assert result.alerts == 2 and result.series == 2 and result.series_fired == 2
    assert result.by_severity == {Severity.WARNING: 1, Severity.CRITICAL: 1}
    assert result.points == 7


def test_it_keeps_firing_for_the_set_time_even_across_a_gap_in_the_data() -> None:
    rule = wait_rule(keep_firing_for_s=30)
    # 16 at 0 s, recovered at 10 s, next point only at 100 s: a tick ends it at 40 s.
    gap = SeriesSamples(series_id=1, source="trio", entity_kind="queue", entity_id="12",
                        entity_name="Q", metric="longest_wait_s", unit="s",
                        points=((T0, 16.0), (T0 + 10 * S, 0.0), (T0 + 100 * S, 0.0)))
    result = backtest(rule, [gap], until_ms=T0 + 110 * S, step_ms=STEP)
    assert result.alerts == 1
    assert result.firing_ms == 40 * S
    assert result.observed_ms == 110 * S
    assert result.firing_share == pytest.approx(40 / 110)


def test_it_replays_missing_data_as_the_rule_handles_it() -> None:
    alerting = wait_rule(no_data_after_s=60, no_data="alerting")
    gap = SeriesSamples(series_id=1, source="trio", entity_kind="queue", entity_id="12",
                        entity_name="Q", metric="longest_wait_s", unit="s",
                        points=((T0, 0.0), (T0 + 300 * S, 0.0)))
    assert backtest(alerting, [gap], until_ms=T0 + 310 * S, step_ms=STEP).nodata_alerts == 1
    keep_last = wait_rule(no_data_after_s=60)
    assert backtest(keep_last, [gap], until_ms=T0 + 310 * S, step_ms=STEP).nodata_alerts == 0


def test_a_while_open_rule_fires_only_while_its_queue_is_known_open() -> None:
    rule = wait_rule(active="while_open")
    waits = series([16, 16, 16, 16, 16, 16])
    closed_then_open = series([0, 0, 0, 1, 1, 1], metric="open")
    result = run(rule, waits, opens=[closed_then_open])
    assert result.alerts == 1 and result.firing_ms == 30 * S
    assert run(rule, waits).alerts == 0  # open unknown: never fires
    stale_open = series([1], metric="open")  # one value at T0, then nothing
    # Fires while the open value is fresh; once it is stale the alert is held, as live
    # (unknown is not closed): it stays firing to the end of the range.
    assert run(rule, waits, opens=[stale_open]).firing_ms == 60 * S
    other_queue = series([1] * 6, entity_id="4", metric="open")
    assert run(rule, waits, opens=[other_queue]).alerts == 0


def test_it_reports_no_share_without_data_and_refuses_derived_metrics() -> None:
    assert backtest(wait_rule(), [], until_ms=T0, step_ms=STEP).firing_share is None
    down = validate_rule({"name": "Worker down", "metric": "state_down",
                          "direction": "above", "critical": 1})
    assert not backtestable(down) and backtestable(wait_rule())
    with pytest.raises(ValueError, match="derived"):
        run_backtests(_NoSamples(), [down], now_ms=T0)


class _NoSamples:
    def samples_for(self, metric: str, **_kwargs: Any) -> list[SeriesSamples]:
        raise AssertionError("a derived metric must not be read")


def test_the_spans_thin_to_at_most_about_ten_thousand_points_a_series() -> None:
    assert [(s.name, s.duration_ms // s.bucket_ms) for s in SPANS] == [
        ("24h", 8640), ("7d", 10080)]
    assert SPANS[1].duration_ms == 7 * DAY_MS


_values = st.lists(st.sampled_from([0.0, 10.0, 13.0, 15.0, 16.0, 18.0, 20.0, 25.0]),
                   min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(values=_values, opens=st.lists(st.booleans(), min_size=60, max_size=60),
       recovery=st.booleans(), pending_s=st.sampled_from([0, 20]),
       keep_s=st.sampled_from([0, 25]), active=st.sampled_from(["always", "while_open"]),
       gaps=st.lists(st.sampled_from([1, 1, 1, 4]), min_size=60, max_size=60))
def test_its_shortcuts_for_calm_and_steady_points_change_no_result(
    values: list[float], opens: list[bool], recovery: bool, pending_s: int, keep_s: int,
    active: str, gaps: list[int],
) -> None:
    rule = wait_rule(pending_s=pending_s, keep_firing_for_s=keep_s, active=active,
                     no_data_after_s=30, no_data="alerting",
                     **({"recovery_warning": 12, "recovery_critical": 17} if recovery else {}))
    times = [T0 + sum(gaps[:i]) * STEP for i in range(len(values))]
    data = SeriesSamples(1, "trio", "queue", "12", "Q", "longest_wait_s", "s",
                         tuple(zip(times, values, strict=True)))
    open_points = SeriesSamples(2, "trio", "queue", "12", "Q", "open", "bool",
                                tuple((ts, float(o)) for ts, o in zip(times, opens,
                                                                       strict=False)))
    until = times[-1] + STEP

    def replay() -> BacktestResult:
        return backtest(rule, [data], until_ms=until, step_ms=STEP, open_series=[open_points])

    fast = replay()
    with mock.patch.object(backtest_module._Replay, "_unchanged", return_value=False):
        slow = replay()
    assert fast == slow


# -- over stored samples (SQLite and PostgreSQL) ---------------------------------------------

NOW = 1_700_000_000_000
MINUTE = 60 * S


def _store_points(store: Store, metric: str, points: list[tuple[int, float]],
                  queue: str = "12") -> None:
    key = SeriesKey("trio", "queue", queue, metric, "s", f"Queue {queue}")
    store.write_batches(
        [PollWrite(source="trio", samples=[Sample(key, ts, value)], agents=None,
                   facts=facts(ts)) for ts, value in points],
        lease_name=None, lease_token=None, now_ms=NOW)


def test_it_reads_the_worst_value_of_each_bucket_so_thinning_hides_no_breach(
    store: Store, engine: Engine
) -> None:
    # Five-second samples: one of 85 % in a minute of 95 % service level.
    base = NOW - 2 * 3600 * S
    points = [(base + i * 5 * S, 85.0 if i == 7 else 95.0) for i in range(36)]
    _store_points(store, "service_level_pct", points)
    below = validate_rule({"name": "SL", "metric": "service_level_pct", "direction": "below",
                           "warning": 90, "scope": {"entity_kind": "queue"}})
    day, week = run_backtests(AlertStore(engine), [below], now_ms=NOW)
    assert (day.results[0].alerts, week.results[0].alerts) == (1, 1)
    assert day.results[0].points == 18 and week.results[0].points == 3  # 10 s / 1 min


def test_a_while_open_rule_reads_the_queues_open_series_from_storage(
    store: Store, engine: Engine
) -> None:
    start = NOW - 3600 * S
    waits = [(start + i * MINUTE, 30.0) for i in range(10)]
    opens = [(start + i * MINUTE, 1.0 if i >= 5 else 0.0) for i in range(10)]
    _store_points(store, "longest_wait_s", waits)
    _store_points(store, "open", opens)
    _store_points(store, "longest_wait_s", waits, queue="4")  # no open series: unknown
    rule = wait_rule(active="while_open", scope={"entity_kind": "queue"})
    day, week = run_backtests(AlertStore(engine), [rule, wait_rule()], now_ms=NOW)
    while_open, always = day.results
    assert (while_open.series, while_open.series_fired, while_open.alerts) == (2, 1, 1)
    assert while_open.by_severity[Severity.CRITICAL] == 1
    assert (always.series_fired, always.alerts) == (2, 2)
    assert week.results[0].firing_ms == 5 * MINUTE
