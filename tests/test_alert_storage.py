"""Alerting storage (AlertStore): rules with versions and audit, alert states by
compare-and-set under the lease fence, events, acknowledgements, silences, channels, the
notification outbox and the inputs of evaluation and backtests. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from storage import (
    AlertNotOpen,
    AlertStore,
    EventRow,
    LeaseLost,
    OutboxItem,
    PollWrite,
    RuleExists,
    Sample,
    SeriesKey,
    SourceFacts,
    StaleRule,
    StateChange,
    StateRow,
    Store,
    UnknownRule,
    UnknownSilence,
    _alert_states,
    make_engine,
    series_key,
)
from storage._alerts import INTERRUPTED
from storage._engine import writing

LEASE = "collector"
TTL = 3_600_000
T0 = 1_700_000_000_000
SPEC: dict[str, Any] = {"metric": "longest_wait_s", "direction": "above", "warning": 60.0}
KEY = series_key("trio", "queue", "12")
JOIN_S = 20


@pytest.fixture
def alerts(engine: Engine) -> AlertStore:
    return AlertStore(engine)


@pytest.fixture
def token(store: Store) -> int:
    got = store.acquire_lease(LEASE, "host-a:1", TTL, now_ms=T0)
    assert got is not None
    return got


def state(rule_id: int, key: str = KEY, *, to: str = "firing", alert_id: str | None = "a-1",
          value: float = 90.0) -> StateRow:
    source, kind, entity = key.split("|")
    return StateRow(
        rule_id=rule_id, series_key=key, source=source, entity_kind=kind, entity_id=entity,
        entity_name=f"Queue {entity}", metric="longest_wait_s", state=to, severity="warning",
        since_ms=T0, pending_since_ms=None, breach_ended_ms=None, last_value=value,
        last_value_ms=T0, reason="wait 90 s > 60 s", alert_id=alert_id, opened_at_ms=T0,
        last_notified_at_ms=None, ack_by=None, ack_at_ms=None, ack_comment=None,
    )


def event(row: StateRow, name: str = "firing", ts_ms: int = T0) -> EventRow:
    return EventRow(
        ts_ms=ts_ms, rule_id=row.rule_id, rule_name="Long wait", series_key=row.series_key,
        source=row.source, entity_kind=row.entity_kind, entity_id=row.entity_id,
        entity_name=row.entity_name, alert_id=row.alert_id, event=name, from_state="ok",
        to_state=row.state, severity=row.severity, value=row.last_value, reason=row.reason,
    )


def note(channel: str = "ops-mail", kind: str = "firing", *, due: int = T0,
         alert_id: str | None = "a-1") -> OutboxItem:
    return OutboxItem(channel=channel, kind=kind, alert_id=alert_id,
                      payload={"title": "Long wait", "när": "nu"}, due_at_ms=due)


def change(row: StateRow, expected: int | None, *, notify: bool = True) -> StateChange:
    return StateChange(row=row, expected_version=expected, event=event(row),
                       notifications=(note(),) if notify else ())


def rule(alerts: AlertStore, name: str = "Long wait") -> int:
    return alerts.create_rule(name, SPEC, True, actor="admin", now_ms=T0).id


# -- rules --------------------------------------------------------------------------------


def test_it_creates_rules_and_lists_them_by_name(alerts: AlertStore) -> None:
    created = alerts.create_rule("Waits", SPEC, True, actor="admin", now_ms=T0,
                                 client_addr="10.0.0.5")
    alerts.create_rule("Abandoned", {"metric": "abandoned"}, False, actor="admin", now_ms=T0)

    assert (created.name, created.spec, created.enabled, created.builtin) == (
        "Waits", SPEC, True, False)
    assert (created.version, created.created_at_ms, created.updated_by) == (1, T0, "admin")
    assert alerts.get_rule(created.id) == created
    assert [r.name for r in alerts.list_rules()] == ["Abandoned", "Waits"]
    second, first = alerts.audit_log(action_prefix="rule.create")  # newest first
    assert (first.actor, first.target, first.before, first.client_addr) == (
        "admin", f"rule:{created.id}", None, "10.0.0.5")
    assert first.after == {"id": created.id, "name": "Waits", "enabled": True,
                           "builtin": False, "version": 1, "spec": SPEC}
    assert (second.after["name"], second.client_addr) == ("Abandoned", None)


def test_it_refuses_a_second_rule_with_the_same_name(alerts: AlertStore) -> None:
    rule(alerts, "Waits")
    with pytest.raises(RuleExists, match='"Waits" exists already'):
        alerts.create_rule("Waits", SPEC, True, actor="admin", now_ms=T0)
    with pytest.raises(ValueError, match="needs a name"):
        alerts.create_rule("  ", SPEC, True, actor="admin", now_ms=T0)
    with pytest.raises(ValueError, match="at most 100"):
        alerts.create_rule("x" * 101, SPEC, True, actor="admin", now_ms=T0)
    assert len(alerts.list_rules()) == 1
    assert len(alerts.audit_log()) == 1


def test_it_raises_unknown_rule(alerts: AlertStore) -> None:
    with pytest.raises(UnknownRule, match="no alert rule has id 42"):
        alerts.get_rule(42)
    with pytest.raises(UnknownRule):
        alerts.update_rule(42, "x", SPEC, True, expected_version=1, actor="a", now_ms=T0)
    with pytest.raises(UnknownRule):
        alerts.delete_rule(42, expected_version=None, actor="a", now_ms=T0)


def test_it_updates_a_rule_with_its_version_and_audits_before_and_after(
    alerts: AlertStore,
) -> None:
    rule_id = rule(alerts)
    spec = {**SPEC, "warning": 120.0}
    updated = alerts.update_rule(rule_id, "Very long wait", spec, False, expected_version=1,
                                 actor="eva", now_ms=T0 + 1_000, client_addr="10.0.0.9")

    assert (updated.name, updated.spec, updated.enabled, updated.version) == (
        "Very long wait", spec, False, 2)
    assert (updated.created_at_ms, updated.updated_at_ms, updated.updated_by) == (
        T0, T0 + 1_000, "eva")
    [entry] = alerts.audit_log(action_prefix="rule.update")
    assert (entry.actor, entry.ts_ms, entry.client_addr) == ("eva", T0 + 1_000, "10.0.0.9")
    assert (entry.before["name"], entry.before["version"], entry.before["spec"]) == (
        "Long wait", 1, SPEC)
    assert (entry.after["name"], entry.after["version"], entry.after["spec"]) == (
        "Very long wait", 2, spec)


def test_it_refuses_an_edit_of_a_stale_version(alerts: AlertStore) -> None:
    rule_id = rule(alerts)
    alerts.update_rule(rule_id, "Long wait", SPEC, False, expected_version=1, actor="eva",
                       now_ms=T0)
    with pytest.raises(StaleRule, match="changed by someone else"):
        alerts.update_rule(rule_id, "Mine", {}, True, expected_version=1, actor="olle",
                           now_ms=T0)
    with pytest.raises(StaleRule):
        alerts.delete_rule(rule_id, expected_version=1, actor="olle", now_ms=T0)
    kept = alerts.get_rule(rule_id)
    assert (kept.name, kept.enabled, kept.version) == ("Long wait", False, 2)
    assert [e.action for e in alerts.audit_log()] == ["rule.update", "rule.create"]


def test_it_refuses_renaming_a_rule_onto_another(alerts: AlertStore) -> None:
    rule(alerts, "Waits")
    other = rule(alerts, "Abandoned")
    with pytest.raises(RuleExists):
        alerts.update_rule(other, "Waits", SPEC, True, expected_version=1, actor="a",
                           now_ms=T0)
    assert alerts.get_rule(other).name == "Abandoned"


def test_it_deletes_a_rule_with_its_states_and_keeps_the_events(
    alerts: AlertStore, token: int,
) -> None:
    rule_id = rule(alerts)
    keep = rule(alerts, "Other")
    row = state(rule_id)
    alerts.apply([change(row, None), change(replace(row, rule_id=keep), None)],
                 lease_name=LEASE, lease_token=token, now_ms=T0)

    deleted = alerts.delete_rule(rule_id, expected_version=1, actor="eva", now_ms=T0 + 5)

    assert deleted.id == rule_id
    assert [r.id for r in alerts.list_rules()] == [keep]
    assert [s.rule_id for s in alerts.load_states()] == [keep]
    assert len(alerts.events(rule_id=rule_id)) == 1
    entry = alerts.audit_log(action_prefix="rule.delete")[0]
    assert (entry.before["name"], entry.after) == ("Long wait", None)


# -- seeding ------------------------------------------------------------------------------


def test_it_seeds_the_default_rules_once(alerts: AlertStore) -> None:
    rule(alerts, "Taken")
    defaults = [("Long wait", SPEC), ("Taken", SPEC), ("Low service level", {"metric": "sl"})]

    assert alerts.seed_rules(defaults, now_ms=T0) == 2
    seeded = {r.name: r for r in alerts.list_rules()}
    assert seeded["Long wait"].builtin and seeded["Long wait"].updated_by == "system"
    assert not seeded["Taken"].builtin
    assert {e.actor for e in alerts.audit_log(action_prefix="rule.create")} == {
        "admin", "system"}

    alerts.delete_rule(seeded["Long wait"].id, expected_version=None, actor="a", now_ms=T0)
    assert alerts.seed_rules(defaults, now_ms=T0 + 1) == 0
    assert sorted(r.name for r in alerts.list_rules()) == ["Low service level", "Taken"]


def test_it_marks_seeding_done_even_with_no_rules(alerts: AlertStore) -> None:
    assert alerts.seed_rules([], now_ms=T0) == 0
    assert alerts.seed_rules([("Long wait", SPEC)], now_ms=T0) == 0
    assert alerts.list_rules() == []


@pytest.mark.parametrize("round_", range(3))
def test_it_seeds_once_when_two_processes_race(db_url: str, round_: int) -> None:
    engines = [make_engine(db_url), make_engine(db_url)]
    start = threading.Barrier(2, timeout=JOIN_S)
    created: dict[int, int] = {}
    defaults = [(f"Rule {n}", SPEC) for n in range(5)]

    def seed(index: int) -> None:
        start.wait()
        created[index] = AlertStore(engines[index]).seed_rules(defaults, now_ms=T0)

    threads = [threading.Thread(target=seed, args=(i,)) for i in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=JOIN_S)
        assert sorted(created.values()) == [0, 5]
        assert len(AlertStore(engines[0]).list_rules()) == 5
    finally:
        for engine in engines:
            engine.dispose()


# -- states: compare-and-set under the fence -----------------------------------------------


def test_it_inserts_a_new_state_with_its_event_and_notifications(
    alerts: AlertStore, token: int,
) -> None:
    rule_id = rule(alerts)
    row = state(rule_id)

    assert alerts.apply([change(row, None)], lease_name=LEASE, lease_token=token,
                        now_ms=T0 + 10) == [True]

    assert alerts.load_states() == [replace(row, version=1, updated_at_ms=T0 + 10)]
    [stored] = alerts.events()
    assert stored == replace(event(row), id=stored.id)
    [queued] = alerts.outbox()
    assert (queued.channel, queued.kind, queued.alert_id, queued.status) == (
        "ops-mail", "firing", "a-1", "queued")
    assert (queued.attempts, queued.created_at_ms, queued.due_at_ms) == (0, T0 + 10, T0)
    assert queued.payload == {"title": "Long wait", "när": "nu"}


def test_it_does_not_insert_a_state_twice(alerts: AlertStore, token: int) -> None:
    rule_id = rule(alerts)
    first = alerts.apply([change(state(rule_id), None)], lease_name=LEASE, lease_token=token,
                         now_ms=T0)
    second = alerts.apply([change(state(rule_id, value=1.0), None)], lease_name=LEASE,
                          lease_token=token, now_ms=T0 + 1)

    assert (first, second) == ([True], [False])
    assert [s.last_value for s in alerts.load_states()] == [90.0]
    assert len(alerts.events()) == 1 and len(alerts.outbox()) == 1


def test_it_applies_only_one_of_two_writers_with_the_same_version(
    alerts: AlertStore, token: int,
) -> None:
    rule_id = rule(alerts)
    alerts.apply([change(state(rule_id, to="pending", alert_id=None), None, notify=False)],
                 lease_name=LEASE, lease_token=token, now_ms=T0)
    # Two writers both read version 1; the first to write wins, the second must reload.
    first = alerts.apply([change(state(rule_id, alert_id="a-1"), 1)], lease_name=LEASE,
                         lease_token=token, now_ms=T0 + 1)
    second = alerts.apply([change(state(rule_id, alert_id="a-2"), 1)], lease_name=LEASE,
                          lease_token=token, now_ms=T0 + 2)

    assert (first, second) == ([True], [False])
    [row] = alerts.load_states()
    assert (row.alert_id, row.version, row.updated_at_ms) == ("a-1", 2, T0 + 1)
    assert [e.alert_id for e in alerts.events()] == ["a-1", None]
    assert [o.alert_id for o in alerts.outbox()] == ["a-1"]


@pytest.mark.parametrize("round_", range(3))
def test_it_lets_one_of_two_concurrent_writers_apply(
    db_url: str, token: int, round_: int,
) -> None:
    engines = [make_engine(db_url), make_engine(db_url)]
    rule_id = rule(AlertStore(engines[0]))
    start = threading.Barrier(2, timeout=JOIN_S)
    results: dict[int, list[bool]] = {}

    def write(index: int) -> None:
        row = state(rule_id, alert_id=f"a-{index}")
        start.wait()
        results[index] = AlertStore(engines[index]).apply(
            [change(row, None)], lease_name=LEASE, lease_token=token, now_ms=T0)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=JOIN_S)
        assert sorted(results.values()) == [[False], [True]]
        alerts = AlertStore(engines[0])
        winner = next(i for i, r in results.items() if r == [True])
        assert [s.alert_id for s in alerts.load_states()] == [f"a-{winner}"]
        assert [e.alert_id for e in alerts.events()] == [f"a-{winner}"]
        assert [o.alert_id for o in alerts.outbox()] == ["a-1"]  # the note's alert id
        assert len(alerts.outbox()) == 1
    finally:
        for engine in engines:
            engine.dispose()


def test_it_writes_nothing_with_a_stale_lease_token(
    alerts: AlertStore, store: Store, token: int,
) -> None:
    rule_id = rule(alerts)
    newer = store.acquire_lease(LEASE, "host-b:1", TTL, now_ms=T0 + TTL + 1)
    assert newer == token + 1

    with pytest.raises(LeaseLost):
        alerts.apply([change(state(rule_id), None)], lease_name=LEASE, lease_token=token,
                     now_ms=T0 + TTL + 2)
    with pytest.raises(LeaseLost):
        alerts.apply([], lease_name=LEASE, lease_token=token, now_ms=T0 + TTL + 2)
    assert alerts.load_states() == [] and alerts.events() == [] and alerts.outbox() == []


def test_it_writes_nothing_once_the_lease_expired(alerts: AlertStore, token: int) -> None:
    rule_id = rule(alerts)
    with pytest.raises(LeaseLost):
        alerts.apply([change(state(rule_id), None)], lease_name=LEASE, lease_token=token,
                     now_ms=T0 + TTL)
    assert alerts.load_states() == []


def test_it_applies_several_changes_of_one_row_in_order(
    alerts: AlertStore, token: int,
) -> None:
    rule_id = rule(alerts)
    pending = state(rule_id, to="pending", alert_id=None)
    firing = state(rule_id)
    resolved = state(rule_id, to="ok", alert_id=None)
    other = state(rule_id, series_key("trio", "queue", "13"))

    applied = alerts.apply(
        [change(pending, None), change(other, None), change(firing, 1), change(resolved, 1),
         change(replace(firing, reason="again"), 2)],
        lease_name=LEASE, lease_token=token, now_ms=T0,
    )

    assert applied == [True, True, True, False, True]
    by_key = {s.series_key: s for s in alerts.load_states()}
    assert (by_key[KEY].reason, by_key[KEY].version) == ("again", 3)
    assert len(alerts.events()) == 4 and len(alerts.outbox()) == 4


def test_it_refuses_changes_of_a_deleted_rule(alerts: AlertStore, token: int) -> None:
    gone = rule(alerts, "Gone")
    kept = rule(alerts)
    alerts.delete_rule(gone, expected_version=None, actor="a", now_ms=T0)

    applied = alerts.apply([change(state(gone), None), change(state(kept), None)],
                           lease_name=LEASE, lease_token=token, now_ms=T0)

    assert applied == [False, True]
    assert [s.rule_id for s in alerts.load_states()] == [kept]
    assert [e.rule_id for e in alerts.events()] == [kept]


def test_it_applies_thousands_of_changes_in_one_call(alerts: AlertStore, token: int) -> None:
    rule_id = rule(alerts)
    keys = [series_key("trio", "queue", str(n)) for n in range(2_100)]
    inserts = [change(state(rule_id, key), None) for key in keys]
    assert all(alerts.apply(inserts, lease_name=LEASE, lease_token=token, now_ms=T0))

    # Every other row was changed by someone else meanwhile (version 2): those fail.
    bumps = [change(state(rule_id, key, to="ok"), 1, notify=False) for key in keys[::2]]
    alerts.apply(bumps, lease_name=LEASE, lease_token=token, now_ms=T0 + 1)
    updates = [change(state(rule_id, key, to="recovering"), 1) for key in keys]
    applied = alerts.apply(updates, lease_name=LEASE, lease_token=token, now_ms=T0 + 2)

    assert applied == [n % 2 == 1 for n in range(len(keys))]
    states = {s.series_key: s for s in alerts.load_states([rule_id])}
    assert (states[keys[0]].state, states[keys[0]].version) == ("ok", 2)
    assert (states[keys[1]].state, states[keys[1]].version) == ("recovering", 2)
    assert len(alerts.events(limit=10_000)) == 2_100 + 1_050 + 1_050
    assert len(alerts.outbox(limit=10_000)) == 2_100 + 1_050


def test_it_leaves_a_row_another_writer_inserted_first_on_postgres(
    alerts: AlertStore, engine: Engine, token: int,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite: the writer lock held since BEGIN IMMEDIATE rules this out")
    rule_id = rule(alerts)
    alerts.apply([change(state(rule_id, alert_id="theirs"), None)], lease_name=LEASE,
                 lease_token=token, now_ms=T0)
    other = state(rule_id, series_key("trio", "queue", "13"))
    # The race apply() guards against: a row that was missing when the versions were
    # read has been inserted by someone else by the time of the insert.
    with writing(engine) as conn:
        inserted = _alert_states._insert_states(conn, [state(rule_id, alert_id="ours"), other], T0)

    assert inserted == {(rule_id, other.series_key)}
    assert [s.alert_id for s in alerts.load_states()] == ["theirs", "a-1"]


def test_it_loads_the_states_of_some_rules(alerts: AlertStore, token: int) -> None:
    first, second = rule(alerts, "A"), rule(alerts, "B")
    alerts.apply([change(state(second), None), change(state(first), None)],
                 lease_name=LEASE, lease_token=token, now_ms=T0)

    assert [s.rule_id for s in alerts.load_states()] == [first, second]
    assert [s.rule_id for s in alerts.load_states([second])] == [second]
    assert alerts.load_states([]) == []


def test_it_deletes_states_under_the_fence(
    alerts: AlertStore, store: Store, token: int,
) -> None:
    rule_id = rule(alerts)
    other = series_key("trio", "queue", "13")
    alerts.apply([change(state(rule_id), None), change(state(rule_id, other), None)],
                 lease_name=LEASE, lease_token=token, now_ms=T0)

    assert alerts.delete_states([(rule_id, KEY), (rule_id, "nope")], lease_name=LEASE,
                                lease_token=token) == 1
    assert [s.series_key for s in alerts.load_states()] == [other]
    store.acquire_lease(LEASE, "host-b:1", TTL, now_ms=T0 + TTL)
    with pytest.raises(LeaseLost):
        alerts.delete_states([(rule_id, other)], lease_name=LEASE, lease_token=token)
    with pytest.raises(LeaseLost):
        alerts.delete_states([(rule_id, other)], lease_name=LEASE, lease_token=token + 1,
                             now_ms=T0 + 2 * TTL)
    assert [s.series_key for s in alerts.load_states()] == [other]


# -- people acting on alerts --------------------------------------------------------------


def test_it_acknowledges_an_open_alert(alerts: AlertStore, token: int) -> None:
    rule_id = rule(alerts)
    alerts.apply([change(state(rule_id), None)], lease_name=LEASE, lease_token=token,
                 now_ms=T0)

    acked = alerts.acknowledge(rule_id, KEY, alert_id="a-1", user="eva",
                               comment=" looking into it ", now_ms=T0 + 60_000,
                               client_addr="10.0.0.7")

    assert (acked.ack_by, acked.ack_at_ms, acked.ack_comment) == (
        "eva", T0 + 60_000, "looking into it")
    assert (acked.version, acked.updated_at_ms) == (2, T0 + 60_000)
    assert alerts.load_states() == [acked]
    latest = alerts.events()[0]
    assert (latest.event, latest.actor, latest.reason, latest.rule_name) == (
        "acknowledged", "eva", "looking into it", "Long wait")
    assert (latest.alert_id, latest.from_state, latest.to_state) == ("a-1", "firing", "firing")
    [entry] = alerts.audit_log(action_prefix="alert.")
    assert (entry.action, entry.target, entry.client_addr) == ("alert.ack", "alert:a-1",
                                                                "10.0.0.7")
    assert (entry.before["ack_by"], entry.after["ack_by"]) == (None, "eva")
    assert entry.after["ack_comment"] == "looking into it"
    # The collector's next write with the version it had read fails: it reloads.
    assert alerts.apply([change(state(rule_id), 1)], lease_name=LEASE, lease_token=token,
                        now_ms=T0 + 61_000) == [False]


def test_it_refuses_to_acknowledge_an_alert_that_is_over(
    alerts: AlertStore, token: int,
) -> None:
    rule_id = rule(alerts)
    alerts.apply([change(state(rule_id, alert_id="a-2"), None)], lease_name=LEASE,
                 lease_token=token, now_ms=T0)

    with pytest.raises(AlertNotOpen, match="a-1 is no longer open"):
        alerts.acknowledge(rule_id, KEY, alert_id="a-1", user="eva", comment="", now_ms=T0)
    with pytest.raises(AlertNotOpen):
        alerts.acknowledge(rule_id, "trio|queue|99", alert_id="a-2", user="eva", comment="",
                           now_ms=T0)
    assert alerts.load_states()[0].ack_by is None
    assert [e.action for e in alerts.audit_log()] == ["rule.create"]
    assert [e.event for e in alerts.events()] == ["firing"]


def test_it_lists_states_for_the_pages(alerts: AlertStore, token: int) -> None:
    rule_id = rule(alerts)
    target = series_key("health:crm", "target", "crm")
    alerts.apply(
        [change(state(rule_id), None),
         change(state(rule_id, series_key("trio", "queue", "13"), to="ok", alert_id=None),
                None),
         change(state(rule_id, target, to="pending", alert_id=None), None)],
        lease_name=LEASE, lease_token=token, now_ms=T0,
    )

    assert len(alerts.states()) == 3
    assert [s.series_key for s in alerts.states(open_only=True)] == [target, KEY]
    assert [s.series_key for s in alerts.states(entity_kind="queue")] == [
        KEY, "trio|queue|13"]
    assert [s.state for s in alerts.states(open_only=True, entity_kind="queue")] == ["firing"]


def test_it_lists_events_newest_first_with_filters(alerts: AlertStore, token: int) -> None:
    rule_id = rule(alerts)
    other = series_key("trio", "queue", "13")
    changes = [
        StateChange(state(rule_id), None, event(state(rule_id), "pending", T0)),
        StateChange(state(rule_id, other), None, event(state(rule_id, other), "firing", T0 + 1)),
    ]
    alerts.apply(changes, lease_name=LEASE, lease_token=token, now_ms=T0)
    alerts.apply([StateChange(state(rule_id), 1, event(state(rule_id), "firing", T0 + 2))],
                 lease_name=LEASE, lease_token=token, now_ms=T0 + 2)

    assert [(e.series_key, e.event) for e in alerts.events()] == [
        (KEY, "firing"), (other, "firing"), (KEY, "pending")]
    assert [e.ts_ms for e in alerts.events(since_ms=T0 + 1)] == [T0 + 2, T0 + 1]
    assert [e.ts_ms for e in alerts.events(limit=1)] == [T0 + 2]
    assert [e.ts_ms for e in alerts.events(rule_id=rule_id, series_key=KEY)] == [T0 + 2, T0]
    assert alerts.events(rule_id=rule_id + 1) == []


# -- silences -----------------------------------------------------------------------------


def silence(alerts: AlertStore, *, starts: int = T0, ends: int = T0 + 3_600_000,
            ids: tuple[str, ...] = ("12",), rule_id: int | None = None) -> int:
    return alerts.create_silence(
        rule_id=rule_id, source="trio", entity_kind="queue", entity_ids=ids,
        starts_at_ms=starts, ends_at_ms=ends, reason="planned maintenance", actor="eva",
        now_ms=T0,
    ).id


def test_it_refuses_a_silence_that_ends_before_it_starts_or_has_no_reason(
    alerts: AlertStore,
) -> None:
    with pytest.raises(ValueError, match="the silence must end after it starts"):
        silence(alerts, starts=T0, ends=T0)
    with pytest.raises(ValueError, match="needs a reason"):
        alerts.create_silence(rule_id=None, source=None, entity_kind=None, entity_ids=[],
                              starts_at_ms=T0, ends_at_ms=T0 + 1, reason=" ", actor="eva",
                              now_ms=T0)
    assert alerts.silences() == [] and alerts.audit_log() == []


def test_it_creates_and_ends_silences_with_audit(alerts: AlertStore) -> None:
    rule_id = rule(alerts)
    silence_id = silence(alerts, rule_id=rule_id)
    [created] = alerts.silences()
    assert (created.id, created.rule_id, created.entity_ids, created.reason) == (
        silence_id, rule_id, ("12",), "planned maintenance")
    assert created.matches(rule_id, "trio", "queue", "12")
    assert not created.matches(rule_id, "trio", "queue", "13")
    assert not created.matches(rule_id + 1, "trio", "queue", "12")

    ended = alerts.end_silence(silence_id, actor="olle", now_ms=T0 + 60_000)
    assert (ended.ended_at_ms, ended.ended_by) == (T0 + 60_000, "olle")
    assert not ended.active_at(T0 + 60_000) and ended.active_at(T0 + 59_999)
    again = alerts.end_silence(silence_id, actor="kim", now_ms=T0 + 120_000)
    assert again == ended

    create, end = reversed(alerts.audit_log(action_prefix="silence."))
    assert (create.action, create.target, create.before) == (
        "silence.create", f"silence:{silence_id}", None)
    assert create.after["entity_ids"] == ["12"]
    assert (end.action, end.actor, end.before["ended_at_ms"], end.after["ended_at_ms"]) == (
        "silence.end", "olle", None, T0 + 60_000)
    with pytest.raises(UnknownSilence):
        alerts.end_silence(silence_id + 1, actor="olle", now_ms=T0)


def test_it_lists_silences_newest_first_and_those_active(alerts: AlertStore) -> None:
    past = silence(alerts, starts=T0 - 7_200_000, ends=T0 - 3_600_000)
    now = silence(alerts, ids=())
    later = silence(alerts, starts=T0 + 3_600_000, ends=T0 + 7_200_000)
    ended = silence(alerts)
    alerts.end_silence(ended, actor="eva", now_ms=T0 + 1)

    assert [s.id for s in alerts.silences()] == [ended, later, now, past]
    assert [s.id for s in alerts.silences(limit=2)] == [ended, later]
    assert [s.id for s in alerts.silences(active_at_ms=T0)] == [ended, now]
    assert [s.id for s in alerts.silences(active_at_ms=T0 + 1)] == [now]
    assert [s.id for s in alerts.silences(active_at_ms=T0 + 3_600_000)] == [later]
    every = alerts.silences(active_at_ms=T0)[1]
    assert every.entity_ids == () and every.matches(7, "trio", "queue", "99")


# -- channels -----------------------------------------------------------------------------


def test_it_syncs_the_configured_channels(alerts: AlertStore) -> None:
    alerts.sync_channels([("ops-mail", "email"), ("teams", "webhook")], now_ms=T0)
    alerts.set_channel_state("teams", state="failing", error="HTTP 500", now_ms=T0 + 1)
    alerts.set_channel_state("ops-mail", state="failing", error="refused", now_ms=T0 + 1)

    alerts.sync_channels([("ops-mail", "email"), ("teams", "slack"), ("new", "webhook")],
                         now_ms=T0 + 2)
    alerts.sync_channels([("teams", "slack"), ("new", "webhook")], now_ms=T0 + 3)

    rows = {c.name: c for c in alerts.channels()}
    assert list(rows) == ["new", "teams"]
    assert (rows["new"].state, rows["new"].state_since_ms) == ("ok", T0 + 2)
    teams = rows["teams"]  # the kind changed: the row started over
    assert (teams.kind, teams.state, teams.state_since_ms, teams.last_error) == (
        "slack", "ok", T0 + 2, None)


def test_it_records_delivery_outcomes_of_a_channel(alerts: AlertStore) -> None:
    alerts.sync_channels([("teams", "webhook")], now_ms=T0)
    alerts.set_channel_state("teams", state="ok", error=None, now_ms=T0 + 1)
    alerts.set_channel_state("teams", state="failing", error="HTTP 500", now_ms=T0 + 2)
    alerts.set_channel_state("teams", state="failing", error="HTTP 502", now_ms=T0 + 3)
    [failing] = alerts.channels()
    assert (failing.state, failing.state_since_ms, failing.last_error) == (
        "failing", T0 + 2, "HTTP 502")
    assert (failing.last_error_at_ms, failing.last_ok_at_ms, failing.updated_at_ms) == (
        T0 + 3, T0 + 1, T0 + 3)

    alerts.set_channel_state("teams", state="ok", error=None, now_ms=T0 + 4)
    alerts.set_channel_state("gone", state="ok", error=None, now_ms=T0 + 4)  # ignored
    [ok] = alerts.channels()
    assert (ok.state, ok.state_since_ms, ok.last_ok_at_ms) == ("ok", T0 + 4, T0 + 4)
    assert (ok.last_error, ok.last_error_at_ms) == ("HTTP 502", T0 + 3)  # kept for display
    with pytest.raises(ValueError, match='"ok" or "failing"'):
        alerts.set_channel_state("teams", state="broken", error=None, now_ms=T0)


# -- outbox -------------------------------------------------------------------------------

WINDOW = 5_000


def test_it_enqueues_test_messages_and_returns_their_ids(alerts: AlertStore) -> None:
    items = [replace(note(kind="test", alert_id=None), requested_by="eva"),
             replace(note("teams", kind="test", alert_id=None), requested_by="eva")]
    ids = alerts.enqueue(items, now_ms=T0)

    assert len(ids) == 2 and alerts.enqueue([], now_ms=T0) == []
    first = alerts.outbox_row(ids[0])
    assert first is not None
    assert (first.channel, first.kind, first.requested_by, first.status) == (
        "ops-mail", "test", "eva", "queued")
    assert [r.id for r in alerts.outbox()] == [ids[1], ids[0]]
    assert alerts.outbox_row(ids[1] + 1) is None


def test_it_claims_a_channel_once_its_oldest_row_waited_the_group_window(
    alerts: AlertStore, token: int,
) -> None:
    first, second = alerts.enqueue([note(), note(alert_id="a-2")], now_ms=T0)
    alerts.enqueue([note(alert_id="a-3")], now_ms=T0 + 4_000)
    alerts.enqueue([note(alert_id="a-4", due=T0 + 60_000)], now_ms=T0 + 4_000)  # not due

    assert alerts.claim_due(now_ms=T0 + 4_999, group_window_ms=WINDOW, lease_name=LEASE,
                            lease_token=token) == {}
    claimed = alerts.claim_due(now_ms=T0 + 5_000, group_window_ms=WINDOW, lease_name=LEASE,
                               lease_token=token)

    assert list(claimed) == ["ops-mail"]
    rows = claimed["ops-mail"]
    assert [r.alert_id for r in rows] == ["a-1", "a-2", "a-3"]  # oldest first
    assert {(r.status, r.attempts, r.claimed_at_ms) for r in rows} == {
        ("sending", 1, T0 + 5_000)}
    assert alerts.outbox_row(first) == rows[0] and alerts.outbox_row(second) == rows[1]
    assert [r.alert_id for r in alerts.outbox(status="queued")] == ["a-4"]
    assert alerts.claim_due(now_ms=T0 + 6_000, group_window_ms=WINDOW, lease_name=LEASE,
                            lease_token=token) == {}


def test_it_claims_test_messages_at_once_per_channel(alerts: AlertStore, token: int) -> None:
    alerts.enqueue([note("teams")], now_ms=T0)
    alerts.enqueue([note("ops-mail"), note("ops-mail", kind="test", alert_id=None)],
                   now_ms=T0 + 1_000)

    claimed = alerts.claim_due(now_ms=T0 + 1_000, group_window_ms=WINDOW, lease_name=LEASE,
                               lease_token=token)

    assert {channel: [r.kind for r in rows] for channel, rows in claimed.items()} == {
        "ops-mail": ["firing", "test"]}
    assert [r.channel for r in alerts.outbox(status="queued")] == ["teams"]


def test_it_claims_nothing_with_a_stale_lease_token(
    alerts: AlertStore, store: Store, token: int,
) -> None:
    alerts.enqueue([note(kind="test")], now_ms=T0)
    store.acquire_lease(LEASE, "host-b:1", TTL, now_ms=T0 + TTL)
    with pytest.raises(LeaseLost):
        alerts.claim_due(now_ms=T0 + TTL, group_window_ms=0, lease_name=LEASE,
                         lease_token=token)
    assert [r.status for r in alerts.outbox()] == ["queued"]


def test_it_finishes_retries_and_fails_deliveries(alerts: AlertStore, token: int) -> None:
    delivered, retried, failed = alerts.enqueue([note(), note(), note()], now_ms=T0)
    alerts.claim_due(now_ms=T0, group_window_ms=0, lease_name=LEASE, lease_token=token)

    alerts.finish([delivered], status="delivered", error=None, now_ms=T0 + 1)
    alerts.finish([retried], status="queued", error="HTTP 503", now_ms=T0 + 1,
                  retry_at_ms=T0 + 30_000)
    alerts.finish([failed], status="failed", error="HTTP 404", now_ms=T0 + 1)
    alerts.finish([delivered], status="failed", error="late", now_ms=T0 + 2)  # not sending

    rows = {r.id: r for r in alerts.outbox()}
    assert (rows[delivered].status, rows[delivered].finished_at_ms,
            rows[delivered].last_error) == ("delivered", T0 + 1, None)
    assert (rows[retried].status, rows[retried].due_at_ms, rows[retried].last_error,
            rows[retried].finished_at_ms) == ("queued", T0 + 30_000, "HTTP 503", None)
    assert (rows[failed].status, rows[failed].last_error) == ("failed", "HTTP 404")
    assert alerts.claim_due(now_ms=T0 + 29_999, group_window_ms=0, lease_name=LEASE,
                            lease_token=token) == {}
    again = alerts.claim_due(now_ms=T0 + 30_000, group_window_ms=WINDOW, lease_name=LEASE,
                             lease_token=token)  # created long ago: no new group wait
    assert [(r.id, r.attempts) for r in again["ops-mail"]] == [(retried, 2)]
    with pytest.raises(ValueError, match="needs retry_at_ms"):
        alerts.finish([retried], status="queued", error=None, now_ms=T0)
    with pytest.raises(ValueError, match='not \'sent\''):
        alerts.finish([retried], status="sent", error=None, now_ms=T0)


def test_it_fails_rows_interrupted_during_delivery(alerts: AlertStore, token: int) -> None:
    sending, queued = alerts.enqueue([note(), note("teams", due=T0 + 60_000)], now_ms=T0)
    alerts.claim_due(now_ms=T0, group_window_ms=0, lease_name=LEASE, lease_token=token)

    assert alerts.recover_interrupted(now_ms=T0 + 9) == 1
    assert alerts.recover_interrupted(now_ms=T0 + 10) == 0
    row = alerts.outbox_row(sending)
    assert row is not None
    assert (row.status, row.last_error, row.finished_at_ms) == ("failed", INTERRUPTED, T0 + 9)
    assert [r.id for r in alerts.outbox(status="failed")] == [sending]
    assert [r.id for r in alerts.outbox(status="queued", channel="teams")] == [queued]
    assert alerts.outbox(channel="nope") == []
    with pytest.raises(ValueError, match="unknown outbox status"):
        alerts.outbox(status="lost")


# -- audit log ----------------------------------------------------------------------------


def test_it_appends_and_filters_the_audit_log(alerts: AlertStore) -> None:
    alerts.audit(actor="eva", action="user.login", target="user:eva", now_ms=T0)
    alerts.audit(actor="olle", action="channel.test", target="channel:teams",
                 after={"channel": "teams"}, now_ms=T0 + 1, client_addr="10.0.0.1")
    alerts.audit(actor="eva", action="channel.test", target="channel:ops", now_ms=T0 + 2)
    alerts.audit(actor="eva", action="channel_x", target="x", now_ms=T0 + 3)

    assert [e.ts_ms for e in alerts.audit_log()] == [T0 + 3, T0 + 2, T0 + 1, T0]
    assert [e.ts_ms for e in alerts.audit_log(actor="eva", since_ms=T0 + 1)] == [
        T0 + 3, T0 + 2]
    assert [e.ts_ms for e in alerts.audit_log(action_prefix="channel.")] == [T0 + 2, T0 + 1]
    assert [e.ts_ms for e in alerts.audit_log(action_prefix="channel_")] == [T0 + 3]
    assert [e.ts_ms for e in alerts.audit_log(limit=1)] == [T0 + 3]
    entry = alerts.audit_log(actor="olle")[0]
    assert (entry.after, entry.before, entry.client_addr) == (
        {"channel": "teams"}, None, "10.0.0.1")


# -- inputs -------------------------------------------------------------------------------


def key(entity: str, metric: str = "longest_wait_s", source: str = "trio",
        kind: str = "queue") -> SeriesKey:
    return SeriesKey(source, kind, entity, metric, "s", f"Queue {entity}")


def write(store: Store, source: str, samples: list[Sample], now_ms: int = T0) -> None:
    store.write_poll(PollWrite(source, samples, None, SourceFacts(source, source, "http://x"),
                               []), lease_name=None, lease_token=None, now_ms=now_ms)


def test_it_reads_the_current_values_of_metrics(alerts: AlertStore, store: Store) -> None:
    write(store, "trio", [Sample(key("12"), T0, 30.0), Sample(key("12"), T0 + 10, 45.0),
                          Sample(key("13"), T0, 5.0),
                          Sample(key("12", "calls_waiting"), T0, 3.0)])
    write(store, "health:crm", [
        Sample(key("crm", "latency_ms", "health:crm", "target"), T0, 120.0)])

    rows = alerts.current_values(["longest_wait_s", "latency_ms"])
    assert [(r.source, r.entity_id, r.metric, r.ts_ms, r.value) for r in rows] == [
        ("health:crm", "crm", "latency_ms", T0, 120.0),
        ("trio", "12", "longest_wait_s", T0 + 10, 45.0),
        ("trio", "13", "longest_wait_s", T0, 5.0),
    ]
    assert (rows[1].entity_name, rows[1].unit, rows[1].entity_kind) == ("Queue 12", "s",
                                                                         "queue")
    assert [r.entity_id for r in alerts.current_values(["longest_wait_s", "latency_ms"],
                                                       sources=["trio"])] == ["12", "13"]
    assert alerts.current_values([]) == []


def test_it_reads_samples_of_a_scope_for_backtests(alerts: AlertStore, store: Store) -> None:
    values = [10.0, 70.0, 20.0, 5.0, 30.0, 15.0]
    write(store, "trio", [Sample(key("12"), T0 + n * 1_000, v) for n, v in enumerate(values)]
          + [Sample(key("13"), T0, 1.0), Sample(key("12", "calls_waiting"), T0, 1.0)])
    write(store, "trio2", [Sample(key("12", source="trio2"), T0, 99.0)])

    raw = alerts.samples_for("longest_wait_s", from_ms=T0 + 1_000, to_ms=T0 + 5_000,
                             source="trio")
    assert [(s.entity_id, s.points) for s in raw] == [
        ("12", ((T0 + 1_000, 70.0), (T0 + 2_000, 20.0), (T0 + 3_000, 5.0),
                (T0 + 4_000, 30.0))),
        ("13", ()),  # in scope, no samples in the range
    ]
    high = alerts.samples_for("longest_wait_s", from_ms=T0, to_ms=T0 + 6_000, source="trio",
                              entity_ids=["12"], bucket_ms=3_000)
    assert [s.points for s in high] == [((T0, 70.0), (T0 + 3_000, 30.0))]
    low = alerts.samples_for("longest_wait_s", from_ms=T0 + 1_000, to_ms=T0 + 6_000,
                             entity_kind="queue", entity_ids=["12"], bucket_ms=2_000,
                             reduce="min")
    assert [(s.source, s.points) for s in low] == [
        ("trio", ((T0 + 1_000, 20.0), (T0 + 3_000, 5.0), (T0 + 5_000, 15.0))),
        ("trio2", ()),
    ]
    capped = alerts.samples_for("longest_wait_s", from_ms=T0, to_ms=T0 + 1, max_series=2)
    assert [(s.source, s.entity_id, s.points) for s in capped] == [
        ("trio", "12", ((T0, 10.0),)), ("trio", "13", ((T0, 1.0),))]
    assert (capped[0].metric, capped[0].unit, capped[0].entity_name) == (
        "longest_wait_s", "s", "Queue 12")
    with pytest.raises(ValueError, match='"max" or "min"'):
        alerts.samples_for("longest_wait_s", from_ms=T0, to_ms=T0 + 1, reduce="avg")
