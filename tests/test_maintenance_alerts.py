"""Planned maintenance in the collector's evaluator: while it runs its alerts are
silenced exactly as a silence silences them (stored with ``silenced``, nothing queued,
no all-clear sent because of it, an alert that fired meanwhile told once it ends), and
a weekly window follows the site's clock across the March change (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.engine import Engine

from collectors.clock import ManualClock
from storage import MaintenanceScope, MaintenanceStore, Weekly
from tests.test_alert_service import World, poll_and_judge

SITE = "Europe/Stockholm"


@pytest.fixture
def world(engine: Engine, clock: ManualClock) -> World:
    return World(engine, clock)


def plan_once(world: World, start_in_s: int, minutes: int) -> int:
    start = world.now_ms + start_in_s * 1000
    return MaintenanceStore(world.engine).create(
        MaintenanceScope(source="trio", entity_kind="queue", entity_ids=("12",)),
        reason="Trio upgrade", actor="sara", now_ms=world.now_ms,
        once=(start, start + minutes * 60_000)).id


async def test_an_alert_firing_inside_planned_maintenance_queues_nothing_until_it_ends(
    world: World
) -> None:
    rule = world.rule()
    plan_once(world, 60, 10)  # starts later: nothing is silenced before it
    evaluator = world.evaluator()

    world.advance(60)
    await evaluator.run(world.token)  # the tick reads the windows
    await poll_and_judge(world, evaluator, 25)
    assert world.state(rule).state == "firing"
    [event] = world.alerts.events(rule_id=rule.id)
    assert event.event == "firing" and event.silenced
    assert world.outbox() == []

    world.advance(600)  # over: people hear of the alert once, as after a silence
    await evaluator.run(world.token)
    assert [(r.channel, r.kind) for r in world.outbox()] == [("pager", "firing"),
                                                             ("ops-mail", "firing")]


async def test_no_all_clear_is_sent_for_an_alert_that_ends_inside_maintenance(
    world: World
) -> None:
    rule = world.rule()
    evaluator = world.evaluator()
    await poll_and_judge(world, evaluator, 25)
    assert [r.kind for r in world.outbox()] == ["firing", "firing"]  # before it: told

    plan_once(world, 0, 10)
    await evaluator.run(world.token)
    await poll_and_judge(world, evaluator, 3)

    assert world.state(rule).state == "ok"
    assert [r.kind for r in world.outbox()] == ["firing", "firing"]  # no resolved
    assert world.alerts.events(rule_id=rule.id)[0].silenced


async def test_a_withdrawn_window_silences_nothing_from_then_on(world: World) -> None:
    rule = world.rule()
    window_id = plan_once(world, 0, 60)
    evaluator = world.evaluator()
    await evaluator.run(world.token)
    MaintenanceStore(world.engine).end(window_id, actor="sara", now_ms=world.now_ms + 500)
    await evaluator.run(world.token)
    await poll_and_judge(world, evaluator, 25)
    assert world.state(rule).state == "firing"
    assert [r.kind for r in world.outbox()] == ["firing", "firing"]


async def test_the_weekly_sunday_window_silences_after_the_march_jump(engine: Engine) -> None:
    # 2026-03-29 01:30 UTC: 03:30 CEST, half an hour after the clocks jumped.
    world = World(engine, ManualClock(
        datetime.fromisoformat("2026-03-29T01:30:00+00:00").timestamp()))
    rule = world.rule()
    MaintenanceStore(world.engine).create(
        MaintenanceScope(source="trio"), reason="Trio server maintenance", actor="sara",
        now_ms=world.now_ms, weekly=Weekly((6,), 120, 240, SITE))
    evaluator = world.evaluator()
    await poll_and_judge(world, evaluator, 25)
    assert world.state(rule).state == "firing" and world.outbox() == []

    world.advance(30 * 60)  # 04:00 CEST: over
    await evaluator.run(world.token)
    assert [r.kind for r in world.outbox()] == ["firing", "firing"]
