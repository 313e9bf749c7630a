"""The demo's simulated day: surges of calls that put some queues under pressure at any
hour (simulator.Surges), and the model's history as a function of time."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from simulator import Behaviour, Surges, build_contact_center, queue_history

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SURGES = Surges(period_s=1200.0, length_s=240.0, factor=5.0, every=3, origin=1_000_000.0)


def test_it_surges_every_third_queue_in_turn_from_the_origin() -> None:
    # 12 queues: the 1st, 4th, 7th and 10th surge, a turn every 300 s of the 1200.
    assert SURGES.factor_at(0, 12, 1_000_000.0) == 5.0
    assert SURGES.factor_at(0, 12, 1_000_239.0) == 5.0
    assert SURGES.factor_at(0, 12, 1_000_240.0) == 0.0
    assert SURGES.factor_at(3, 12, 1_000_299.0) == 0.0
    assert SURGES.factor_at(3, 12, 1_000_300.0) == 5.0
    assert SURGES.factor_at(9, 12, 1_000_900.0) == 5.0
    assert SURGES.factor_at(0, 12, 1_001_200.0) == 5.0  # the next period
    assert all(SURGES.factor_at(q, 12, t) == 0.0
               for q in (1, 2, 4, 5, 11) for t in range(1_000_000, 1_001_200, 60))


def test_it_always_has_a_surge_starting_within_five_minutes_at_any_time() -> None:
    for t in range(1_000_000, 1_000_000 + 86_400, 37):
        starts = [SURGES.window(q, 12, t) for q in range(12)]
        waiting = min(until - t if factor == 0.0 else 0.0 for factor, until in starts)
        assert waiting <= 300.0, t


def test_it_says_when_a_surge_window_changes() -> None:
    assert SURGES.window(0, 12, 1_000_100.0) == (5.0, 1_000_240.0)
    assert SURGES.window(0, 12, 1_000_240.0) == (0.0, 1_001_200.0)
    assert SURGES.window(1, 12, 1_000_100.0) == (0.0, math.inf)


@pytest.mark.parametrize("bad", [dict(length_s=0.0), dict(length_s=1300.0),
                                 dict(factor=0.0), dict(every=0)])
def test_it_refuses_surges_that_cannot_happen(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="surges need"):
        Surges(**bad)  # type: ignore[arg-type]


def _waits(behaviour: Behaviour | None, start: float, seconds: int) -> list[list[int]]:
    model = build_contact_center(queues=12, agents=60, seed=11, now=start,
                                 behaviour=behaviour)
    return [[item["longestwaittime"] for item in model.queue_items(start + k)]
            for k in range(0, seconds, 10)]


def test_it_puts_a_surging_queue_under_pressure_at_night_and_lets_it_recover() -> None:
    # 03:00 local, the quietest hour: without surges nobody waits; with them the first
    # queue's surge (from a minute after the start) makes callers wait past the 20-s
    # alert threshold, and the wait ends again after the surge.
    start = datetime(2026, 3, 4, 3, 0, tzinfo=STOCKHOLM).timestamp()
    quiet = _waits(None, start, 900)
    assert max(max(row) for row in quiet) < 15
    surging = _waits(Behaviour(surges=Surges(origin=start + 60)), start, 900)
    first = [row[0] for row in surging]
    assert max(first[:6]) == 0  # before the surge (60 s)
    assert max(first[6:36]) > 20  # during its 4 minutes and just after
    assert first[-1] == 0  # recovered by the end of the quarter


def test_it_keeps_the_draws_of_a_run_without_surges() -> None:
    # The deterministic tests pin values on runs without surges: adding the field must
    # not change them.
    start = datetime(2026, 3, 4, 9, 0, tzinfo=STOCKHOLM).timestamp()
    assert _waits(None, start, 600) == _waits(Behaviour(), start, 600)


def test_it_replays_the_queue_states_at_each_step_up_to_the_clock() -> None:
    start = datetime(2026, 3, 4, 9, 0, tzinfo=STOCKHOLM).timestamp()
    model = build_contact_center(queues=3, agents=10, seed=2, now=start)
    reads = iter([start + 3600.0] * 100)
    moments = list(queue_history(model, ((start, 300.0), (start + 1800.0, 60.0)),
                                 lambda: next(reads)))
    times = [t for t, _ in moments]
    assert times[:7] == [start + k * 300.0 for k in range(7)]
    assert times[7] == start + 1860.0 and times[-1] == start + 3600.0
    assert len(times) == 6 + 31
    assert all(len(items) == 3 and {"serviceid", "longestwaittime", "open"} <= set(items[0])
               for _, items in moments)
    assert model.now == start + 3600.0


def test_it_refuses_a_history_without_a_step() -> None:
    model = build_contact_center(queues=1, agents=1, seed=2, now=1_000_000.0)
    with pytest.raises(ValueError, match="step_s > 0"):
        list(queue_history(model, ((1_000_000.0, 0.0),), lambda: 1_000_600.0))
