"""The simulator's contact-center model, without HTTP: queueing sanity and invariants."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from simulator._model import (
    AgentSpec,
    AgentState,
    Behaviour,
    ContactCenter,
    QueueSpec,
    build_contact_center,
    day_profile,
    flat_profile,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
STEADY = Behaviour(
    mean_wrapup_s=0.0,
    mean_patience_s=None,
    mean_work_before_pause_s=None,
    mean_session_s=None,
    profile=flat_profile,
)


def local(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2024, 3, day, hour, minute, tzinfo=STOCKHOLM).timestamp()


def erlang_c(
    arrival_rate: float, handle_s: float, agents: int, target_s: float
) -> tuple[float, ...]:
    """P(wait), service level and ASA of an M/M/N queue (TRIO_API.md's formula)."""
    load = arrival_rate * handle_s
    top = load**agents / math.factorial(agents) * agents / (agents - load)
    p_wait = top / (sum(load**k / math.factorial(k) for k in range(agents)) + top)
    service_level = 1 - p_wait * math.exp(-(agents - load) * target_s / handle_s)
    return p_wait, service_level, p_wait * handle_s / (agents - load)


def one_queue(agents: int, rate: float, behaviour: Behaviour = STEADY, seed: int = 1) -> Any:
    queue = QueueSpec(1, "Kundtjänst", 1, "Privatkunder", peak_rate=rate, mean_handle_s=180.0)
    specs = [AgentSpec(1000 + i, f"Agent {i}", (1,)) for i in range(agents)]
    return ContactCenter([queue], specs, seed=seed, start=0.0, behaviour=behaviour)


def test_it_matches_erlang_c_in_a_steady_state() -> None:
    _, expected_sl, expected_asa = erlang_c(100 / 1800, 180.0, 14, 20.0)
    model = one_queue(agents=14, rate=100 / 1800)

    model.advance(300 * 3600.0)
    totals = model.queue_totals(1)

    assert expected_sl == pytest.approx(0.888, abs=0.001)
    assert expected_asa == pytest.approx(7.8, abs=0.1)
    assert totals.answered > 50_000
    assert totals.answered_in_sl / totals.answered == pytest.approx(expected_sl, abs=0.025)
    assert totals.wait_of_answered_s / totals.answered == pytest.approx(expected_asa, abs=2.5)


def test_it_gives_a_call_to_the_longest_idle_agent() -> None:
    model = one_queue(agents=4, rate=1 / 120)
    checked = 0
    before = model.snapshot(0.0).agents_state
    for step in range(1, 20_000):
        after = model.snapshot(step * 0.5).agents_state
        idle = {a["agentid"]: a["statesince"] for a in before if a["state"] == "available"}
        taken = [
            a["agentid"]
            for old, a in zip(before, after, strict=True)
            if old["state"] == "available" and a["state"] == "busy"
        ]
        if len(taken) == 1:
            assert idle[taken[0]] == min(idle.values())
            checked += 1
        before = after

    assert checked > 50


def test_it_keeps_queue_figures_consistent_over_a_day() -> None:
    start = local(12, 0)
    model = build_contact_center(queues=8, agents=40, seed=3, now=start, warmup_s=3600)
    agent_queues = {a["agentid"]: a["serviceids"] for a in model.snapshot(start).agents_state}

    for minute in range(0, 24 * 60, 2):
        snap = model.snapshot(start + minute * 60)
        for item in snap.services_state:
            counts = [v for k, v in item.items() if k not in ("servicename", "servicelevel")]
            assert all(value >= 0 for value in counts if not isinstance(value, bool))
            busy_free_paused = item["agentsfree"] + item["agentsbusy"] + item["agentspaused"]
            assert busy_free_paused <= item["agentsloggedin"]
            if item["callswaiting"] == 0:
                assert item["longestwaittime"] == 0
            if item["servicelevel"] is None:
                assert item["answeredtoday"] == 0
            else:
                assert 0.0 <= item["servicelevel"] <= 100.0
            if not item["open"]:
                assert item["callswaiting"] == 0
            logged_in = sum(
                1
                for agent in snap.agents_state
                if agent["state"] != AgentState.LOGGEDOUT
                and item["serviceid"] in agent_queues[agent["agentid"]]
            )
            assert item["agentsloggedin"] == logged_in


def test_it_keeps_office_hours_for_one_queue() -> None:
    start = local(12, 6)
    model = build_contact_center(queues=8, agents=40, seed=1, now=start, warmup_s=3600)
    seen: dict[bool, int] = {True: 0, False: 0}
    closing_totals = None

    for minute in range(0, 24 * 60, 5):
        now = start + minute * 60
        item = model.snapshot(now).services_state_by_id[103]
        hour = datetime.fromtimestamp(now, STOCKHOLM).hour
        assert item["servicename"] == "Företag"
        assert item["open"] is (8 <= hour < 17)
        seen[item["open"]] += 1
        if not item["open"]:
            assert item["callswaiting"] == 0
            if hour >= 17:
                totals = (item["answeredtoday"], item["abandonedtoday"])
                assert closing_totals in (None, totals)  # no calls while closed
                closing_totals = totals

    assert seen[True] and seen[False]
    assert all(
        item["open"] for item in model.snapshot(local(13, 3)).services_state
        if item["serviceid"] != 103
    )  # fmt: skip


def test_it_resets_daily_counters_at_local_midnight() -> None:
    start = local(12, 23, 30)
    model = build_contact_center(queues=8, agents=40, seed=1, now=start, warmup_s=6 * 3600)

    before = model.snapshot(local(12, 23, 59)).services_state
    after = model.snapshot(local(13, 0, 0) + 1).services_state

    assert sum(item["answeredtoday"] for item in before) > 100
    assert sum(item["answeredtoday"] for item in after) < 10


def test_it_is_deterministic_for_a_seed() -> None:
    now = local(12, 10)

    first = build_contact_center(queues=8, agents=40, seed=5, now=now).snapshot(now + 600)
    second = build_contact_center(queues=8, agents=40, seed=5, now=now).snapshot(now + 600)
    other = build_contact_center(queues=8, agents=40, seed=6, now=now).snapshot(now + 600)

    assert first.services_state == second.services_state
    assert first.agents_state == second.agents_state
    assert first.services_state != other.services_state


def test_it_builds_waits_sometimes_at_busy_hours() -> None:
    start = local(12, 8)
    model = build_contact_center(queues=8, agents=40, seed=1, now=start)
    waits = [
        item["longestwaittime"]
        for minute in range(0, 8 * 60)
        for item in model.snapshot(start + minute * 60).services_state
    ]

    warned = sum(1 for wait in waits if wait >= 15) / len(waits)
    assert 0.005 < warned < 0.2
    assert max(waits) >= 30


def test_it_is_busier_in_the_morning_than_at_night() -> None:
    model = build_contact_center(queues=8, agents=40, seed=1, now=local(12, 0), warmup_s=0)

    night = sum(i["answeredtoday"] for i in model.snapshot(local(12, 4)).services_state)
    morning_start = sum(i["answeredtoday"] for i in model.snapshot(local(12, 9)).services_state)
    morning = sum(i["answeredtoday"] for i in model.snapshot(local(12, 11)).services_state)

    assert night > 0
    assert (morning - morning_start) / 2 > 5 * night / 4
    assert all(day_profile(h / 4) > 0 for h in range(96))


def test_it_takes_logouts_and_pauses_into_account() -> None:
    now = local(12, 10)
    model = build_contact_center(queues=8, agents=40, seed=1, now=now, warmup_s=4 * 3600)
    states: set[str] = set()

    for minute in range(0, 120, 2):
        states |= {a["state"] for a in model.snapshot(now + minute * 60).agents_state}

    assert states == {"available", "busy", "wrapup", "paused", "loggedout"}


def test_it_ignores_a_clock_that_goes_back() -> None:
    now = local(12, 10)
    model = build_contact_center(queues=2, agents=6, seed=1, now=now, warmup_s=600)
    later = model.snapshot(now + 60)

    earlier = model.snapshot(now - timedelta(minutes=5).total_seconds())

    assert earlier.time == later.time
