"""When planned maintenance runs: pure, the time is an argument.

A one-off window runs from its start to its end. A weekly window is wall-clock time in
its zone, judged exactly like a rule's schedule (``alerts.schedule.in_window``): "Sunday
02:00-04:00" stays 02:00-04:00 local across daylight saving. On the night the clocks go
forward (Europe/Stockholm: the last Sunday of March, 02:00 -> 03:00) it runs from the
jump to 04:00, one hour; on the night they go back (the last Sunday of October, 03:00 ->
02:00) the repeated hour is inside it both times, three hours. A window ended by a
person stops at that moment.

While a window runs, the alerts in its scope are silenced (``Occurrence`` has the
``active_at``/``matches`` of ``storage.SilenceRow``, and the evaluator treats both the
same: ``Mute``), and the wall screen shows "maintenance" for what it covers.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from storage import MaintenanceKind, MaintenanceRow, Weekly

from .model import Window
from .schedule import in_window

DAY_MS = 86_400_000
WEEK_DAYS = 7


class Mute(Protocol):
    """What silences an alert while it is active: a silence or a running maintenance."""

    def active_at(self, now_ms: int) -> bool: ...

    def matches(self, rule_id: int, source: str, entity_kind: str, entity_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One run of a window: ``start_ms`` .. ``end_ms`` (for showing and sorting; whether
    it runs at a moment is ``running``'s answer, see the module's note on the night the
    clocks go back)."""

    window: MaintenanceRow
    start_ms: int
    end_ms: int

    def active_at(self, now_ms: int) -> bool:
        return running(self.window, now_ms)

    def matches(self, rule_id: int, source: str, entity_kind: str, entity_id: str) -> bool:
        return self.window.matches(rule_id, source, entity_kind, entity_id)


def running(window: MaintenanceRow, ts_ms: int) -> bool:
    """Whether ``window`` runs at ``ts_ms`` (epoch ms, UTC)."""
    if window.ended_at_ms is not None and ts_ms >= window.ended_at_ms:
        return False
    if window.kind is MaintenanceKind.ONCE:
        assert window.starts_at_ms is not None and window.ends_at_ms is not None
        return window.starts_at_ms <= ts_ms < window.ends_at_ms
    weekly = _weekly(window)
    local = datetime.fromtimestamp(ts_ms / 1000, zoneinfo.ZoneInfo(weekly.timezone))
    return in_window(as_window(weekly), local)


def as_window(weekly: Weekly) -> Window:
    """The rule schedule's ``Window`` of a weekly maintenance (the same judgement)."""
    return Window(days=frozenset(weekly.weekdays), start=hhmm(weekly.start_minute),
                  end=hhmm(weekly.end_minute))


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def running_now(windows: Iterable[MaintenanceRow], now_ms: int) -> list[Occurrence]:
    """The occurrences running at ``now_ms`` (what the evaluator silences by)."""
    found = []
    for window in windows:
        if running(window, now_ms):
            current = next_occurrence(window, now_ms)
            if current is not None:
                found.append(current)
    return found


def next_occurrence(window: MaintenanceRow, now_ms: int) -> Occurrence | None:
    """The occurrence running at ``now_ms``, else the next one to start; None when the
    window will not run again (ended, or a one-off that is over)."""
    ends = window.ended_at_ms
    if window.kind is MaintenanceKind.ONCE:
        assert window.starts_at_ms is not None and window.ends_at_ms is not None
        end = window.ends_at_ms if ends is None else min(ends, window.ends_at_ms)
        if end <= now_ms or window.starts_at_ms >= end:
            return None
        return Occurrence(window, window.starts_at_ms, end)
    for start, end in weekly_occurrences(_weekly(window), now_ms - DAY_MS,
                                         now_ms + (WEEK_DAYS + 1) * DAY_MS):
        if ends is not None:
            if start >= ends:
                return None
            end = min(end, ends)
        if end > now_ms:
            return Occurrence(window, start, end)
    return None


def upcoming(windows: Iterable[MaintenanceRow], now_ms: int, horizon_ms: int
             ) -> list[Occurrence]:
    """Each window's running or next occurrence starting before ``now_ms + horizon_ms``,
    soonest first (the "upcoming maintenance" list)."""
    found = [occurrence for window in windows
             if (occurrence := next_occurrence(window, now_ms)) is not None
             and occurrence.start_ms < now_ms + horizon_ms]
    return sorted(found, key=lambda o: (o.start_ms, o.window.id))


def weekly_occurrences(weekly: Weekly, from_ms: int, to_ms: int) -> list[tuple[int, int]]:
    """(start, end) in epoch ms of the runs of ``weekly`` that overlap [from, to), in
    order. Start and end are the first moment the local clock reads them: a time the
    clocks skip is the moment of the jump, a repeated time its first pass. A run wholly
    inside skipped time does not happen."""
    zone = zoneinfo.ZoneInfo(weekly.timezone)
    first = datetime.fromtimestamp(from_ms / 1000, zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(to_ms / 1000, zone).date()
    found = []
    day = first
    while day <= last:
        if day.weekday() in weekly.weekdays:
            end_day = day + timedelta(days=1) if weekly.end_minute <= weekly.start_minute else day
            start = first_instant(day, weekly.start_minute, zone)
            end = first_instant(end_day, weekly.end_minute, zone)
            if start < end and end > from_ms and start < to_ms:
                found.append((start, end))
        day += timedelta(days=1)
    return found


def first_instant(day: date, minute: int, zone: zoneinfo.ZoneInfo) -> int:
    """The first moment (epoch ms) the clock in ``zone`` reads ``minute`` after midnight
    of ``day`` or later."""
    naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    earlier = datetime(naive.year, naive.month, naive.day, naive.hour, naive.minute,
                       tzinfo=zone, fold=0)
    later = earlier.replace(fold=1)
    candidates = sorted({int(earlier.timestamp()), int(later.timestamp())})
    exists = [ts for ts in candidates if _local(ts, zone) == naive]
    if exists:
        return exists[0] * 1000  # a repeated time: its first pass
    # Skipped by the clocks: the moment of the jump, the first second reading later.
    low, high = candidates[0], candidates[-1]
    while low < high:
        middle = (low + high) // 2
        if _local(middle, zone) >= naive:
            high = middle
        else:
            low = middle + 1
    return low * 1000


def _local(ts_s: int, zone: zoneinfo.ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ts_s, zone).replace(tzinfo=None)


def _weekly(window: MaintenanceRow) -> Weekly:
    assert window.weekly is not None, f"maintenance {window.id} is weekly without its days"
    return window.weekly
