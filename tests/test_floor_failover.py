"""After a Trio failover and failback the day counters jump (the backup counts from the
switchover, the primary's counters are its own); no step across a change of server is
counted, so the interval's level and staffing stay true (SQLite and PostgreSQL, stored
samples and failover events, injected time)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from collectors.clock import ManualClock
from dashboard.daymodel import FloorModel
from specs.intervals import Reading, growth, interval_levels, steps
from storage import PollWrite, Sample, SourceFacts, Store
from tests.test_alert_service import World
from tests.test_daymodel import CONFIG, NOW, key

MINUTE = 60_000
START = NOW - 37 * MINUTE  # 09:30
FAILOVER = NOW - 17 * MINUTE  # 09:50: the backup answers, counting from 0
FAILBACK = NOW - 7 * MINUTE  # 10:00: the primary again, its counters 500 ahead
PRIMARY_AHEAD = 500.0


def answered_at(ts: int) -> float:
    """100 calls per 30 minutes throughout, as each server counts them."""
    calls = float(round((ts - START) / 18_000))
    if FAILOVER <= ts < FAILBACK:
        return calls - float(round((FAILOVER - START) / 18_000))
    return calls + 40 + (PRIMARY_AHEAD if ts >= FAILBACK else 0.0)


def write_failover_day(engine: Engine) -> None:
    samples = []
    for ts in range(START, NOW + 1, 5000):
        samples += [Sample(key("7", "answered_today"), ts, answered_at(ts)),
                    Sample(key("7", "abandoned_today"), ts, 3.0),
                    Sample(key("7", "service_level_pct"), ts, 80.0),
                    Sample(key("7", "agents_busy"), ts, 10.0),
                    Sample(key("7", "agents_logged_in"), ts, 11.0)]
    # The collector writes the event at the end of the poll that saw the change (a few
    # seconds after the samples' stamp).
    events = [(FAILOVER + 2500, "failover", "failover: now served by https://b"),
              (FAILBACK + 2500, "failover", "failover ended: back on the primary server")]
    Store(engine).write_poll(
        PollWrite("trio", samples, None, SourceFacts(name="trio", kind="trio", url="http://x",
                                                     last_poll_at_ms=NOW,
                                                     last_success_at_ms=NOW),
                  events=events),
        lease_name=None, lease_token=None, now_ms=NOW)


def test_no_step_is_counted_across_a_change_of_server() -> None:
    readings = [Reading(0, 100.0), Reading(60_000, 104.0), Reading(120_000, 604.0),
                Reading(180_000, 606.0), Reading(240_000, 2.0)]
    # Without changes: the failback's jump counts 500, the fall counts as a reset.
    assert growth(readings) == 4 + 500 + 2 + 2
    # A change seen at 121 s: its poll's samples may be stamped up to a minute before, so
    # every step touching [61 s, 121 s] counts nothing (the jump, and the minute after).
    assert steps(readings, [121_000]) == [(60_000, 4.0), (120_000, 0.0), (180_000, 0.0),
                                          (240_000, 2.0)]
    # Seen at 179 s: the steps ending at 120 s and at 180 s both touch [119 s, 179 s].
    assert steps(readings, [179_000])[1:3] == [(120_000, 0.0), (180_000, 0.0)]
    levels = interval_levels(readings, [Reading(r.ts_ms, 50.0) for r in readings],
                             [(0, 300_000, "00:00")], [121_000])
    assert (levels[0].answered, levels[0].in_threshold) == (6.0, 3.0)
    assert growth(readings, [121_000]) == 6.0


def test_the_floor_figures_after_a_failback_are_those_of_a_day_without_one(
    engine: Engine,
) -> None:
    write_failover_day(engine)
    floor = FloorModel(engine, CONFIG, lambda: NOW / 1000).floor().queues["7"]
    # 10:00-10:07 on the primary: about 23 calls, not 500 more.
    assert 15 <= floor.interval.answered <= 25
    assert floor.interval.service_level_pct == pytest.approx(80.0)
    # 10 erlangs as before (14 agents for 80/20, 11 logged in); the minute on each side of
    # the two changes is left out, a few calls fewer.
    assert (floor.staffing.needed, floor.staffing.short_by) in ((14, 3), (13, 2))
    day = FloorModel(engine, CONFIG, lambda: NOW / 1000).day("7")
    assert day is not None
    answered = {iv.label: iv.answered for iv in day.intervals}
    assert answered["10:00"] <= 25 and answered["09:45"] <= 50


async def test_an_agents_short_rule_does_not_fire_on_the_jump(engine: Engine) -> None:
    world = World(engine, ManualClock(NOW / 1000))
    write_failover_day(engine)
    rule = world.rule(name="Short of agents", metric="agents_short",
                      scope={"entity_kind": "queue"}, direction="above", warning=2,
                      critical=4)
    evaluator = world.evaluator(sl_default_pct=80.0, sl_default_threshold_s=20,
                                timezone=CONFIG.timezone)
    await evaluator.after_write(frozenset({"trio"}), world.token)
    state = world.state(rule, "trio|queue|7")
    assert state.severity != "critical" and state.last_value in (2.0, 3.0)
