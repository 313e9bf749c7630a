"""Unknown is not closed, end to end: a real collector polls the simulated Trio API over
loopback; the queue endpoint hangs while "Longest wait" fires. What the people on call
get (the outbox) and what the wall screen shows (the read model and its builders) through
the outage, and when real values return. The failover case: service-level counters of
the standby server are labelled in the alert and on the tile (issue 17).

The simulator runs on the real clock; every value asserted on is pinned through its
control API, and the one routed rule watches only the pinned queue, so nothing here
depends on the time of day.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from alerts import seed_default_rules
from collectors.clock import ManualClock
from dashboard import DashboardConfig
from dashboard.components import build_wallboard
from dashboard.readmodel import ReadModel
from storage import AlertStore, StateRow
from tests.fixtures.collect import Harness
from tests.fixtures.dashboard import by_class, text

pytestmark = pytest.mark.timeout(90)

CHANNELS = json.dumps([{"name": "ops", "kind": "webhook", "url": "http://127.0.0.1:9/hook"}])
QUEUE = 100  # "Kundtjänst" in the simulator
# Fail fast: one attempt with a short read timeout, the breaker opens after two polls.
# The lease outlives the virtual time jumps (nothing renews it between polls here).
FAST_FAILURE: dict[str, Any] = {
    "retry_max_attempts": 1, "http_read_timeout_s": 0.3, "poll_deadline_s": 2.0,
    "breaker_failure_threshold": 2, "breaker_cooldown_s": 30.0, "lease_ttl_s": 600.0,
}
CONFIG = DashboardConfig(timezone="Europe/Stockholm")


def route(alerts: AlertStore, rule_name: str, clock: ManualClock) -> None:
    """Seed the default rules; send ``rule_name``'s alerts of the pinned queue (only) to
    "ops"."""
    now_ms = int(clock.time() * 1000)
    seed_default_rules(alerts.engine, now_ms)
    rule = next(r for r in alerts.list_rules() if r.name == rule_name)
    spec = {**rule.spec, "scope": {"entity_kind": "queue", "entity_ids": [str(QUEUE)]},
            "warning_channels": ["ops"], "critical_channels": ["ops"]}
    alerts.update_rule(rule.id, rule.name, spec, True, expected_version=rule.version,
                       actor="admin", now_ms=now_ms)


def state_of(alerts: AlertStore, rule_name: str) -> StateRow:
    rule = next(r for r in alerts.list_rules() if r.name == rule_name)
    [state] = [s for s in alerts.load_states([rule.id])
               if s.series_key == f"trio|queue|{QUEUE}"]
    return state


async def tick(h: Harness) -> None:
    [job] = [j for j in h.collector.jobs if j.name == "alerts"]
    assert h.collector.token is not None
    await job.run(h.collector.token)


def wall(h: Harness) -> Any:
    model = ReadModel(h.engine, CONFIG, h.clock.time)
    now_ms = int(h.clock.time() * 1000)
    return build_wallboard(model.snapshot(), now_ms, "en", CONFIG)


def tile_of(parts: Any) -> Any:
    [tile] = [t for t in parts.tiles
              if t.to_plotly_json()["props"].get("data-queue") == str(QUEUE)]
    return tile


async def test_a_hanging_queue_endpoint_sends_no_all_clear_and_the_wall_keeps_the_alert(
    sim: Any, harness_factory: Any
) -> None:
    clock = ManualClock()  # a fixed instant, like the simulator's
    h = harness_factory(sim, clock=clock, notify_channels=CHANNELS, **FAST_FAILURE)
    alerts = AlertStore(h.engine)
    route(alerts, "Longest wait", clock)
    sim.control.override_queue(QUEUE, longestwaittime=25, open=True)
    await h.activate()
    await h.poll()
    firing = state_of(alerts, "Longest wait")
    assert (firing.state, firing.severity) == ("firing", "critical")
    last_good_ms = int(clock.time() * 1000)

    sim.control.inject("services/state", "hang")
    for _ in range(4):  # two failed polls, then the breaker is open
        clock.advance(5)
        await h.poll()
        await tick(h)
    clock.advance(60)  # the open value is long stale: open or closed unknown
    await tick(h)

    held = state_of(alerts, "Longest wait")
    assert h.facts().consecutive_failures >= 2
    assert (held.state, held.severity, held.alert_id) == ("firing", "critical", firing.alert_id)
    assert held.reason.startswith("source trio failing since ")  # what /alerts shows
    assert "kept open until the data is known again" in held.reason
    assert [row.kind for row in alerts.outbox()] == ["firing"]  # no all-clear
    events = [e.event for e in alerts.events(rule_id=held.rule_id)]
    assert not {"resolved", "inactive", "nodata_resolved"} & set(events)

    # The wall screen: the tile is stale with its last wait and its alert; the top bar
    # still counts the critical alert.
    parts = wall(h)
    tile = tile_of(parts)
    assert tile.to_plotly_json()["props"]["data-level"] == "stale"
    assert tile.to_plotly_json()["props"]["data-alert"] == "critical"
    assert text(by_class(tile, "tile__wait-value")) == "0:25"
    assert text(by_class(tile, "tile__as-of")).startswith("as of ")
    assert text(parts.summary[0]).startswith("1 critical")

    # Real, fresh values again: now it may resolve, once.
    sim.control.clear()
    sim.control.override_queue(QUEUE, longestwaittime=3, open=True)
    clock.advance(31)  # past the breaker's cool-down
    await h.poll()
    await tick(h)
    resolved = state_of(alerts, "Longest wait")
    assert resolved.state == "ok" and resolved.alert_id is None
    assert sorted(row.kind for row in alerts.outbox()) == ["firing", "resolved"]
    assert int(clock.time() * 1000) > last_good_ms


async def test_a_service_level_alert_in_failover_says_it_counts_from_the_switchover(
    sim: Any, harness_factory: Any
) -> None:
    clock = ManualClock()  # a fixed instant, like the simulator's
    h = harness_factory(sim, clock=clock, notify_channels=CHANNELS, lease_ttl_s=600.0)
    alerts = AlertStore(h.engine)
    route(alerts, "Service level", clock)
    sim.control.override_queue(QUEUE, servicelevel=95.0, open=True)
    await h.activate()
    await h.poll()
    assert state_of(alerts, "Service level").state == "ok"

    sim.control.failover(True)
    sim.control.override_queue(QUEUE, servicelevel=50.0, open=True)
    clock.advance(5)
    await h.poll()

    facts = h.facts()
    assert facts.failover_active
    since = h.store.failover_since("trio")
    assert since is not None and [e.ts_ms for e in h.store.source_events("trio")
                                  if e.kind == "failover"][0] == since
    state = state_of(alerts, "Service level")
    assert state.state == "firing"
    [row] = alerts.outbox()
    assert row.payload["failover"] is True and row.payload["failover_since_ms"] == since
    [event] = [e for e in alerts.events(rule_id=state.rule_id) if e.event == "firing"]
    assert "counted since the failover" in event.reason

    tile = tile_of(wall(h))
    assert text(by_class(tile, "tile__failover")).startswith("since failover ")
