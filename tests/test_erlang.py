"""Erlang C against published worked examples, and staffing against the simulator, whose
queue model is Erlang C's (Poisson arrivals, exponential handle times)."""

from __future__ import annotations

import pytest

from simulator._model import AgentSpec, Behaviour, ContactCenter, QueueSpec, flat_profile
from specs.erlang import agents_needed, erlang_c, figures
from specs.intervals import Reading
from specs.sltarget import ServiceLevelTarget
from specs.staffing import (
    MIN_ANSWERED,
    WINDOW_MS,
    BusySpan,
    NotEnough,
    Workload,
    held,
    staffing,
    workload,
)

HALF_HOUR_S = 1800.0


@pytest.mark.parametrize(("agents", "p_wait", "service_level"), [
    (11, 0.682, 0.396), (12, 0.449, 0.646), (13, 0.285, 0.795), (14, 0.174, 0.889),
])
def test_it_matches_the_call_centre_helper_worked_example(
    agents: int, p_wait: float, service_level: float
) -> None:
    """Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example"
    (callcentrehelper.com): 100 calls in 30 minutes, 180 s average handle time, 80 % in
    20 s: 10 erlangs; with 11..14 agents P(wait) 68.2 %, 44.9 %, 28.5 %, 17.4 % and
    service level 39.6 %, 64.6 %, 79.5 %, 88.9 %; 14 agents are needed (ASA 7.8 s). The
    14-agent figures are also the check in the project's TRIO_API.md notes; the 11-13
    rows are the article's table as recalled, not re-read here, hence 1 point of slack."""
    result = figures(agents, 100 / HALF_HOUR_S, 180.0, 20.0)
    assert result.load == pytest.approx(10.0)
    assert result.p_wait == pytest.approx(p_wait, abs=0.001)
    assert result.service_level == pytest.approx(service_level, abs=0.01)


def test_it_needs_fourteen_agents_in_the_worked_example() -> None:
    """Same source: the raw requirement for 80/20 is 14 agents, ASA about 7.8 s."""
    result = agents_needed(100 / HALF_HOUR_S, 180.0, 80.0, 20.0)
    assert result.agents == 14
    assert result.asa_s == pytest.approx(7.8, abs=0.05)


def test_it_matches_the_360_calls_per_half_hour_example() -> None:
    """The step-by-step Erlang-C example of Mitan's "The Erlang-C formula" page
    (mitan.co.uk, with the Westbay traffic calculators): 360 calls per half hour, 4 minutes
    per call, 55 agents, 15 s target: 48 erlangs, occupancy 87.3 %, probability of waiting
    23.9 %, ASA 8.2 s, service level 84.6 %; 55 is also the fewest agents for 80/15. The
    inputs are the page's; its results are as recalled (not re-read for this test) and
    agree with the formula to the digits asserted."""
    result = figures(55, 360 / HALF_HOUR_S, 240.0, 15.0)
    assert result.load == pytest.approx(48.0)
    assert result.load / result.agents == pytest.approx(0.873, abs=0.001)
    assert result.p_wait == pytest.approx(0.239, abs=0.001)
    assert result.asa_s == pytest.approx(8.2, abs=0.05)
    assert result.service_level == pytest.approx(0.846, abs=0.001)
    assert agents_needed(360 / HALF_HOUR_S, 240.0, 80.0, 15.0).agents == 55


def test_it_matches_the_textbook_m_m_c_queue() -> None:
    """The textbook M/M/c exercise (one call a minute, 3 minutes each, 5 agents): the
    load is 3 erlangs and C(5, 3) = 0.236, so 76.4 % of callers do not wait."""
    assert erlang_c(5, 3.0) == pytest.approx(0.2362, abs=0.0001)
    assert erlang_c(3, 3.0) == 1.0  # no fewer agents than erlangs: the queue grows


def test_it_stays_finite_for_hundreds_of_agents() -> None:
    # A^N / N! overflows a float for N = 400; the Erlang B recursion does not.
    result = agents_needed(2.0, 180.0, 80.0, 20.0)
    assert 360 < result.agents < 380 and 0.8 <= result.service_level < 0.9


@pytest.mark.parametrize(("rate", "handle", "pct", "threshold"), [
    (0.0, 180.0, 80.0, 20.0), (1.0, -1.0, 80.0, 20.0), (1.0, 180.0, 100.0, 20.0),
    (1.0, 180.0, 0.0, 20.0), (float("nan"), 180.0, 80.0, 20.0), (1.0, 180.0, 80.0, -1.0),
])
def test_it_refuses_inputs_that_make_no_queue(rate: float, handle: float, pct: float,
                                              threshold: float) -> None:
    with pytest.raises(ValueError):
        agents_needed(rate, handle, pct, threshold)


# -- the workload measured from stored readings --------------------------------------------

T0 = 1_780_000_000_000  # any epoch ms


def _ramp(per_5s: float, minutes: int, start: float = 0.0) -> list[Reading]:
    return [Reading(T0 + i * 5000, start + per_5s * i) for i in range(minutes * 12 + 1)]


def test_it_measures_arrivals_and_handle_time_from_counters_and_busy_agents() -> None:
    answered = _ramp(100 / 360, 30)  # 100 calls in 30 minutes
    busy = [BusySpan(T0, T0 + WINDOW_MS, 10.0)]  # 10 agents busy throughout
    load = workload(answered, [], busy)
    assert isinstance(load, Workload)
    assert load.arrival_rate == pytest.approx(100 / HALF_HOUR_S)
    assert load.handle_s == pytest.approx(180.0)
    result = staffing(load, ServiceLevelTarget(80.0, 20), logged_in=11.0)
    assert (result.needed, result.logged_in, result.short_by) == (14, 11, 3)


def test_it_counts_abandoned_calls_as_offered_and_reads_a_fall_as_midnight() -> None:
    # Counters at 400 reset to 0 half way: 50 answered before, 50 after.
    before = [Reading(T0 + i * 60_000, 350 + 50 * i / 15) for i in range(16)]
    after = [Reading(T0 + (16 + i) * 60_000, 50 * (i + 1) / 15) for i in range(15)]
    abandoned = [Reading(T0, 30.0), Reading(T0 + 15 * 60_000, 40.0),
                 Reading(T0 + 16 * 60_000, 0.0), Reading(T0 + 30 * 60_000, 10.0)]
    load = workload(before + after, abandoned, [BusySpan(T0, T0 + WINDOW_MS, 10.0)])
    assert isinstance(load, Workload)
    assert load.answered == pytest.approx(100.0)
    assert load.offered == pytest.approx(120.0)


@pytest.mark.parametrize(("answered", "busy", "reason"), [
    (_ramp(1.0, 10), [BusySpan(T0, T0 + WINDOW_MS, 5.0)], NotEnough.SHORT),
    (_ramp(0.0, 30, 40.0), [BusySpan(T0, T0 + WINDOW_MS, 5.0)], NotEnough.FEW_CALLS),
    (_ramp(MIN_ANSWERED / 360 * 0.9, 30), [BusySpan(T0, T0 + WINDOW_MS, 5.0)],
     NotEnough.FEW_CALLS),
    (_ramp(1.0, 30), [BusySpan(T0, T0 + WINDOW_MS, 0.0)], NotEnough.NO_BUSY_TIME),
    ([Reading(T0, 3.0)], [], NotEnough.SHORT),
])
def test_it_says_when_there_is_not_enough_data(
    answered: list[Reading], busy: list[BusySpan], reason: NotEnough
) -> None:
    load = workload(answered, [], busy)
    assert load is reason
    result = staffing(load, ServiceLevelTarget(80.0, 20), logged_in=5.0)
    assert (result.needed, result.reason, result.short_by) == (None, reason, 0)


def test_it_holds_each_raw_reading_until_the_next() -> None:
    spans = held([Reading(T0, 2.0), Reading(T0 + 10_000, 4.0)], T0 + 15_000)
    assert spans == [BusySpan(T0, T0 + 10_000, 2.0), BusySpan(T0 + 10_000, T0 + 15_000, 4.0)]


# -- against the simulator ------------------------------------------------------------------

SERVICE_ID = 100


def _model(agents: int, seed: int, start: float) -> ContactCenter:
    """One queue of single-queue agents, Erlang C's assumptions: a flat arrival rate of
    100 calls per 30 minutes, exponential handle times of 180 s, no after-call work,
    nobody hangs up, pauses or logs out."""
    queue = QueueSpec(SERVICE_ID, "Kundtjänst", 1, "Support", peak_rate=100 / HALF_HOUR_S,
                      mean_handle_s=180.0, sl_target_s=20.0)
    staff = [AgentSpec(1000 + i, f"Agent {i}", (SERVICE_ID,)) for i in range(agents)]
    behaviour = Behaviour(mean_wrapup_s=0.0, mean_patience_s=None,
                          mean_work_before_pause_s=None, mean_session_s=None,
                          profile=flat_profile)
    return ContactCenter([queue], staff, seed=seed, start=start, behaviour=behaviour)


def test_it_matches_the_simulators_service_level_over_a_long_run() -> None:
    """Pinned seed: 14 agents over 20 hours of model time (about 4000 calls) come within
    3 points of Erlang C's 88.9 % within 20 s."""
    start = 1_780_000_000.0
    model = _model(14, seed=16, start=start)
    model.advance(start + 20 * 3600)
    totals = model.queue_totals(SERVICE_ID)
    expected = figures(14, 100 / HALF_HOUR_S, 180.0, 20.0)
    assert totals.answered > 3500
    assert totals.answered_in_sl / totals.answered == pytest.approx(
        expected.service_level, abs=0.03)
    assert totals.wait_of_answered_s / totals.answered == pytest.approx(expected.asa_s, abs=3.0)


def test_it_estimates_the_agents_needed_from_the_simulators_readings() -> None:
    """Pinned seed: readings every 5 s over 2 hours of the simulator's queue give λ and h
    within 10 % of the model's, and within one agent of Erlang C's 14 for 80/20. (Over
    the 30 minutes the wall uses, 100 calls measure λ and h only to about ±10 %, two
    agents either way at this load: the measurement is the model's, not the formula's.)"""
    start = 1_780_000_000.0
    model = _model(16, seed=7, start=start)
    model.advance(start + 3600)  # warmed up
    answered, abandoned, busy = [], [], []
    t = start + 3600
    for _ in range(2 * 720 + 1):
        item = model.snapshot(t).services_state_by_id[SERVICE_ID]
        ts_ms = int(t * 1000)
        answered.append(Reading(ts_ms, float(item["answeredtoday"])))
        abandoned.append(Reading(ts_ms, float(item["abandonedtoday"])))
        busy.append(Reading(ts_ms, float(item["agentsbusy"])))
        t += 5.0
    load = workload(answered, abandoned, held(busy, busy[-1].ts_ms))
    assert isinstance(load, Workload)
    assert load.arrival_rate == pytest.approx(100 / HALF_HOUR_S, rel=0.10)
    assert load.handle_s == pytest.approx(180.0, rel=0.10)
    result = staffing(load, ServiceLevelTarget(80.0, 20), logged_in=16.0)
    assert result.needed is not None and abs(result.needed - 14) <= 1
    assert result.short_by == 0
