"""Health targets in the database, and state events for uptime; on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy.engine import Engine

from specs.health import HealthTarget
from storage import (
    EventTuple,
    HealthTargetRow,
    HealthTargetStore,
    PollWrite,
    ReadOnlyTarget,
    SourceFacts,
    Store,
    TargetExists,
    UnknownTarget,
)

T0 = 1_700_000_000_000


@pytest.fixture
def targets(engine: Engine) -> HealthTargetStore:
    return HealthTargetStore(engine)


def billing(**fields: object) -> HealthTarget:
    base = HealthTarget(
        name="billing", url="http://10.0.0.5/health", conditions=('status == "ok"',),
        degraded_latency_ms=800,
    )
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


def test_it_creates_and_reads_back_a_target(targets: HealthTargetStore) -> None:
    row = targets.create(billing(), T0)
    assert row == HealthTargetRow(
        id=row.id, name="billing", url="http://10.0.0.5/health", interval_s=10.0,
        timeout_s=5.0, expected_status="2xx", conditions=('status == "ok"',),
        degraded_latency_ms=800, down_after=2, enabled=True, from_config=False,
        created_at_ms=T0, updated_at_ms=T0,
    )
    assert targets.get("billing") == row
    assert targets.get("nobody") is None


def test_it_takes_a_mapping_of_fields(targets: HealthTargetStore) -> None:
    fields = dataclasses.asdict(billing(name="mapped", conditions=["age(t) < 10m"]))
    assert targets.create(fields, T0).conditions == ("age(t) < 10m",)


def test_it_refuses_a_second_target_of_the_same_name(targets: HealthTargetStore) -> None:
    targets.create(billing(), T0)
    with pytest.raises(TargetExists, match='"billing" exists already'):
        targets.create(billing(url="http://other/health"), T0 + 1)
    assert targets.get("billing").url == "http://10.0.0.5/health"  # type: ignore[union-attr]


def test_it_lists_by_name_and_filters_disabled(targets: HealthTargetStore) -> None:
    targets.create(billing(name="zeta"), T0)
    targets.create(billing(name="alpha", enabled=False), T0)
    assert [r.name for r in targets.list()] == ["alpha", "zeta"]
    assert [r.name for r in targets.list(enabled_only=True)] == ["zeta"]


def test_it_updates_and_renames_a_ui_target(targets: HealthTargetStore) -> None:
    created = targets.create(billing(), T0)
    row = targets.update("billing", billing(name="billing-eu", down_after=5, conditions=()),
                         T0 + 1000)
    assert (row.id, row.name, row.down_after, row.conditions) == (
        created.id, "billing-eu", 5, ()
    )
    assert (row.created_at_ms, row.updated_at_ms) == (T0, T0 + 1000)
    assert targets.get("billing") is None


def test_it_refuses_to_rename_onto_another_target(targets: HealthTargetStore) -> None:
    targets.create(billing(), T0)
    targets.create(billing(name="reports"), T0)
    with pytest.raises(TargetExists):
        targets.update("billing", billing(name="reports"), T0 + 1)


def test_it_refuses_to_change_what_does_not_exist(targets: HealthTargetStore) -> None:
    with pytest.raises(UnknownTarget, match='no health target named "ghost"'):
        targets.update("ghost", billing(), T0)
    with pytest.raises(UnknownTarget):
        targets.delete("ghost")


def test_it_deletes_a_ui_target(targets: HealthTargetStore) -> None:
    targets.create(billing(), T0)
    targets.delete("billing")
    assert targets.list() == []


def test_it_keeps_configured_targets_read_only(targets: HealthTargetStore) -> None:
    targets.sync_from_config([billing(from_config=True)], T0)
    with pytest.raises(ReadOnlyTarget, match="comes from the configuration"):
        targets.update("billing", billing(url="http://elsewhere/"), T0 + 1)
    with pytest.raises(ReadOnlyTarget):
        targets.delete("billing")
    assert targets.get("billing").from_config  # type: ignore[union-attr]


def test_it_syncs_configured_targets_without_touching_ui_ones(
    targets: HealthTargetStore,
) -> None:
    targets.create(billing(name="ui-only"), T0)
    targets.create(billing(name="taken-over"), T0)
    first = targets.sync_from_config(
        [billing(name="cfg-a"), billing(name="cfg-b"), billing(name="taken-over")], T0 + 1
    )
    assert (first.created, first.updated, first.removed) == (
        ["cfg-a", "cfg-b"], ["taken-over"], []
    )
    assert {r.name: r.from_config for r in targets.list()} == {
        "cfg-a": True, "cfg-b": True, "taken-over": True, "ui-only": False,
    }
    second = targets.sync_from_config(
        [billing(name="cfg-a", interval_s=30.0), billing(name="taken-over")], T0 + 2
    )
    assert (second.created, second.updated, second.removed) == ([], ["cfg-a"], ["cfg-b"])
    rows = {r.name: r for r in targets.list()}
    assert sorted(rows) == ["cfg-a", "taken-over", "ui-only"]
    assert rows["cfg-a"].interval_s == 30.0 and rows["cfg-a"].updated_at_ms == T0 + 2
    assert rows["taken-over"].updated_at_ms == T0 + 1  # unchanged: not rewritten
    assert rows["ui-only"].updated_at_ms == T0


# -- state events ---------------------------------------------------------------------


def facts(name: str, now_ms: int) -> SourceFacts:
    return SourceFacts(name=name, kind="health", url="http://w/health", last_poll_at_ms=now_ms)


def record(store: Store, source: str, ts: int, *events: EventTuple) -> None:
    store.write_poll(
        PollWrite(source=source, samples=[], agents=None, facts=facts(source, ts),
                  events=list(events)),
        lease_name=None, lease_token=None, now_ms=ts,
    )


def test_it_returns_state_events_for_uptime(store: Store) -> None:
    src = "health:billing"
    record(store, src, T0, (T0, "state", "HTTP 200 in 3 ms", None, "up"))
    record(store, src, T0 + 10, (T0 + 10, "state", "HTTP 503", "up", "down"),
           (T0 + 10, "failing", "HTTP 503"))
    record(store, src, T0 + 20, (T0 + 20, "state", "HTTP 200 in 4 ms", "down", "up"))
    record(store, "health:other", T0 + 15, (T0 + 15, "state", "x", None, "degraded"))
    assert store.state_events(src, T0 + 5) == ("up", [(T0 + 10, "down"), (T0 + 20, "up")])
    assert store.state_events(src, T0 + 10) == ("up", [(T0 + 10, "down"), (T0 + 20, "up")])
    assert store.state_events(src, T0) == (
        None, [(T0, "up"), (T0 + 10, "down"), (T0 + 20, "up")]
    )
    assert store.state_events(src, T0 + 21) == ("up", [])
    assert store.state_events("health:nobody", T0) == (None, [])
