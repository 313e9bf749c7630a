"""The day's 15-minute intervals in the site's zone, across midnight and clock changes,
and the service level of each from the day counters."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from specs.intervals import (
    Reading,
    current_interval,
    day_bounds,
    day_intervals,
    interval_levels,
    interval_start,
    steps,
)

TZ = "Europe/Stockholm"
ZONE = ZoneInfo(TZ)


def ms(text: str, fold: int = 0) -> int:
    """Epoch ms of a local wall time in Stockholm (``fold=1``: the second of a repeated
    hour)."""
    return int(datetime.fromisoformat(text).replace(tzinfo=ZONE, fold=fold).timestamp() * 1000)


def test_it_starts_intervals_on_the_local_quarter_hour() -> None:
    assert interval_start(ms("2026-06-01T08:29:59"), TZ) == ms("2026-06-01T08:15")
    assert interval_start(ms("2026-06-01T08:30:00"), TZ) == ms("2026-06-01T08:30")
    assert interval_start(ms("2026-06-02T00:00:01"), TZ) == ms("2026-06-02T00:00")


def test_it_keeps_the_two_repeated_hours_apart_when_clocks_go_back() -> None:
    first = ms("2026-10-25T02:20", fold=0)  # CEST
    second = ms("2026-10-25T02:20", fold=1)  # CET, an hour later
    assert second - first == 3_600_000
    assert interval_start(first, TZ) == ms("2026-10-25T02:15", fold=0)
    assert interval_start(second, TZ) == ms("2026-10-25T02:15", fold=1)


@pytest.mark.parametrize(("day", "count", "hours"), [
    ("2026-06-01", 96, 24), ("2026-03-29", 92, 23), ("2026-10-25", 100, 25),
])
def test_a_day_has_as_many_intervals_as_quarter_hours(day: str, count: int,
                                                      hours: int) -> None:
    noon = ms(f"{day}T12:00")
    intervals = day_intervals(noon, TZ)
    start, end = day_bounds(noon, TZ)
    assert len(intervals) == count and end - start == hours * 3_600_000
    assert intervals[0][0] == start and intervals[-1][1] == end
    assert intervals[0][2] == "00:00" and intervals[-1][2] == "23:45"


def test_it_labels_the_repeated_hour_with_the_zone() -> None:
    labels = [label for _, _, label in day_intervals(ms("2026-10-25T12:00"), TZ)]
    assert labels[8:16] == ["02:00 CEST", "02:15 CEST", "02:30 CEST", "02:45 CEST",
                            "02:00 CET", "02:15 CET", "02:30 CET", "02:45 CET"]
    assert labels.count("03:00") == 1
    spring = [label for _, _, label in day_intervals(ms("2026-03-29T12:00"), TZ)]
    assert "02:00" not in spring and spring[8] == "03:00"


def test_a_counter_that_falls_was_reset_and_counts_from_zero() -> None:
    readings = [Reading(1, 10.0), Reading(2, 12.0), Reading(3, 1.0), Reading(4, 4.0)]
    assert steps(readings) == [(2, 2.0), (3, 1.0), (4, 3.0)]


def test_it_splits_the_counters_growth_at_local_midnight() -> None:
    """Readings every 5 minutes from 23:40 to 00:20: the day counters reset at midnight;
    each step counts in the interval of its later reading."""
    times = [ms("2026-06-01T23:40") + i * 300_000 for i in range(9)]
    answered = [100, 110, 120, 130, 5, 15, 25, 35, 45]  # 00:00 reading: after the reset
    shares = [90.0, 90.0, 90.0, 89.0, 80.0, 80.0, 80.0, 80.0, 80.0]
    ans = [Reading(ts, float(a)) for ts, a in zip(times, answered, strict=True)]
    lvl = [Reading(ts, s) for ts, s in zip(times, shares, strict=True)]
    before = [iv for iv in day_intervals(times[0], TZ) if iv[2] == "23:45"]
    after = day_intervals(times[-1], TZ)[:2]
    late, = interval_levels(ans, lvl, before)
    first, second = interval_levels(ans, lvl, after)
    # 23:45-00:00: 110->120->130 (steps at 23:45, 23:50, 23:55: 10 + 10 + 10).
    assert late.answered == 30
    # in threshold: 0.9*110=99 -> 108 -> 115.7: 9 + 9 + 7.7 (the 23:45 step from 90 too).
    assert late.in_threshold == pytest.approx(9 + 9 + 7.7)
    # 00:00-00:15: the reset reading (5) counts in full, then 10 + 10.
    assert (first.answered, first.start_ms) == (25, ms("2026-06-02T00:00"))
    assert first.in_threshold == pytest.approx(4 + 8 + 8)
    assert first.service_level_pct == pytest.approx(80.0)
    assert second.answered == 20 and second.label == "00:15"


def test_it_counts_each_repeated_hours_intervals_apart() -> None:
    start = ms("2026-10-25T02:00", fold=0)
    times = [start + i * 300_000 for i in range(25)]  # 02:00 CEST .. 02:00 CET + 1 h
    ans = [Reading(ts, float(i * 2)) for i, ts in enumerate(times)]
    lvl = [Reading(ts, 100.0 if ts < ms("2026-10-25T02:00", fold=1) else 50.0)
           for ts in times]
    levels = {iv.label: iv for iv in interval_levels(ans, lvl, day_intervals(start, TZ))}
    assert levels["02:00 CEST"].answered == 4  # 02:05, 02:10 (02:00 is the first reading)
    assert levels["02:15 CEST"].service_level_pct == pytest.approx(100.0)
    assert levels["02:15 CET"].answered == 6
    assert levels["01:45"].answered == 0 and levels["01:45"].service_level_pct is None


def test_the_current_interval_includes_the_step_across_its_start() -> None:
    now = ms("2026-06-01T10:07")
    ans = [Reading(ms("2026-06-01T09:59"), 50.0), Reading(ms("2026-06-01T10:01"), 52.0),
           Reading(ms("2026-06-01T10:06"), 60.0)]
    lvl = [Reading(r.ts_ms, 80.0) for r in ans]
    current = current_interval(ans, lvl, now, TZ)
    assert (current.label, current.answered) == ("10:00", 10.0)
    assert current.service_level_pct == pytest.approx(80.0)


def test_a_rounding_wobble_of_the_share_never_counts_calls_answered_late() -> None:
    # 1000 answered at 80.0 %, then 1001 at 79.9 %: 800.0 -> 799.8 in threshold.
    ans = [Reading(ms("2026-06-01T10:01"), 1000.0), Reading(ms("2026-06-01T10:02"), 1001.0)]
    lvl = [Reading(ans[0].ts_ms, 80.0), Reading(ans[1].ts_ms, 79.9)]
    current = current_interval(ans, lvl, ms("2026-06-01T10:03"), TZ)
    assert current.answered == 1 and current.service_level_pct == 0.0
