"""alerts.schedule: when a rule may fire (always, while open, weekly windows across
midnight and Europe/Stockholm's daylight saving changes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from alerts import Rule, is_active, validate_rule


def rule(**fields: Any) -> Rule:
    base: dict[str, Any] = {"name": "Wait", "metric": "longest_wait_s", "direction": "above",
                            "warning": 15}
    return validate_rule(base | fields)


def windows(*items: tuple[list[int], str, str], **fields: Any) -> Rule:
    spans = [{"days": days, "start": start, "end": end} for days, start, end in items]
    return rule(active="windows", windows=spans, **fields)


def utc_ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp() * 1000)


EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]


def test_it_is_always_active_by_default() -> None:
    assert is_active(rule(), utc_ms(2026, 1, 1, 3, 0), queue_open=None)


@pytest.mark.parametrize(("queue_open", "active"), [(True, True), (False, False), (None, False)])
def test_it_is_active_while_open_only_when_the_queue_is_known_open(
    queue_open: bool | None, active: bool
) -> None:
    assert is_active(rule(active="while_open"), utc_ms(2026, 1, 1), queue_open=queue_open) is active


@pytest.mark.parametrize(
    ("when", "active"),
    [
        # Stockholm is UTC+1 in January; 2026-01-05 is a Monday.
        (utc_ms(2026, 1, 5, 6, 59), False),  # 07:59 local
        (utc_ms(2026, 1, 5, 7, 0), True),  # 08:00 local: the start is inside
        (utc_ms(2026, 1, 5, 15, 59), True),  # 16:59 local
        (utc_ms(2026, 1, 5, 16, 0), False),  # 17:00 local: the end is outside
        (utc_ms(2026, 1, 10, 10, 0), False),  # Saturday
    ],
)
def test_it_is_active_inside_a_weekday_window_in_local_time(when: int, active: bool) -> None:
    office = windows(([0, 1, 2, 3, 4], "08:00", "17:00"))
    assert is_active(office, when, queue_open=None) is active


@pytest.mark.parametrize(
    ("when", "active"),
    [
        (utc_ms(2026, 1, 9, 20, 59), False),  # Friday 21:59 local
        (utc_ms(2026, 1, 9, 21, 0), True),  # Friday 22:00
        (utc_ms(2026, 1, 9, 23, 30), True),  # Saturday 00:30: still Friday's window
        (utc_ms(2026, 1, 10, 4, 59), True),  # Saturday 05:59
        (utc_ms(2026, 1, 10, 5, 0), False),  # Saturday 06:00: ended
        (utc_ms(2026, 1, 10, 22, 0), False),  # Saturday 23:00: no window starts Saturday
        (utc_ms(2026, 1, 8, 23, 30), False),  # Friday 00:30: Thursday has no window
    ],
)
def test_it_runs_a_window_past_midnight_into_the_next_day(when: int, active: bool) -> None:
    friday_night = windows(([4], "22:00", "06:00"))
    assert is_active(friday_night, when, queue_open=None) is active


@pytest.mark.parametrize(
    ("when", "active"),
    [
        # 2026-03-29: clocks go 02:00 CET -> 03:00 CEST. 08:30 local is 07:30 UTC the day
        # before and 06:30 UTC from that day on.
        (utc_ms(2026, 3, 28, 7, 30), True),  # Saturday 08:30 CET
        (utc_ms(2026, 3, 28, 6, 30), False),  # Saturday 07:30 CET
        (utc_ms(2026, 3, 29, 6, 30), True),  # Sunday 08:30 CEST
        (utc_ms(2026, 3, 29, 15, 30), False),  # Sunday 17:30 CEST
        (utc_ms(2026, 3, 29, 14, 59), True),  # Sunday 16:59 CEST
    ],
)
def test_it_keeps_wall_clock_windows_when_clocks_go_forward(when: int, active: bool) -> None:
    daily = windows((EVERY_DAY, "08:00", "17:00"))
    assert is_active(daily, when, queue_open=None) is active


@pytest.mark.parametrize(
    ("when", "active"),
    [
        (utc_ms(2026, 3, 29, 0, 59), False),  # 01:59 CET: before the skipped hour
        (utc_ms(2026, 3, 29, 1, 0), True),  # 03:00 CEST: 02:30 never happened, now past it
        (utc_ms(2026, 3, 29, 1, 59), True),  # 03:59 CEST
        (utc_ms(2026, 3, 29, 2, 0), False),  # 04:00 CEST
    ],
)
def test_it_starts_a_window_inside_the_skipped_hour_when_the_clock_passes_it(
    when: int, active: bool
) -> None:
    sunday_night = windows(([6], "02:30", "04:00"))
    assert is_active(sunday_night, when, queue_open=None) is active


@pytest.mark.parametrize(
    ("when", "active"),
    [
        (utc_ms(2026, 3, 28, 21, 0), True),  # Saturday 22:00 CET
        (utc_ms(2026, 3, 29, 3, 59), True),  # Sunday 05:59 CEST (7 h of real time later)
        (utc_ms(2026, 3, 29, 4, 0), False),  # Sunday 06:00 CEST
    ],
)
def test_it_runs_a_night_window_across_the_spring_change(when: int, active: bool) -> None:
    nights = windows((EVERY_DAY, "22:00", "06:00"))
    assert is_active(nights, when, queue_open=None) is active


@pytest.mark.parametrize(
    ("when", "active"),
    [
        # 2026-10-25: clocks go 03:00 CEST -> 02:00 CET; 02:00-03:00 happens twice.
        (utc_ms(2026, 10, 24, 23, 59), False),  # 01:59 CEST
        (utc_ms(2026, 10, 25, 0, 30), True),  # 02:30 CEST, the first time
        (utc_ms(2026, 10, 25, 1, 30), True),  # 02:30 CET, the second time
        (utc_ms(2026, 10, 25, 2, 0), False),  # 03:00 CET
    ],
)
def test_it_counts_the_repeated_hour_twice_when_clocks_go_back(when: int, active: bool) -> None:
    repeated_hour = windows(([6], "02:00", "03:00"))
    assert is_active(repeated_hour, when, queue_open=None) is active


@pytest.mark.parametrize(
    ("when", "active"),
    [
        (utc_ms(2026, 10, 24, 6, 30), True),  # Saturday 08:30 CEST
        (utc_ms(2026, 10, 26, 6, 30), False),  # Monday 07:30 CET
        (utc_ms(2026, 10, 26, 7, 30), True),  # Monday 08:30 CET
        (utc_ms(2026, 10, 26, 15, 59), True),  # Monday 16:59 CET
        (utc_ms(2026, 10, 26, 16, 0), False),  # Monday 17:00 CET
    ],
)
def test_it_keeps_wall_clock_windows_when_clocks_go_back(when: int, active: bool) -> None:
    daily = windows((EVERY_DAY, "08:00", "17:00"))
    assert is_active(daily, when, queue_open=None) is active


def test_it_uses_the_rules_own_time_zone() -> None:
    office = windows(([0, 1, 2, 3, 4], "08:00", "17:00"), timezone="America/New_York")
    monday_0830_stockholm = utc_ms(2026, 1, 5, 7, 30)  # 02:30 in New York
    assert not is_active(office, monday_0830_stockholm, queue_open=None)
    assert is_active(office, utc_ms(2026, 1, 5, 13, 30), queue_open=None)  # 08:30 New York


def test_it_is_active_in_any_of_several_windows() -> None:
    split = windows(([0], "08:00", "12:00"), ([0], "13:00", "17:00"))
    assert is_active(split, utc_ms(2026, 1, 5, 10, 0), queue_open=None)  # 11:00
    assert not is_active(split, utc_ms(2026, 1, 5, 11, 30), queue_open=None)  # 12:30
    assert is_active(split, utc_ms(2026, 1, 5, 12, 0), queue_open=None)  # 13:00
