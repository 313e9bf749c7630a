"""Planned maintenance: when a weekly window runs across daylight saving (pure, injected
times), and that a running window silences like a silence in the collector's evaluator
(no notification queued, none at the all-clear inside it, the alert told once it ends).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from alerts.maintenance import first_instant, next_occurrence, running, upcoming, weekly_occurrences
from storage import MaintenanceKind, MaintenanceRow, MaintenanceScope, Weekly

ZONE = "Europe/Stockholm"
SUNDAY = 6


def ms(text: str) -> int:
    """An ISO time with its offset, as epoch ms."""
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def weekly(start: str = "02:00", end: str = "04:00", days: tuple[int, ...] = (SUNDAY,),
           ended_at_ms: int | None = None) -> MaintenanceRow:
    def minute(text: str) -> int:
        hours, minutes = text.split(":")
        return int(hours) * 60 + int(minutes)

    return MaintenanceRow(
        id=1, scope=MaintenanceScope(source="trio"), kind=MaintenanceKind.WEEKLY,
        starts_at_ms=None, ends_at_ms=None,
        weekly=Weekly(days, minute(start), minute(end), ZONE), reason="Trio patching",
        created_by="sara", created_at_ms=0, ended_at_ms=ended_at_ms, ended_by=None)


def once(start_ms: int, end_ms: int) -> MaintenanceRow:
    return MaintenanceRow(
        id=2, scope=MaintenanceScope(), kind=MaintenanceKind.ONCE, starts_at_ms=start_ms,
        ends_at_ms=end_ms, weekly=None, reason="switch swap", created_by="sara",
        created_at_ms=0, ended_at_ms=None, ended_by=None)


def test_it_runs_sunday_0200_to_0400_local_on_an_ordinary_winter_sunday() -> None:
    window = weekly()
    assert not running(window, ms("2026-02-15T01:59:59+01:00"))
    assert running(window, ms("2026-02-15T02:00:00+01:00"))
    assert running(window, ms("2026-02-15T03:59:59+01:00"))
    assert not running(window, ms("2026-02-15T04:00:00+01:00"))
    assert not running(window, ms("2026-02-14T03:00:00+01:00"))  # a Saturday
    occurrence = next_occurrence(window, ms("2026-02-12T12:00:00+01:00"))
    assert occurrence is not None
    assert (occurrence.start_ms, occurrence.end_ms) == (
        ms("2026-02-15T01:00:00+00:00"), ms("2026-02-15T03:00:00+00:00"))


def test_in_summer_the_same_local_window_is_an_hour_earlier_in_utc() -> None:
    occurrence = next_occurrence(weekly(), ms("2026-06-01T12:00:00+02:00"))
    assert occurrence is not None
    assert (occurrence.start_ms, occurrence.end_ms) == (
        ms("2026-06-07T00:00:00+00:00"), ms("2026-06-07T02:00:00+00:00"))


def test_on_the_march_change_it_runs_from_the_jump_to_0400_one_hour() -> None:
    """2026-03-29: at 02:00 CET the clocks go to 03:00 CEST; 02:00-03:00 never happens."""
    window = weekly()
    assert not running(window, ms("2026-03-29T01:59:59+01:00"))
    assert running(window, ms("2026-03-29T03:00:00+02:00"))  # the jump: 01:00 UTC
    assert running(window, ms("2026-03-29T03:59:59+02:00"))
    assert not running(window, ms("2026-03-29T04:00:00+02:00"))
    occurrence = next_occurrence(window, ms("2026-03-28T12:00:00+01:00"))
    assert occurrence is not None
    assert (occurrence.start_ms, occurrence.end_ms) == (
        ms("2026-03-29T01:00:00+00:00"), ms("2026-03-29T02:00:00+00:00"))


def test_on_the_october_change_the_repeated_hour_is_inside_three_hours() -> None:
    """2026-10-25: at 03:00 CEST the clocks go back to 02:00 CET; 02:00-03:00 twice."""
    window = weekly()
    assert not running(window, ms("2026-10-25T01:59:59+02:00"))
    assert running(window, ms("2026-10-25T02:00:00+02:00"))  # the first pass
    assert running(window, ms("2026-10-25T02:30:00+01:00"))  # the second pass
    assert running(window, ms("2026-10-25T03:59:59+01:00"))
    assert not running(window, ms("2026-10-25T04:00:00+01:00"))
    occurrence = next_occurrence(window, ms("2026-10-24T12:00:00+02:00"))
    assert occurrence is not None
    assert (occurrence.start_ms, occurrence.end_ms) == (
        ms("2026-10-25T00:00:00+00:00"), ms("2026-10-25T03:00:00+00:00"))


def test_a_window_wholly_inside_the_skipped_hour_does_not_happen_that_night() -> None:
    window = weekly("02:10", "02:40")
    assert window.weekly is not None
    runs = weekly_occurrences(window.weekly, ms("2026-03-22T00:00:00+01:00"),
                              ms("2026-04-06T00:00:00+02:00"))
    assert runs == [(ms("2026-03-22T02:10:00+01:00"), ms("2026-03-22T02:40:00+01:00")),
                    (ms("2026-04-05T02:10:00+02:00"), ms("2026-04-05T02:40:00+02:00"))]
    assert not any(running(window, ms("2026-03-29T01:00:00+00:00") + m * 60_000)
                   for m in range(0, 120))


def test_a_skipped_time_is_the_moment_of_the_jump_a_repeated_one_its_first_pass() -> None:
    from datetime import date
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(ZONE)
    assert first_instant(date(2026, 3, 29), 150, zone) == ms("2026-03-29T01:00:00+00:00")
    assert first_instant(date(2026, 10, 25), 150, zone) == ms("2026-10-25T00:30:00+00:00")


def test_a_window_past_midnight_belongs_to_the_day_it_starts() -> None:
    window = weekly("23:00", "01:00", days=(5,))  # Saturday night
    assert running(window, ms("2026-02-14T23:30:00+01:00"))
    assert running(window, ms("2026-02-15T00:30:00+01:00"))
    assert not running(window, ms("2026-02-15T01:00:00+01:00"))
    assert not running(window, ms("2026-02-13T23:30:00+01:00"))  # a Friday


def test_a_window_ended_by_a_person_stops_then_and_has_no_next_run() -> None:
    stop = ms("2026-02-15T03:00:00+01:00")
    window = weekly(ended_at_ms=stop)
    assert running(window, stop - 1) and not running(window, stop)
    assert next_occurrence(window, stop) is None
    current = next_occurrence(window, stop - 60_000)
    assert current is not None and current.end_ms == stop


def test_upcoming_lists_running_and_next_runs_soonest_first() -> None:
    now = ms("2026-02-13T12:00:00+01:00")  # a Friday
    soon = once(now + 3_600_000, now + 7_200_000)
    over = once(now - 7_200_000, now - 3_600_000)
    listed = upcoming([weekly(), soon, over], now, 14 * 86_400_000)
    assert [(o.window.id, o.start_ms) for o in listed] == [
        (2, now + 3_600_000), (1, ms("2026-02-15T02:00:00+01:00"))]
    assert upcoming([weekly()], now, 3_600_000) == []


@pytest.mark.parametrize("when, expected", [
    ("2026-03-29T01:30:00+00:00", True), ("2026-10-25T02:30:00+00:00", True),
    ("2026-10-25T03:30:00+00:00", False), ("2026-03-29T02:00:00+00:00", False),
])
def test_an_occurrence_silences_in_its_scope_only_while_it_runs(when: str, expected: bool) -> None:
    occurrence = next_occurrence(weekly(), ms(when) - 86_400_000 * 2)
    assert occurrence is not None
    assert occurrence.active_at(ms(when)) is expected
    assert occurrence.matches(1, "trio", "queue", "12")
    assert not occurrence.matches(1, "health:worker-1", "target", "worker-1")
