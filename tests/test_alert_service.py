"""The alert evaluator on a real database (SQLite and PostgreSQL) with a manual clock:
stored values in, alert states, events and outbox rows out.

Values are written the way the collector writes them (``Store.write_poll``, fenced by the
lease); the evaluator is then called as the collector calls it: ``after_write`` after a
write, ``run`` on the tick.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from alerts import AlertEvaluator, EvaluatorConfig, rule_as_mapping, validate_rule
from alerts.inputs import (
    Input,
    data_age_inputs,
    drift_oldest_inputs,
    last_success_age_inputs,
    open_queues,
    state_down_inputs,
)
from alerts.service import default_rule_specs, entity_label, seed_default_rules
from collectors.clock import ManualClock
from storage import (
    AlertStore,
    CurrentRow,
    DriftResourceRow,
    LeaseLost,
    OutboxRow,
    PollWrite,
    RuleRow,
    Sample,
    SeriesKey,
    SourceFacts,
    StateRow,
    Store,
)

LEASE = "collector"
TTL_MS = 30 * 86400 * 1000  # long enough that no test outlives it by advancing the clock
LINK = "https://monitor.example.se/alerts"
QUEUE_RULE: dict[str, Any] = {
    "name": "Longest wait", "metric": "longest_wait_s", "scope": {"entity_kind": "queue"},
    "direction": "above", "warning": 15, "critical": 20,
    "warning_channels": ["ops-mail"], "critical_channels": ["pager", "ops-mail"],
}


class World:
    """A database holding the collector lease, a clock, and helpers to write and read."""

    def __init__(self, engine: Engine, clock: ManualClock) -> None:
        self.engine, self.clock = engine, clock
        self.store = Store(engine)
        self.alerts = AlertStore(engine)
        token = self.store.acquire_lease(LEASE, "test", TTL_MS, self.now_ms)
        assert token is not None
        self.token = token

    @property
    def now_ms(self) -> int:
        return int(self.clock.time() * 1000)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def evaluator(
        self, token: int | None = None, watched: Callable[[], set[str]] | None = None,
        **config: Any,
    ) -> AlertEvaluator:
        values: dict[str, Any] = {"lease_name": LEASE, "link": LINK, **config}
        evaluator = AlertEvaluator(
            self.engine, EvaluatorConfig(**values), clock=self.clock, seed_defaults=False,
            watched=watched,
        )
        evaluator.activate(self.token if token is None else token)
        return evaluator

    def rule(self, **fields: Any) -> RuleRow:
        mapping = rule_as_mapping(validate_rule({**QUEUE_RULE, **fields}))
        name, enabled = mapping.pop("name"), mapping.pop("enabled")
        mapping.pop("id")
        return self.alerts.create_rule(name, mapping, enabled, actor="admin", now_ms=self.now_ms)

    def write(self, source: str, samples: list[tuple[SeriesKey, float]], **facts: Any) -> None:
        now = self.now_ms
        self.store.write_poll(
            PollWrite(
                source=source, samples=[Sample(key, now, value) for key, value in samples],
                agents=None,
                facts=SourceFacts(name=source, kind=facts.pop("kind", "trio"), url="http://x",
                                  last_poll_at_ms=now, last_success_at_ms=now, **facts),
            ),
            lease_name=LEASE, lease_token=self.token, now_ms=now,
        )

    def queue(self, wait: float, *, queue_id: str = "12", name: str = "Kundtjänst",
              open_: float | None = None, source: str = "trio") -> None:
        samples = [(SeriesKey(source, "queue", queue_id, "longest_wait_s", "s", name), wait)]
        if open_ is not None:
            samples.append((SeriesKey(source, "queue", queue_id, "open", "bool", name), open_))
        self.write(source, samples)

    def state(self, rule: RuleRow, key: str = "trio|queue|12") -> StateRow:
        rows = [s for s in self.alerts.load_states([rule.id]) if s.series_key == key]
        assert rows, f"no state for {key}"
        return rows[0]

    def outbox(self) -> list[OutboxRow]:
        return sorted(self.alerts.outbox(limit=1000), key=lambda r: (r.id, r.channel))

    def events(self, rule: RuleRow) -> list[str]:
        return [e.event for e in reversed(self.alerts.events(rule_id=rule.id))]


@pytest.fixture
def world(engine: Engine, clock: ManualClock) -> World:
    return World(engine, clock)


async def poll_and_judge(world: World, evaluator: AlertEvaluator, wait: float, **kw: Any) -> None:
    """One poll a second after the last (a sample at the same time would not be stored)."""
    world.advance(1)
    world.queue(wait, **kw)
    await evaluator.after_write(frozenset({kw.get("source", "trio")}), world.token)


# -- firing, routing, hysteresis --------------------------------------------------------


async def test_it_fires_after_the_pending_period_with_an_event_and_outbox_rows(world):
    rule = world.rule(pending_s=10)
    evaluator = world.evaluator()

    await poll_and_judge(world, evaluator, 25)
    assert world.state(rule).state == "pending"
    assert world.outbox() == []

    world.advance(10)
    await poll_and_judge(world, evaluator, 26)

    state = world.state(rule)
    assert (state.state, state.severity) == ("firing", "critical")
    assert state.alert_id and state.opened_at_ms == world.now_ms
    assert state.last_notified_at_ms == world.now_ms
    assert world.events(rule) == ["pending", "firing"]
    rows = world.outbox()
    assert sorted(r.channel for r in rows) == ["ops-mail", "pager"]
    assert {r.kind for r in rows} == {"firing"} and {r.alert_id for r in rows} == {state.alert_id}
    payload = rows[0].payload
    assert payload["entity"] == "Kundtjänst (queue 12)"
    assert (payload["value"], payload["threshold"], payload["unit"]) == (26.0, 20.0, "s")
    assert (payload["severity"], payload["link"]) == ("critical", LINK)
    assert payload["since_ms"] == state.opened_at_ms


async def test_it_routes_a_warning_only_to_the_warning_channels(world):
    world.rule()
    evaluator = world.evaluator()

    await poll_and_judge(world, evaluator, 16)

    assert [(r.channel, r.payload["severity"]) for r in world.outbox()] == [("ops-mail", "warning")]


async def test_it_keeps_one_alert_through_hysteresis_and_resolves_to_every_severity_it_fired_at(
    world,
):
    rule = world.rule(recovery_warning=12, recovery_critical=17)
    evaluator = world.evaluator()

    await poll_and_judge(world, evaluator, 21)
    alert_id = world.state(rule).alert_id
    await poll_and_judge(world, evaluator, 18)  # under 20, not under the recovery 17
    assert (world.state(rule).state, world.state(rule).severity) == ("firing", "critical")
    await poll_and_judge(world, evaluator, 16)  # past 17: de-escalates, tells nobody
    assert world.state(rule).severity == "warning"
    await poll_and_judge(world, evaluator, 13)  # under 15, not under 12: still warning
    assert world.state(rule).state == "firing"
    assert len(world.outbox()) == 2

    await poll_and_judge(world, evaluator, 11)

    state = world.state(rule)
    assert (state.state, state.alert_id, state.ack_by) == ("ok", None, None)
    assert world.events(rule) == ["firing", "deescalated", "resolved"]
    resolved = [r for r in world.outbox() if r.kind == "resolved"]
    assert sorted(r.channel for r in resolved) == ["ops-mail", "pager"]
    assert {r.alert_id for r in resolved} == {alert_id}
    assert resolved[0].payload["since_ms"] == world.now_ms


async def test_an_escalation_is_sent_to_the_critical_channels_as_the_same_alert(world):
    rule = world.rule()
    evaluator = world.evaluator()
    await poll_and_judge(world, evaluator, 16)
    alert_id = world.state(rule).alert_id

    await poll_and_judge(world, evaluator, 21)

    assert world.events(rule) == ["firing", "escalated"]
    rows = world.outbox()
    assert [(r.channel, r.kind, r.payload["severity"]) for r in rows] == [
        ("ops-mail", "firing", "warning"),
        ("pager", "firing", "critical"), ("ops-mail", "firing", "critical"),
    ]
    assert {r.alert_id for r in rows} == {alert_id}


async def test_keep_firing_for_ends_on_the_tick_without_new_data(world):
    rule = world.rule(keep_firing_for_s=60)
    evaluator = world.evaluator()
    await poll_and_judge(world, evaluator, 25)
    await poll_and_judge(world, evaluator, 3)
    assert world.state(rule).state == "recovering"

    world.advance(59)  # 59 s after the recovered sample
    await evaluator.run(world.token)
    assert world.state(rule).state == "recovering"
    world.advance(1)
    await evaluator.run(world.token)

    assert world.state(rule).state == "ok"
    assert world.events(rule) == ["firing", "recovering", "resolved"]
    assert [r.kind for r in world.outbox()] == ["firing"] * 2 + ["resolved"] * 2


async def test_it_writes_a_state_only_when_it_changes_not_for_every_new_value(world):
    rule = world.rule()
    evaluator = world.evaluator()
    await poll_and_judge(world, evaluator, 21)
    version = world.state(rule).version

    for wait in (22, 23, 24):
        world.advance(5)
        await poll_and_judge(world, evaluator, wait)

    assert world.state(rule).version == version
    assert len(world.outbox()) == 2  # the firing rows only


# -- no data, schedules, open queues -----------------------------------------------------


async def test_it_alerts_on_missing_data_on_the_tick_and_resolves_when_data_returns(world):
    rule = world.rule(no_data_after_s=30, no_data="alerting")
    evaluator = world.evaluator()
    await poll_and_judge(world, evaluator, 5)

    world.advance(30)
    await evaluator.run(world.token)
    assert world.state(rule).state == "ok"  # 30 s is not over 30 s
    world.advance(1)
    await evaluator.run(world.token)

    state = world.state(rule)
    assert state.state == "nodata" and state.alert_id
    rows = world.outbox()
    assert [(r.channel, r.kind) for r in rows] == [("pager", "firing"), ("ops-mail", "firing")]
    # A no-data alert that never fired goes to the critical channels, without a value.
    assert {(r.payload["severity"], r.payload["value"]) for r in rows} == {("critical", None)}

    await poll_and_judge(world, evaluator, 6)

    assert world.state(rule).state == "ok" and world.state(rule).alert_id is None
    assert world.events(rule) == ["nodata", "nodata_resolved"]
    assert [r.kind for r in world.outbox()[2:]] == ["resolved", "resolved"]


async def test_it_fires_only_inside_the_rules_time_window(world):
    # The clock starts on Tuesday 2023-11-14 at 23:13:20 in Stockholm.
    window = {"days": [1], "start": "23:00", "end": "23:30"}
    rule = world.rule(active="windows", windows=[window])
    evaluator = world.evaluator()

    await poll_and_judge(world, evaluator, 25)
    assert world.state(rule).state == "firing"

    world.advance(20 * 60)  # 23:33: outside
    await evaluator.run(world.token)

    state = world.state(rule)
    assert state.state == "ok" and "time windows" in state.reason
    assert world.events(rule) == ["firing", "inactive"]
    assert [r.kind for r in world.outbox()].count("resolved") == 2


async def test_a_while_open_rule_needs_a_fresh_open_value(world):
    rule = world.rule(active="while_open")
    evaluator = world.evaluator(open_fresh_s=15)

    await poll_and_judge(world, evaluator, 25, open_=0.0)
    assert world.state(rule).state == "ok" and world.state(rule).reason == "queue closed"

    await poll_and_judge(world, evaluator, 25, open_=1.0)
    firing = world.state(rule)
    assert firing.state == "firing"

    world.advance(16)  # the open value is older than three polls now: unknown, not closed
    await evaluator.run(world.token)
    held = world.state(rule)
    assert (held.state, held.alert_id) == ("firing", firing.alert_id)


# -- silences, acknowledgements, repeats --------------------------------------------------


async def test_a_silenced_alert_is_stored_with_its_events_and_queues_nothing(world):
    rule = world.rule()
    world.alerts.create_silence(
        rule_id=rule.id, source=None, entity_kind=None, entity_ids=["12"],
        starts_at_ms=world.now_ms, ends_at_ms=world.now_ms + 600_000, reason="maintenance",
        actor="admin", now_ms=world.now_ms,
    )
    evaluator = world.evaluator()

    await poll_and_judge(world, evaluator, 25)

    assert world.state(rule).state == "firing"
    [event] = world.alerts.events(rule_id=rule.id)
    assert event.event == "firing" and event.silenced
    assert world.outbox() == []

    world.advance(600)  # the silence is over: people hear of the alert once
    await evaluator.run(world.token)
    assert [(r.channel, r.kind) for r in world.outbox()] == [("pager", "firing"),
                                                             ("ops-mail", "firing")]


async def test_an_acknowledged_alert_is_not_repeated_but_its_resolution_is_sent(world):
    rule = world.rule()
    evaluator = world.evaluator(repeat_interval_s=3600)
    await poll_and_judge(world, evaluator, 25)
    state = world.state(rule)
    world.alerts.acknowledge(rule.id, state.series_key, alert_id=state.alert_id or "",
                             user="anna", comment="on it", now_ms=world.now_ms)

    world.advance(3600)
    await poll_and_judge(world, evaluator, 25)
    await evaluator.run(world.token)
    assert [r.kind for r in world.outbox()] == ["firing", "firing"]

    await poll_and_judge(world, evaluator, 3)

    assert [r.kind for r in world.outbox()][2:] == ["resolved", "resolved"]
    assert world.state(rule).ack_by is None


async def test_it_repeats_a_firing_alert_after_the_interval_once_per_interval(world):
    rule = world.rule(critical=None, warning=15)
    evaluator = world.evaluator(repeat_interval_s=3600)
    await poll_and_judge(world, evaluator, 25)

    world.advance(3599)
    await evaluator.run(world.token)
    assert len(world.outbox()) == 1
    world.advance(1)
    await evaluator.run(world.token)
    await evaluator.run(world.token)

    rows = world.outbox()
    assert [(r.channel, r.kind) for r in rows] == [("ops-mail", "firing"), ("ops-mail", "repeat")]
    assert rows[1].payload["since_ms"] == world.state(rule).opened_at_ms
    assert world.state(rule).last_notified_at_ms == world.now_ms


async def test_a_repeat_interval_of_zero_never_repeats(world):
    world.rule()
    evaluator = world.evaluator(repeat_interval_s=0)
    await poll_and_judge(world, evaluator, 25)

    world.advance(7 * 86400)
    world.queue(25)
    await evaluator.run(world.token)

    assert [r.kind for r in world.outbox()] == ["firing", "firing"]


# -- restarts, two collectors ----------------------------------------------------------------


async def test_a_new_evaluator_resumes_a_firing_alert_without_notifying_again(world):
    rule = world.rule()
    first = world.evaluator()
    await poll_and_judge(world, first, 25)
    before = world.state(rule)

    second = world.evaluator()  # a restart: a new process on the same database
    world.advance(5)
    await poll_and_judge(world, second, 26)
    await second.run(world.token)

    after = world.state(rule)
    assert (after.state, after.alert_id, after.version) == ("firing", before.alert_id,
                                                            before.version)
    assert len(world.outbox()) == 2


async def test_a_collector_with_a_stale_lease_token_writes_nothing(world):
    rule = world.rule()
    stale = world.evaluator()
    world.store.release_lease(LEASE, "test", world.token, world.now_ms)
    newer = world.store.acquire_lease(LEASE, "other", TTL_MS, world.now_ms)
    assert newer is not None and newer != world.token
    old, world.token = world.token, newer
    world.queue(25)  # written by the collector holding the lease now

    with pytest.raises(LeaseLost):
        await stale.after_write(frozenset({"trio"}), old)

    assert world.alerts.load_states() == [] and world.outbox() == []
    fresh = world.evaluator(token=newer)
    fresh.evaluate(newer, {"trio"})
    assert world.state(rule).state == "firing" and len(world.outbox()) == 2


async def test_two_evaluators_racing_on_one_change_queue_it_once(world):
    rule = world.rule(critical=None)
    first, second = world.evaluator(), world.evaluator()
    await poll_and_judge(world, first, 5)
    await second.run(world.token)  # both know the OK row at the same version

    world.advance(1)
    world.queue(25)
    won = first.evaluate(world.token, {"trio"})
    lost = second.evaluate(world.token, {"trio"})

    assert (won.changes, lost.changes, lost.conflicts) == (1, 0, 1)
    assert world.state(rule).state == "firing"
    assert [(r.channel, r.kind) for r in world.outbox()] == [("ops-mail", "firing")]
    assert world.events(rule) == ["firing"]


# -- rules changing under the evaluator ------------------------------------------------------


async def test_a_rule_that_no_longer_validates_marks_its_states_error_and_others_go_on(world):
    broken = world.rule()
    other = world.rule(name="Long wait, warning only", critical=None, warning=10)
    evaluator = world.evaluator()
    await poll_and_judge(world, evaluator, 25)
    bad_spec = {**broken.spec, "direction": "sideways"}
    world.alerts.update_rule(broken.id, broken.name, bad_spec, True,
                             expected_version=broken.version, actor="admin",
                             now_ms=world.now_ms)

    await evaluator.run(world.token)
    await poll_and_judge(world, evaluator, 3)

    state = world.state(broken)
    assert state.state == "error" and "direction" in state.reason
    assert state.alert_id is not None  # the alert stays open until the rule is fixed
    assert world.state(other).state == "ok"


async def test_disabling_a_rule_resolves_its_open_alert(world):
    rule = world.rule()
    evaluator = world.evaluator()
    await poll_and_judge(world, evaluator, 25)

    world.alerts.update_rule(rule.id, rule.name, rule.spec, False,
                             expected_version=rule.version, actor="admin", now_ms=world.now_ms)
    await evaluator.run(world.token)

    state = world.state(rule)
    assert (state.state, state.reason, state.alert_id) == (
        "ok", "rule disabled by an administrator", None)
    assert [r.kind for r in world.outbox()][2:] == ["resolved", "resolved"]


async def test_narrowing_a_rules_scope_closes_and_then_forgets_the_states_left_out(world):
    rule = world.rule()
    evaluator = world.evaluator()
    await poll_and_judge(world, evaluator, 25, queue_id="12")
    await poll_and_judge(world, evaluator, 3, queue_id="13", name="Växel")
    assert {s.series_key for s in world.alerts.load_states()} == {"trio|queue|12",
                                                                  "trio|queue|13"}

    spec = {**rule.spec, "scope": {**rule.spec["scope"], "entity_ids": ["14"]}}
    world.alerts.update_rule(rule.id, rule.name, spec, True, expected_version=rule.version,
                             actor="admin", now_ms=world.now_ms)
    first = evaluator.evaluate(world.token)  # closes the open alert of queue 12
    second = evaluator.evaluate(world.token)

    assert first.deleted == 1 and second.deleted == 1
    assert world.alerts.load_states() == []
    assert [e.event for e in world.alerts.events(rule_id=rule.id)][0] == "inactive"
    assert [r.kind for r in world.outbox()][2:] == ["resolved", "resolved"]


async def test_a_rule_for_a_metric_with_no_series_makes_no_states(world):
    world.rule(metric="calls_waiting")
    evaluator = world.evaluator()

    await poll_and_judge(world, evaluator, 25)
    await evaluator.run(world.token)

    assert world.alerts.load_states() == []


# -- default rules and derived inputs ------------------------------------------------------


async def test_the_default_rules_are_seeded_once_per_database(world):
    assert seed_default_rules(world.engine, world.now_ms) == len(default_rule_specs())
    names = {r.name for r in world.alerts.list_rules()}
    assert "Longest wait" in names and "Worker down" in names
    deleted = next(r for r in world.alerts.list_rules() if r.name == "Source stale")
    world.alerts.delete_rule(deleted.id, expected_version=deleted.version, actor="admin",
                             now_ms=world.now_ms)

    evaluator = AlertEvaluator(world.engine, EvaluatorConfig(lease_name=LEASE), clock=world.clock)
    await evaluator.on_activate(world.token)

    assert seed_default_rules(world.engine, world.now_ms) == 0
    assert {r.name for r in world.alerts.list_rules()} == names - {"Source stale"}
    assert all(validate_rule({**r.spec, "name": r.name}) for r in world.alerts.list_rules())


async def test_worker_down_and_source_stale_judge_the_stored_source_facts(world):
    rules = {name: spec for name, spec in default_rule_specs()}
    down = world.alerts.create_rule("Worker down", rules["Worker down"], True, actor="a",
                                    now_ms=world.now_ms)
    stale = world.alerts.create_rule("Source stale", rules["Source stale"], True, actor="a",
                                     now_ms=world.now_ms)
    evaluator = world.evaluator()
    world.write("health:api", [], kind="health", state="down", state_since_ms=world.now_ms)
    await evaluator.after_write(frozenset({"health:api"}), world.token)

    assert world.state(down, "health:api|target|api").state == "firing"
    assert world.state(stale, "health:api|source|health:api").state == "ok"

    world.advance(61)
    await evaluator.run(world.token)

    source_state = world.state(stale, "health:api|source|health:api")
    assert (source_state.state, source_state.severity) == ("firing", "warning")


async def test_alerts_of_a_source_no_longer_watched_close_and_are_forgotten(world):
    rules = dict(default_rule_specs())
    down = world.alerts.create_rule("Worker down", rules["Worker down"], True, actor="a",
                                    now_ms=world.now_ms)
    watched = {"health:api"}
    evaluator = world.evaluator(watched=lambda: set(watched))
    world.write("health:api", [], kind="health", state="down", state_since_ms=world.now_ms)
    await evaluator.after_write(frozenset({"health:api"}), world.token)
    assert world.state(down, "health:api|target|api").state == "firing"

    watched.clear()  # the target was deleted; its facts stay in the database
    await evaluator.run(world.token)
    await evaluator.run(world.token)

    assert world.alerts.load_states() == []
    assert world.events(down) == ["firing", "inactive"]


def test_derived_inputs_are_computed_from_facts_at_the_evaluation_time():
    now = 1_000_000
    facts = [
        SourceFacts(name="health:api", kind="health", url="u", last_poll_at_ms=now - 5000,
                    last_success_at_ms=now - 20_000, state="down", state_since_ms=now - 9000),
        SourceFacts(name="trio", kind="trio", url="u", failing_since_ms=now - 7000),
        SourceFacts(name="health:new", kind="health", url="u"),
    ]
    [down] = state_down_inputs(facts)
    assert (down.key, down.value, down.ts_ms) == ("health:api|target|api", 1.0, now - 5000)
    ages = {i.entity_id: i.value for i in data_age_inputs(facts, now)}
    assert ages == {"health:api": 20.0, "trio": 7.0}

    count = CurrentRow(1, "drift:rec", "provider", "aws", "aws", "drift_count", "resources",
                     now, 2.0)
    quiet = CurrentRow(2, "drift:rec", "provider", "gcp", "gcp", "drift_count", "resources",
                     now, 0.0)
    resources = [
        DriftResourceRow("drift:rec", f"db{i}", "size", "aws", "database", "a", "b",
                         now - seconds * 1000, now)
        for i, seconds in enumerate((60, 1800))
    ]
    oldest = {i.entity_id: i.value for i in drift_oldest_inputs([count, quiet], resources, now)}
    assert oldest == {"aws": 1800.0, "gcp": 0.0}

    last = CurrentRow(3, "drift:rec", "reconciler", "rec", "rec", "last_success_ts", "s", now,
                    now / 1000 - 700)
    [age] = last_success_age_inputs([last], now)
    assert (age.key, age.value) == ("drift:rec|reconciler|rec", 700.0)


def test_a_queue_counts_as_open_only_while_its_open_value_is_fresh():
    now = 100_000
    rows = [
        CurrentRow(1, "trio", "queue", "12", "Kundtjänst", "open", "bool", now - 15_000, 1.0),
        CurrentRow(2, "trio", "queue", "13", "Växel", "open", "bool", now - 15_001, 1.0),
        CurrentRow(3, "trio", "queue", "14", "Kassa", "open", "bool", now, 0.0),
    ]
    assert open_queues(rows, now, 15_000) == {("trio", "12"): True, ("trio", "14"): False}


def test_an_entity_is_named_with_its_kind_and_id():
    def row(name: str, kind: str, entity_id: str) -> StateRow:
        item = Input("s", kind, entity_id, name, "m", "", 1.0, 0)
        return StateRow(1, item.key, "s", kind, entity_id, name, "m", "ok", None, 0, None,
                        None, None, None, "", None, None, None, None, None, None)

    assert entity_label(row("Kundtjänst", "queue", "12")) == "Kundtjänst (queue 12)"
    assert entity_label(row("api", "target", "api")) == "api (target)"
