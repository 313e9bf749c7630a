"""Service-level rules judge each queue against its own target (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from alerts import validate_rule
from alerts.queue_targets import for_queue
from storage import QueueTargetStore, SeriesKey
from tests.test_alert_service import World, world  # noqa: F401 - the fixture

SHIPPED = {"name": "Service level", "metric": "service_level_pct",
           "scope": {"entity_kind": "queue"}, "direction": "below", "warning": 80,
           "recovery_warning": 82}


def test_a_service_level_rule_moves_with_the_queues_own_target() -> None:
    rule = validate_rule({**SHIPPED, "critical": 60})
    moved = for_queue(rule, 90.0, 80.0)
    assert (moved.warning, moved.recovery_warning, moved.critical) == (90.0, 92.0, 70.0)
    assert for_queue(rule, None, 80.0) is rule and for_queue(rule, 80.0, 80.0) is rule
    top = for_queue(rule, 99.0, 80.0)
    assert (top.warning, top.recovery_warning) == (99.0, 100.0)
    wait = validate_rule({"name": "w", "metric": "longest_wait_s", "direction": "above",
                          "warning": 15})
    assert for_queue(wait, 90.0, 80.0) is wait


@pytest.mark.parametrize(("level", "state_12", "state_13"), [(85.0, "firing", "ok"),
                                                              (75.0, "firing", "firing")])
async def test_the_shipped_rule_fires_under_each_queues_own_target(
    world: World, level: float, state_12: str, state_13: str  # noqa: F811
) -> None:
    rule = world.rule(**SHIPPED)
    QueueTargetStore(world.engine).set_target("trio", "12", 90.0, 30, actor="admin",
                                              now_ms=world.now_ms)
    evaluator = world.evaluator(sl_default_pct=80.0)
    world.advance(1)
    world.write("trio", [(SeriesKey("trio", "queue", q, "service_level_pct", "%", f"Kö {q}"),
                          level) for q in ("12", "13")])
    await evaluator.after_write(frozenset({"trio"}), world.token)
    assert world.state(rule, "trio|queue|12").state == state_12
    assert world.state(rule, "trio|queue|13").state == state_13
