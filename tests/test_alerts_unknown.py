"""alerts.engine: unknown is not closed. Every path that can close an alert, tried while
the data the rule needs is unknown (source failing, value stale, open/closed unknown):
the alert is held (or goes NODATA where the rule says so) and closes only on known,
fresh values; an administrator disabling the rule is the one close allowed meanwhile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alerts import AlertEvent, AlertState, AlertStatus, Rule, Severity, evaluate, validate_rule

E = AlertEvent
T0 = 1_780_000_000_000
S = 1000
FAILING = "source trio failing since 2026-06-28 20:26:40 UTC"
# Closing events: each would queue a "resolved" notification for an open alert.
CLOSING = (E.RESOLVED, E.INACTIVE, E.NODATA_RESOLVED)


def wait_rule(**fields: Any) -> Rule:
    base: dict[str, Any] = {"name": "Longest wait", "metric": "longest_wait_s",
                            "direction": "above", "warning": 15, "critical": 20}
    return validate_rule(base | fields)


@dataclass
class Alert:
    """One (rule, series) stepped through the engine on an injected clock (seconds after
    T0); ``events`` collects (second, event)."""

    rule: Rule
    status: AlertStatus | None = None
    events: list[tuple[float, AlertEvent]] = field(default_factory=list)

    def step(self, at_s: float, value: float | None = None, *, sample_at_s: float | None = None,
             queue_open: bool | None = None, unknown: str | None = None,
             rule: Rule | None = None) -> AlertStatus:
        now_ms = T0 + int(at_s * S)
        taken = at_s if sample_at_s is None else sample_at_s
        result = evaluate(rule or self.rule, self.status, value=value,
                          value_ms=None if value is None else T0 + int(taken * S),
                          now_ms=now_ms, queue_open=queue_open, unknown=unknown)
        self.status = result.status
        if result.event is not None:
            self.events.append((at_s, result.event))
        return result.status


def test_it_holds_a_firing_alert_while_its_source_fails_and_resolves_on_a_fresh_value():
    alert = Alert(wait_rule())
    alert.step(0, 25)
    for at in (5, 10, 60, 3600):  # the queue endpoint hangs: no values, source failing
        held = alert.step(at, unknown=FAILING)
        assert (held.state, held.severity) == (AlertState.FIRING, Severity.CRITICAL)
        assert held.reason.startswith(FAILING)

    alert.step(3605, 5)  # a real, fresh value
    assert alert.events == [(0, E.FIRING), (3605, E.RESOLVED)]


def test_it_holds_an_alert_whose_queue_open_state_became_unknown():
    alert = Alert(wait_rule(active="while_open"))
    alert.step(0, 25, queue_open=True)
    held = alert.step(20, queue_open=None)  # the open value went stale
    assert held.state is AlertState.FIRING and "open or closed unknown" in held.reason
    alert.step(25, 5, queue_open=True)
    assert alert.events == [(0, E.FIRING), (25, E.RESOLVED)]


def test_it_still_closes_as_inactive_when_the_queue_is_known_closed():
    alert = Alert(wait_rule(active="while_open"))
    alert.step(0, 25, queue_open=True)
    alert.step(10, queue_open=None)
    alert.step(15, 25, queue_open=False)  # a fresh "closed": a known fact
    assert alert.events == [(0, E.FIRING), (15, E.INACTIVE)]


def test_it_ignores_a_stale_value_that_would_resolve():
    alert = Alert(wait_rule())
    alert.step(0, 25)
    # A value is read, but the caller knows it is stale (the source answered without it).
    held = alert.step(30, 5, sample_at_s=1, unknown="no fresh longest_wait_s value")
    assert held.state is AlertState.FIRING
    assert alert.events == [(0, E.FIRING)]


def test_keep_firing_for_does_not_run_out_while_unknown():
    alert = Alert(wait_rule(keep_firing_for_s=30))
    alert.step(0, 25)
    alert.step(5, 5)  # recovered: firing kept for 30 s
    held = alert.step(100, unknown=FAILING)  # 30 s long over, but nobody knows the wait
    assert held.state is AlertState.RECOVERING
    alert.step(105, 5)  # a fresh recovered value: now it may end
    assert alert.events == [(0, E.FIRING), (5, E.RECOVERING), (105, E.RESOLVED)]


def test_a_window_ending_during_an_outage_closes_only_once_data_is_known():
    # 2026-03-30 is a Monday; 06:00 UTC is 08:00 CEST, 15:00 UTC is 17:00 CEST.
    monday_8 = 1_774_850_400_000
    rule = wait_rule(active="windows", windows=[{"days": [0], "start": "08:00", "end": "17:00"}])
    status = evaluate(rule, None, value=25, value_ms=monday_8, now_ms=monday_8).status
    after_17 = monday_8 + 9 * 3600 * S + S
    held = evaluate(rule, status, value=None, value_ms=None, now_ms=after_17, unknown=FAILING)
    assert (held.status.state, held.event) == (AlertState.FIRING, None)
    known = evaluate(rule, held.status, value=25, value_ms=after_17 + 5 * S,
                     now_ms=after_17 + 5 * S)
    assert (known.status.state, known.event) == (AlertState.OK, E.INACTIVE)


def test_it_goes_nodata_while_unknown_when_the_rule_says_alerting():
    alert = Alert(wait_rule(no_data_after_s=30, no_data="alerting"))
    alert.step(0, 25)
    alert.step(20, unknown=FAILING)
    nodata = alert.step(31, unknown=FAILING)
    assert (nodata.state, nodata.severity) == (AlertState.NODATA, Severity.CRITICAL)
    alert.step(60, unknown=FAILING)
    alert.step(65, 25)  # data returns, still breaching: the same alert goes on
    assert alert.events == [(0, E.FIRING), (31, E.NODATA), (65, E.NODATA_RESOLVED)]
    assert alert.status is not None and alert.status.state is AlertState.FIRING


def test_a_nodata_alert_is_not_resolved_by_an_unknown_value():
    alert = Alert(wait_rule(no_data_after_s=30, no_data="alerting"))
    alert.step(0, 5)
    alert.step(31)
    held = alert.step(40, 5, sample_at_s=40, unknown=FAILING)
    assert held.state is AlertState.NODATA
    assert alert.events == [(31, E.NODATA)]


def test_no_data_under_policy_ok_or_keep_last_never_closes_a_firing_alert():
    for policy in ("ok", "keep_last"):
        alert = Alert(wait_rule(no_data_after_s=30, no_data=policy))
        alert.step(0, 25)
        for at in (31, 300, 86_000):
            assert alert.step(at).state is AlertState.FIRING
            assert alert.step(at + 1, unknown=FAILING).state is AlertState.FIRING
        assert [event for _, event in alert.events] == [E.FIRING], policy


def test_an_edit_to_policy_ok_closes_a_nodata_alert_saying_why():
    alert = Alert(wait_rule(no_data_after_s=30, no_data="alerting"))
    alert.step(0, 5)
    alert.step(31)
    closed = alert.step(40, rule=wait_rule(no_data_after_s=30, no_data="ok"))
    assert closed.state is AlertState.OK and "policy changed to ok" in closed.reason
    assert alert.events == [(31, E.NODATA), (40, E.NODATA_RESOLVED)]


def test_disabling_the_rule_closes_even_while_unknown_and_says_who():
    alert = Alert(wait_rule())
    alert.step(0, 25)
    closed = alert.step(10, unknown=FAILING, rule=wait_rule(enabled=False))
    assert closed.state is AlertState.OK and closed.reason == "rule disabled by an administrator"
    assert alert.events == [(0, E.FIRING), (10, E.INACTIVE)]


def test_nothing_fires_or_promotes_on_unknown_data():
    fresh = Alert(wait_rule())
    assert fresh.step(0, 25, unknown=FAILING).state is AlertState.OK
    pending = Alert(wait_rule(pending_s=10))
    pending.step(0, 25)
    dropped = pending.step(5, unknown=FAILING)  # a gap is no breach seen to hold
    assert dropped.state is AlertState.OK
    pending.step(20, 25)
    assert [event for _, event in pending.events] == [E.PENDING, E.PENDING]


def test_no_closing_event_ever_happens_while_unknown():
    rules = [wait_rule(**extra) for extra in (
        {}, {"keep_firing_for_s": 10}, {"active": "while_open"},
        {"no_data_after_s": 10, "no_data": "ok"}, {"no_data_after_s": 10, "no_data": "alerting"},
        {"no_data_after_s": 10, "no_data": "keep_last"},
        {"active": "windows", "windows": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00",
                                           "end": "00:01"}]},
    )]
    for rule in rules:
        for start in (0, 25, 16):
            alert = Alert(rule)
            alert.step(0, start, queue_open=True)
            alert.step(2, 5, queue_open=True)  # recovering where keep-firing-for is set
            before = len(alert.events)
            for at in range(5, 7200, 45):
                alert.step(at, unknown=FAILING)
            assert not [e for _, e in alert.events[before:] if e in CLOSING], rule
