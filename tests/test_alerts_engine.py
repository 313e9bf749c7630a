"""alerts.engine: scripted series with timestamps for every transition, and properties
over random series (one "firing" per alert; firing ends only past recovery)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts import (
    AlertEvent,
    AlertState,
    AlertStatus,
    Direction,
    Rule,
    Severity,
    Transition,
    errored,
    evaluate,
    rule_as_mapping,
    validate_rule,
)

T0 = 1_780_000_000_000  # epoch ms; every step below is seconds after it
S = 1000
NO_VALUE = None


def wait_rule(**fields: Any) -> Rule:
    base: dict[str, Any] = {"name": "Longest wait", "metric": "longest_wait_s",
                            "direction": "above", "warning": 15, "critical": 20}
    return validate_rule(base | fields)


@dataclass
class Step:
    at_s: float
    state: AlertState
    severity: Severity | None
    event: AlertEvent | None
    changed: bool


def run(
    rule: Rule,
    series: Sequence[tuple[float, float | None] | tuple[float, float | None, bool | None]],
    status: AlertStatus | None = None,
) -> list[Step]:
    """Evaluate ``(seconds, value[, queue_open])`` in order; a value of None is a tick
    without a new sample (the stored one keeps its timestamp)."""
    steps: list[Step] = []
    for item in series:
        at_s, value = item[0], item[1]
        queue_open = item[2] if len(item) > 2 else None
        now_ms = T0 + int(at_s * S)
        result = evaluate(rule, status, value=value, value_ms=None if value is None else now_ms,
                          now_ms=now_ms, queue_open=queue_open)
        status = result.status
        steps.append(Step(at_s, status.state, status.severity, result.event, result.changed))
    return steps


def events(steps: list[Step]) -> list[tuple[float, AlertEvent]]:
    return [(step.at_s, step.event) for step in steps if step.event is not None]


def states(steps: list[Step]) -> list[tuple[AlertState, Severity | None]]:
    return [(step.state, step.severity) for step in steps]


OK = (AlertState.OK, None)
WARN = (AlertState.FIRING, Severity.WARNING)
CRIT = (AlertState.FIRING, Severity.CRITICAL)
E = AlertEvent


# -- breach, pending ------------------------------------------------------------------


def test_it_fires_at_once_with_no_pending_period() -> None:
    steps = run(wait_rule(), [(0, 10), (5, 16), (10, 17)])
    assert states(steps) == [OK, WARN, WARN]
    assert events(steps) == [(5, E.FIRING)]


def test_it_fires_at_the_threshold_itself_for_above() -> None:
    assert states(run(wait_rule(), [(0, 15)])) == [WARN]
    assert states(run(wait_rule(), [(0, 14.99)])) == [OK]


def test_it_waits_out_the_pending_period_before_firing() -> None:
    steps = run(wait_rule(pending_s=15), [(0, 16), (5, 17), (10, 16), (14, 18), (15, 16)])
    assert [step.state for step in steps] == [AlertState.PENDING] * 4 + [AlertState.FIRING]
    assert steps[0].severity is Severity.WARNING
    assert events(steps) == [(0, E.PENDING), (15, E.FIRING)]


def test_it_fires_a_pending_breach_at_the_severity_reached_meanwhile() -> None:
    steps = run(wait_rule(pending_s=10), [(0, 16), (5, 25), (10, 22)])
    assert states(steps) == [(AlertState.PENDING, Severity.WARNING),
                             (AlertState.PENDING, Severity.CRITICAL), CRIT]
    assert events(steps) == [(0, E.PENDING), (10, E.FIRING)]


def test_it_cancels_a_pending_breach_quietly() -> None:
    steps = run(wait_rule(pending_s=15), [(0, 16), (5, 17), (10, 14), (15, 16)])
    assert [step.state for step in steps] == [
        AlertState.PENDING, AlertState.PENDING, AlertState.OK, AlertState.PENDING]
    assert steps[2].changed and steps[2].event is None
    assert events(steps) == [(0, E.PENDING), (15, E.PENDING)]


def test_it_never_promotes_a_pending_breach_without_a_new_sample() -> None:
    # A tick at 30 s with no new value: the breach was last seen at 5 s, not held 15 s.
    steps = run(wait_rule(pending_s=15), [(0, 16), (5, 16), (30, NO_VALUE), (31, 16)])
    assert [step.state for step in steps] == [AlertState.PENDING] * 3 + [AlertState.FIRING]
    assert events(steps) == [(0, E.PENDING), (31, E.FIRING)]


# -- severity -------------------------------------------------------------------------


def test_it_escalates_and_deescalates_past_the_critical_recovery() -> None:
    rule = wait_rule(recovery_warning=12, recovery_critical=17)
    steps = run(rule, [(0, 16), (5, 21), (10, 18), (15, 17), (20, 16.9), (25, 13), (30, 11.9)])
    assert states(steps) == [WARN, CRIT, CRIT, CRIT, WARN, WARN, OK]
    assert events(steps) == [(0, E.FIRING), (5, E.ESCALATED), (20, E.DEESCALATED),
                             (30, E.RESOLVED)]


def test_it_escalates_only_at_the_critical_threshold_not_its_recovery() -> None:
    steps = run(wait_rule(recovery_critical=17), [(0, 16), (5, 18), (10, 19.9), (15, 20)])
    assert states(steps) == [WARN, WARN, WARN, CRIT]


def test_it_escalates_without_a_pending_period() -> None:
    steps = run(wait_rule(pending_s=10), [(0, 16), (10, 16), (11, 25)])
    assert events(steps) == [(0, E.PENDING), (10, E.FIRING), (11, E.ESCALATED)]


def test_it_resolves_a_critical_straight_to_ok_when_the_value_falls_past_both() -> None:
    steps = run(wait_rule(), [(0, 25), (5, 3)])
    assert events(steps) == [(0, E.FIRING), (5, E.RESOLVED)]


def test_it_fires_a_critical_only_rule() -> None:
    steps = run(wait_rule(warning=None), [(0, 19), (5, 20), (10, 19.5)])
    assert states(steps) == [OK, CRIT, OK]


def test_it_mirrors_every_comparison_for_below() -> None:
    rule = validate_rule({"name": "SL", "metric": "service_level_pct", "direction": "below",
                          "warning": 80, "critical": 60, "recovery_warning": 82,
                          "recovery_critical": 65})
    steps = run(rule, [(0, 80), (5, 79.9), (10, 59), (15, 64), (20, 65), (25, 81), (30, 82)])
    assert states(steps) == [OK, WARN, CRIT, CRIT, WARN, WARN, OK]
    assert events(steps) == [(5, E.FIRING), (10, E.ESCALATED), (20, E.DEESCALATED),
                             (30, E.RESOLVED)]


# -- hysteresis -----------------------------------------------------------------------


HOVERING = [(i * 5, 14.0 if i % 2 else 16.0) for i in range(20)]  # 16, 14, 16, 14, ...


def test_it_fires_once_for_a_value_hovering_at_the_threshold() -> None:
    steps = run(wait_rule(recovery_warning=12), [*HOVERING, (100, 11.9)])
    assert events(steps) == [(0, E.FIRING), (100, E.RESOLVED)]


def test_it_flaps_on_the_same_series_without_a_recovery_threshold() -> None:
    # What hysteresis is for: the default recovery is the threshold itself.
    steps = run(wait_rule(), HOVERING)
    assert [event for _, event in events(steps)].count(E.FIRING) == 10


def test_it_needs_the_threshold_again_not_the_recovery_to_re_fire() -> None:
    steps = run(wait_rule(recovery_warning=12), [(0, 16), (5, 11), (10, 14), (15, 15)])
    assert states(steps) == [WARN, OK, OK, WARN]


# -- keep firing for ------------------------------------------------------------------


def test_it_keeps_firing_after_recovery_and_continues_on_a_re_breach() -> None:
    rule = wait_rule(keep_firing_for_s=60)
    steps = run(rule, [(0, 16), (10, 5), (40, 17), (50, 5), (100, NO_VALUE), (109, 6),
                       (110, NO_VALUE)])
    assert [step.state for step in steps] == [
        AlertState.FIRING, AlertState.RECOVERING, AlertState.FIRING, AlertState.RECOVERING,
        AlertState.RECOVERING, AlertState.RECOVERING, AlertState.OK]
    assert all(step.severity is Severity.WARNING for step in steps[:6])
    assert events(steps) == [(0, E.FIRING), (10, E.RECOVERING), (50, E.RECOVERING),
                             (110, E.RESOLVED)]
    assert steps[2].event is None  # the re-breach at 40 s is the same alert


def test_it_keeps_the_alerts_start_through_recovering_and_re_breach() -> None:
    rule = wait_rule(keep_firing_for_s=60)
    status = None
    for at_s, value in [(0, 16), (10, 5), (40, 17)]:
        now = T0 + at_s * S
        status = evaluate(rule, status, value=value, value_ms=now, now_ms=now).status
    assert status is not None and status.since_ms == T0


def test_it_escalates_a_re_breach_while_recovering() -> None:
    steps = run(wait_rule(keep_firing_for_s=60), [(0, 16), (10, 5), (20, 21)])
    assert events(steps) == [(0, E.FIRING), (10, E.RECOVERING), (20, E.ESCALATED)]


# -- no data --------------------------------------------------------------------------


def test_it_alerts_on_no_data_and_clears_when_data_returns() -> None:
    rule = wait_rule(no_data_after_s=30, no_data="alerting")
    steps = run(rule, [(0, 5), (30, NO_VALUE), (31, NO_VALUE), (40, NO_VALUE), (50, 6)])
    assert [step.state for step in steps] == [
        AlertState.OK, AlertState.OK, AlertState.NODATA, AlertState.NODATA, AlertState.OK]
    assert events(steps) == [(31, E.NODATA), (50, E.NODATA_RESOLVED)]
    assert not steps[3].changed


def test_it_counts_no_data_from_the_first_evaluation_of_a_new_series() -> None:
    rule = wait_rule(no_data_after_s=30, no_data="alerting")
    steps = run(rule, [(0, NO_VALUE), (30, NO_VALUE), (31, NO_VALUE)])
    assert events(steps) == [(31, E.NODATA)]


def test_it_continues_a_firing_alert_through_no_data_without_firing_again() -> None:
    rule = wait_rule(no_data_after_s=30, no_data="alerting")
    steps = run(rule, [(0, 21), (31, NO_VALUE), (40, 22), (45, 5)])
    assert states(steps) == [CRIT, (AlertState.NODATA, Severity.CRITICAL), CRIT, OK]
    assert events(steps) == [(0, E.FIRING), (31, E.NODATA), (40, E.NODATA_RESOLVED),
                             (45, E.RESOLVED)]


def test_it_resolves_a_firing_alert_whose_data_returns_recovered() -> None:
    rule = wait_rule(no_data_after_s=30, no_data="alerting")
    steps = run(rule, [(0, 21), (31, NO_VALUE), (40, 5)])
    assert events(steps) == [(0, E.FIRING), (31, E.NODATA), (40, E.RESOLVED)]


def test_it_fires_when_data_returns_breaching_after_a_no_data_alert() -> None:
    rule = wait_rule(no_data_after_s=30, no_data="alerting")
    steps = run(rule, [(0, 5), (31, NO_VALUE), (40, 16)])
    assert events(steps) == [(31, E.NODATA), (40, E.FIRING)]


def test_it_leaves_no_data_into_pending_with_a_pending_period() -> None:
    rule = wait_rule(no_data_after_s=30, no_data="alerting", pending_s=10)
    steps = run(rule, [(0, 5), (31, NO_VALUE), (40, 16), (50, 16)])
    assert events(steps) == [(31, E.NODATA), (40, E.NODATA_RESOLVED), (50, E.FIRING)]


def test_it_holds_a_firing_alert_on_no_data_under_policy_ok() -> None:
    # Missing data is no all-clear: the alert stays open until a value says how it stands.
    rule = wait_rule(no_data_after_s=30, no_data="ok")
    steps = run(rule, [(0, 21), (30, NO_VALUE), (31, NO_VALUE), (40, NO_VALUE), (50, 5)])
    assert states(steps) == [CRIT, CRIT, CRIT, CRIT, OK]
    assert events(steps) == [(0, E.FIRING), (50, E.RESOLVED)]


def test_it_stays_quiet_on_no_data_under_policy_ok_when_nothing_fired() -> None:
    rule = wait_rule(no_data_after_s=30, no_data="ok", pending_s=60)
    steps = run(rule, [(0, 16), (31, NO_VALUE)])
    assert states(steps) == [(AlertState.PENDING, Severity.WARNING), OK]
    assert events(steps) == [(0, E.PENDING)]


def test_it_keeps_the_last_state_on_no_data_under_policy_keep_last() -> None:
    rule = wait_rule(no_data_after_s=30, no_data="keep_last", keep_firing_for_s=20)
    steps = run(rule, [(0, 21), (31, NO_VALUE), (300, NO_VALUE), (310, 5), (340, NO_VALUE)])
    assert states(steps)[:3] == [CRIT, CRIT, CRIT]
    assert not steps[1].changed and not steps[2].changed
    assert events(steps) == [(0, E.FIRING), (310, E.RECOVERING), (340, E.RESOLVED)]


def test_it_freezes_recovering_under_keep_last() -> None:
    rule = wait_rule(no_data_after_s=30, no_data="keep_last", keep_firing_for_s=60)
    steps = run(rule, [(0, 16), (10, 5), (100, NO_VALUE)])
    assert steps[2].state is AlertState.RECOVERING  # data stopped: nothing to judge by


def test_it_ignores_no_data_without_a_limit() -> None:
    steps = run(wait_rule(), [(0, 21), (86_400, NO_VALUE)])
    assert states(steps) == [CRIT, CRIT]


# -- schedules ------------------------------------------------------------------------


def test_it_never_fires_while_the_queue_is_closed_or_unknown() -> None:
    rule = wait_rule(active="while_open")
    steps = run(rule, [(0, 25, False), (5, 25, None), (10, 25, True)])
    assert states(steps) == [OK, OK, CRIT]
    assert events(steps) == [(10, E.FIRING)]


def test_it_resolves_as_inactive_when_the_queue_closes() -> None:
    rule = wait_rule(active="while_open", keep_firing_for_s=60)
    steps = run(rule, [(0, 25, True), (5, 25, False), (10, 25, False), (15, 25, True)])
    assert states(steps) == [CRIT, OK, OK, CRIT]
    assert events(steps) == [(0, E.FIRING), (5, E.INACTIVE), (15, E.FIRING)]


def test_it_cancels_a_pending_breach_quietly_when_inactive() -> None:
    rule = wait_rule(active="while_open", pending_s=30)
    steps = run(rule, [(0, 25, True), (5, 25, False)])
    assert events(steps) == [(0, E.PENDING)]


def test_it_closes_a_no_data_alert_as_inactive() -> None:
    rule = wait_rule(active="while_open", no_data_after_s=10, no_data="alerting")
    steps = run(rule, [(0, 5, True), (11, NO_VALUE, True), (20, NO_VALUE, False)])
    assert events(steps) == [(11, E.NODATA), (20, E.INACTIVE)]


def test_it_resolves_a_firing_alert_when_its_window_ends() -> None:
    # 2026-03-30 is a Monday; 06:00 UTC is 08:00 CEST, 15:00 UTC is 17:00 CEST.
    monday_8 = 1_774_850_400_000
    rule = wait_rule(active="windows",
                     windows=[{"days": [0], "start": "08:00", "end": "17:00"}])
    status = None
    seen = []
    for at_ms, value in [(monday_8 - S, 25.0), (monday_8, 25.0), (monday_8 + 9 * 3600 * S, 25.0)]:
        result = evaluate(rule, status, value=value, value_ms=at_ms, now_ms=at_ms)
        status = result.status
        seen.append((status.state, result.event))
    assert seen == [(AlertState.OK, None), (AlertState.FIRING, E.FIRING),
                    (AlertState.OK, E.INACTIVE)]


def test_it_treats_a_disabled_rule_as_inactive() -> None:
    steps = run(wait_rule(), [(0, 25)])
    first = evaluate(wait_rule(), None, value=25, value_ms=T0, now_ms=T0)
    off = evaluate(wait_rule(enabled=False), first.status, value=25, value_ms=T0 + S,
                   now_ms=T0 + S)
    assert states(steps) == [CRIT]
    assert (off.status.state, off.event, off.status.reason) == (
        AlertState.OK, E.INACTIVE, "rule disabled by an administrator")


# -- inputs, status, errors -----------------------------------------------------------


def test_it_reports_a_first_evaluation_as_changed() -> None:
    result = evaluate(wait_rule(), None, value=3, value_ms=T0, now_ms=T0)
    assert result == Transition(result.status, True, None)
    assert result.status.state is AlertState.OK and result.status.last_value == 3.0


def test_it_ignores_an_older_sample_and_a_non_finite_value() -> None:
    rule = wait_rule()
    first = evaluate(rule, None, value=21, value_ms=T0 + 10 * S, now_ms=T0 + 10 * S)
    older = evaluate(rule, first.status, value=3, value_ms=T0, now_ms=T0 + 11 * S)
    nan = evaluate(rule, first.status, value=float("nan"), value_ms=T0 + 12 * S,
                   now_ms=T0 + 12 * S)
    assert older.status.state is nan.status.state is AlertState.FIRING
    assert older.status.last_value == nan.status.last_value == 21.0
    assert not older.changed and not nan.changed


def test_it_takes_a_value_without_a_timestamp_as_taken_now() -> None:
    result = evaluate(wait_rule(), None, value=16, value_ms=None, now_ms=T0)
    assert result.status.last_value_ms == T0


def test_it_explains_the_state_in_its_reason() -> None:
    result = evaluate(wait_rule(), None, value=21, value_ms=T0, now_ms=T0)
    assert result.status.reason == "longest_wait_s = 21 (critical at or above 20)"


def test_it_resumes_a_firing_alert_after_an_error_without_firing_again() -> None:
    rule = wait_rule()
    firing = evaluate(rule, None, value=21, value_ms=T0, now_ms=T0)
    failed = errored(firing.status, now_ms=T0 + S, reason="database unreachable")
    resumed = evaluate(rule, failed.status, value=22, value_ms=T0 + 2 * S, now_ms=T0 + 2 * S)
    resolved = evaluate(rule, resumed.status, value=1, value_ms=T0 + 3 * S, now_ms=T0 + 3 * S)
    assert (failed.status.state, failed.status.severity) == (AlertState.ERROR, Severity.CRITICAL)
    assert failed.changed and failed.event is None
    assert (resumed.status.state, resumed.event) == (AlertState.FIRING, None)
    assert resolved.event is E.RESOLVED


def test_it_starts_afresh_after_an_error_when_nothing_fired() -> None:
    failed = errored(None, now_ms=T0, reason="series unreadable")
    result = evaluate(wait_rule(), failed.status, value=16, value_ms=T0 + S, now_ms=T0 + S)
    assert (failed.status.severity, result.event) == (None, E.FIRING)


# -- properties over random series ----------------------------------------------------


@st.composite
def rules(draw: st.DrawFn, **fixed: Any) -> Rule:
    direction = draw(st.sampled_from(["above", "below"]))
    warning = draw(st.integers(0, 40))
    gap = draw(st.integers(1, 15))
    sign = 1 if direction == "above" else -1
    fields: dict[str, Any] = {
        "name": "random", "metric": "m", "direction": direction,
        "warning": warning, "critical": warning + sign * gap,
        "recovery_warning": warning - sign * draw(st.integers(0, 6)),
        "recovery_critical": warning + sign * gap - sign * draw(st.integers(0, 20)),
        "pending_s": draw(st.sampled_from([0, 5, 12])),
        "keep_firing_for_s": draw(st.sampled_from([0, 7, 30])),
    }
    if draw(st.booleans()):
        fields["critical"] = fields["recovery_critical"] = None
    return validate_rule(fields | fixed)


# (seconds since the previous step, value or None for a tick, queue open)
series = st.lists(
    st.tuples(st.integers(1, 20),
              st.one_of(st.none(), st.floats(-10, 70, allow_nan=False)),
              st.sampled_from([True, True, True, False, None])),
    max_size=60,
)


def replay(rule: Rule, steps: list[tuple[int, float | None, bool | None]]) -> list[
    tuple[AlertStatus | None, Transition]
]:
    out: list[tuple[AlertStatus | None, Transition]] = []
    status: AlertStatus | None = None
    now = T0
    for gap_s, value, queue_open in steps:
        now += gap_s * S
        result = evaluate(rule, status, value=value, value_ms=None if value is None else now,
                          now_ms=now, queue_open=queue_open)
        out.append((status, result))
        status = result.status
    return out


def recovered(rule: Rule, value: float, severity: Severity) -> bool:
    recovery = rule.recovery(severity)
    if recovery is None:
        return True
    return value < recovery if rule.direction is Direction.ABOVE else value >= recovery


@settings(max_examples=300, deadline=None)
@given(rules(), series)
def test_it_never_sends_firing_twice_without_resolved_between(
    rule: Rule, steps: list[tuple[int, float | None, bool | None]]
) -> None:
    open_alert = False
    for _, result in replay(rule, [(gap, value, True) for gap, value, _ in steps]):
        if result.event is E.FIRING:
            assert not open_alert
            open_alert = True
        elif result.event is E.RESOLVED:
            assert open_alert
            open_alert = False
        is_firing = result.status.state in (AlertState.FIRING, AlertState.RECOVERING)
        assert is_firing == open_alert


def breaches(rule: Rule, value: float, severity: Severity) -> bool:
    threshold = rule.threshold(severity)
    assert threshold is not None
    return value >= threshold if rule.direction is Direction.ABOVE else value < threshold


@settings(max_examples=300, deadline=None)
@given(rules(), series)
def test_it_leaves_firing_only_past_the_recovery_threshold(
    rule: Rule, steps: list[tuple[int, float | None, bool | None]]
) -> None:
    for before, result in replay(rule, [(gap, value, True) for gap, value, _ in steps]):
        after = result.status
        if before is None or before.state is not AlertState.FIRING:
            continue
        assert before.severity is not None and after.last_value is not None
        if after.state is not AlertState.FIRING:
            for severity in Severity:
                if severity is Severity.WARNING or before.severity is Severity.CRITICAL:
                    assert recovered(rule, after.last_value, severity)
        elif after.severity is Severity.WARNING and before.severity is Severity.CRITICAL:
            assert recovered(rule, after.last_value, Severity.CRITICAL)
        elif after.severity is Severity.CRITICAL and before.severity is Severity.WARNING:
            assert breaches(rule, after.last_value, Severity.CRITICAL)


@settings(max_examples=300, deadline=None)
@given(
    rules(active="while_open", no_data_after_s=25),
    st.sampled_from(["alerting", "ok", "keep_last"]),
    series,
)
def test_it_keeps_one_alert_at_a_time_with_no_data_and_closed_queues(
    rule: Rule, policy: str, steps: list[tuple[int, float | None, bool | None]]
) -> None:
    rule = validate_rule({**rule_as_mapping(rule), "no_data": policy})
    open_alert = False
    for (_, result), (_, _, queue_open) in zip(replay(rule, steps), steps, strict=True):
        if result.event is E.FIRING:
            assert not open_alert
            open_alert = True
        elif result.event in (E.RESOLVED, E.INACTIVE):
            open_alert = False
        if queue_open is None:  # unknown is not closed: an open alert is held
            assert result.event not in (E.RESOLVED, E.INACTIVE, E.NODATA_RESOLVED)
        elif queue_open is False:
            assert result.status.state is AlertState.OK
        if result.status.state in (AlertState.FIRING, AlertState.RECOVERING):
            assert open_alert
