"""AlertEvaluator: unknown is not closed, on a real database with an injected clock. The
service tells the engine when a stored value cannot be vouched for (its source failing,
answering without it, or not polled for three of its intervals) and no all-clear is
queued until fresh values say so."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine

from alerts import AlertEvaluator, EvaluatorConfig
from collectors.clock import ManualClock
from storage import PollWrite, SeriesKey, SourceFacts
from tests.test_alert_service import LEASE, LINK, World

INTERVALS = {"trio": 5.0}


@pytest.fixture
def world(engine: Engine, clock: ManualClock) -> World:
    return World(engine, clock)


def evaluator(world: World, **config: Any) -> AlertEvaluator:
    made = AlertEvaluator(world.engine, EvaluatorConfig(lease_name=LEASE, link=LINK, **config),
                          clock=world.clock, seed_defaults=False, intervals=lambda: INTERVALS)
    made.activate(world.token)
    return made


async def poll(world: World, ev: AlertEvaluator, wait: float) -> None:
    world.advance(1)
    world.queue(wait)
    await ev.after_write(frozenset({"trio"}), world.token)


def fail_poll(world: World, failures: int) -> None:
    """A failed poll as the collector records it: facts only, no samples."""
    world.advance(5)
    now = world.now_ms
    last = world.store.source("trio")
    assert last is not None
    world.store.write_poll(
        PollWrite(source="trio", samples=[], agents=None, facts=SourceFacts(
            name="trio", kind="trio", url="http://x", last_poll_at_ms=now,
            last_success_at_ms=last.last_success_at_ms, last_error="read timed out",
            last_error_at_ms=now, failing_since_ms=last.failing_since_ms or now,
            consecutive_failures=failures)),
        lease_name=LEASE, lease_token=world.token, now_ms=now)


def kinds(world: World) -> list[str]:
    return [row.kind for row in world.outbox()]


async def test_it_holds_a_firing_alert_while_the_source_fails_and_writes_why(world):
    rule = world.rule()
    ev = evaluator(world)
    await poll(world, ev, 25)
    fired = world.state(rule)
    assert fired.state == "firing"

    for failures in range(1, 20):
        fail_poll(world, failures)
        await ev.run(world.token)
    world.advance(3600)
    await ev.run(world.token)

    held = world.state(rule)
    assert (held.state, held.alert_id) == ("firing", fired.alert_id)
    assert held.reason.startswith("source trio failing since")
    assert "resolved" not in kinds(world)  # reminders of the held alert, no all-clear

    await poll(world, ev, 3)  # the source answers again, recovered
    assert world.state(rule).state == "ok"
    assert kinds(world).count("resolved") == 2  # both channels of the alert, once


async def test_keep_firing_for_does_not_end_on_values_nobody_polled_since(world):
    # A collector taking over (or a stuck job): the facts say nothing failed, but the
    # newest value is far older than three poll intervals.
    rule = world.rule(keep_firing_for_s=10)
    ev = evaluator(world)
    await poll(world, ev, 25)
    await poll(world, ev, 5)  # recovering
    assert world.state(rule).state == "recovering"

    world.advance(60)
    await ev.run(world.token)
    assert world.state(rule).state == "recovering"
    assert "resolved" not in kinds(world)

    await poll(world, ev, 5)
    await ev.run(world.token)
    assert world.state(rule).state == "ok" and "resolved" in kinds(world)


async def test_a_value_the_source_stopped_sending_is_unknown(world):
    rule = world.rule()
    ev = evaluator(world)
    await poll(world, ev, 25)
    other = SeriesKey("trio", "queue", "13", "longest_wait_s", "s", "Växel")
    for _ in range(5):  # the source answers, but queue 12's wait is no longer in it
        world.advance(5)
        world.write("trio", [(other, 1.0)])
        await ev.after_write(frozenset({"trio"}), world.token)
    await ev.run(world.token)
    held = world.state(rule)
    assert held.state == "firing" and "no fresh longest_wait_s value" in held.reason
    assert "resolved" not in kinds(world)


async def test_disabling_the_rule_during_an_outage_closes_it_saying_so(world):
    rule = world.rule()
    ev = evaluator(world)
    await poll(world, ev, 25)
    fail_poll(world, 1)
    world.alerts.update_rule(rule.id, rule.name, rule.spec, False,
                             expected_version=rule.version, actor="admin", now_ms=world.now_ms)
    await ev.run(world.token)
    closed = world.state(rule)
    assert (closed.state, closed.reason) == ("ok", "rule disabled by an administrator")
    assert "resolved" in kinds(world)
