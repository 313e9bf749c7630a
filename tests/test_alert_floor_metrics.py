"""Alert rules on the floor figures derived from a queue's day counters: the service level
of the current 15-minute interval and the agents short by Erlang C (SQLite and
PostgreSQL), on an injected clock. A queue without the data for a figure is unknown: its
rule neither fires nor clears on a guess."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from alerts.inputs import RULE_METRIC_DISPLAYS
from collectors.clock import ManualClock
from dashboard.rulewords import RULE_METRIC_BY_ID
from specs.floor_metrics import AGENTS_SHORT_METRIC, INTERVAL_SERVICE_LEVEL_METRIC
from storage import PollWrite, QueueTargetStore, SourceFacts
from tests.test_alert_service import World
from tests.test_daymodel import TZ, busy_queue, key

NOW = int(datetime(2026, 6, 1, 10, 7, tzinfo=ZoneInfo(TZ)).timestamp() * 1000)
SHORT = {"name": "Short of agents", "metric": AGENTS_SHORT_METRIC,
         "scope": {"entity_kind": "queue"}, "direction": "above", "warning": 2,
         "critical": 4}
INTERVAL = {"name": "Interval service level", "metric": INTERVAL_SERVICE_LEVEL_METRIC,
            "scope": {"entity_kind": "queue"}, "direction": "below", "warning": 85}

SHORT_DATA = "not enough data for staffing (less than 20 of the last 30 minutes stored)"


@pytest.fixture
def world(engine: Engine) -> World:
    """Queues 7 and 8 with 37 minutes of 10 erlangs (Erlang C: 14 agents for 80/20, 16 for
    queue 8's 95/20; 11 logged in; the interval at 80 %), queue 9 with 10 minutes only."""
    world = World(engine, ManualClock(NOW / 1000))
    samples = (busy_queue("7", NOW - 37 * 60_000, NOW) + busy_queue("8", NOW - 37 * 60_000, NOW)
               + busy_queue("9", NOW - 10 * 60_000, NOW))
    world.store.write_poll(
        PollWrite("trio", samples, None, SourceFacts(name="trio", kind="trio", url="http://x",
                                                     last_poll_at_ms=NOW,
                                                     last_success_at_ms=NOW)),
        lease_name=None, lease_token=None, now_ms=NOW)
    QueueTargetStore(engine).set_target("trio", "8", 95.0, 20, actor="admin", now_ms=NOW)
    return world


def test_the_figures_are_declared_once_for_the_form_and_the_screens() -> None:
    assert RULE_METRIC_BY_ID[AGENTS_SHORT_METRIC].entity_kind == "queue"
    assert RULE_METRIC_BY_ID[INTERVAL_SERVICE_LEVEL_METRIC].unit == "%"
    assert {AGENTS_SHORT_METRIC, INTERVAL_SERVICE_LEVEL_METRIC} <= set(RULE_METRIC_DISPLAYS)


async def test_agents_short_fires_per_queue_target_and_is_unknown_without_data(
    world: World,
) -> None:
    rule = world.rule(**SHORT)
    evaluator = world.evaluator(sl_default_pct=80.0, sl_default_threshold_s=20, timezone=TZ)
    await evaluator.after_write(frozenset({"trio"}), world.token)
    seven, eight = world.state(rule, "trio|queue|7"), world.state(rule, "trio|queue|8")
    assert (seven.state, seven.severity, seven.last_value) == ("firing", "warning", 3.0)
    assert (eight.state, eight.severity, eight.last_value) == ("firing", "critical", 5.0)
    # Ten minutes of counters: no staffing figure, so no value and no alert on a guess.
    nine = world.state(rule, "trio|queue|9")
    assert nine.state == "ok" and nine.last_value is None
    assert SHORT_DATA in nine.reason


async def test_an_open_alert_is_held_not_cleared_when_the_figure_becomes_unknown(
    world: World,
) -> None:
    rule = world.rule(**SHORT)
    evaluator = world.evaluator(sl_default_pct=80.0, sl_default_threshold_s=20, timezone=TZ)
    await evaluator.after_write(frozenset({"trio"}), world.token)
    assert world.state(rule, "trio|queue|7").state == "firing"
    # 40 minutes on without a poll of the queue's counters: the window holds no readings.
    world.advance(40 * 60)
    world.write("trio", [(key("99", "longest_wait_s"), 1.0)])
    await evaluator.run(world.token)
    held = world.state(rule, "trio|queue|7")
    assert held.state == "firing", held.reason
    assert SHORT_DATA in held.reason
    assert "resolved" not in world.events(rule)


async def test_the_interval_level_moves_with_the_queues_own_target(world: World) -> None:
    rule = world.rule(**INTERVAL)
    evaluator = world.evaluator(sl_default_pct=80.0, sl_default_threshold_s=20, timezone=TZ)
    await evaluator.after_write(frozenset({"trio"}), world.token)
    # The interval 10:00-10:07 is at 80 %: under 85 for every queue; on queue 8 (95/20)
    # the rule warns under 100 (clamped), also firing; queue 9 has answered calls too.
    states = {q: world.state(rule, f"trio|queue|{q}") for q in ("7", "8", "9")}
    assert {q: s.state for q, s in states.items()} == {"7": "firing", "8": "firing",
                                                       "9": "firing"}
    assert states["7"].last_value == pytest.approx(80.0)


async def test_a_queue_without_calls_this_interval_is_unknown_not_ok(
    world: World, engine: Engine
) -> None:
    rule = world.rule(**{**INTERVAL, "warning": 50})
    evaluator = world.evaluator(sl_default_pct=80.0, sl_default_threshold_s=20, timezone=TZ)
    # 10:15: a new interval; the counters stood still since 10:07.
    world.advance(8 * 60)
    world.write("trio", [(key("7", "answered_today"), 163.0)])  # as at 10:07
    await evaluator.after_write(frozenset({"trio"}), world.token)
    seven = world.state(rule, "trio|queue|7")
    assert seven.last_value is None
    assert "no call answered in this 15-minute interval" in seven.reason
