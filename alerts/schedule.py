"""When a rule is active: always, while its queue is open, or inside weekly windows.

Pure: the time is an argument. Windows are wall-clock times in the rule's time zone, so
"08:00-17:00" stays 08:00-17:00 local across daylight saving changes; on the night the
clocks go forward a window starting inside the skipped hour starts when the clock
reaches its start (at 03:00), and on the night they go back the repeated hour counts
as inside a window covering it both times.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time

from .model import ActiveMode, Rule, Window


def is_active(rule: Rule, ts_ms: int, *, queue_open: bool | None) -> bool:
    """Whether ``rule`` may fire at ``ts_ms`` (epoch ms, UTC).

    ``queue_open`` matters only for ``while_open`` rules: True = open; False = closed;
    None = unknown (no recent ``open`` value), not active, so a rule never fires on a
    queue whose opening hours cannot be told. (``engine.evaluate`` asks this only when
    the data is known: an open alert is held, not closed, while it is unknown.)
    ``enabled`` is not looked at here.
    """
    if rule.active is ActiveMode.ALWAYS:
        return True
    if rule.active is ActiveMode.WHILE_OPEN:
        return queue_open is True
    zone = zoneinfo.ZoneInfo(rule.timezone)  # zoneinfo caches zones by key
    local = datetime.fromtimestamp(ts_ms / 1000, zone)
    return any(in_window(window, local) for window in rule.windows)


def in_window(window: Window, local: datetime) -> bool:
    """Whether the local wall-clock time ``local`` falls inside ``window``. A window
    crossing midnight belongs to the day it starts on."""
    start, end = _time(window.start), _time(window.end)
    now = local.time().replace(tzinfo=None)
    day = local.weekday()
    if start < end:
        return day in window.days and start <= now < end
    # Past midnight: the evening part belongs to today, the morning part to yesterday.
    yesterday = (day - 1) % 7
    return (day in window.days and now >= start) or (yesterday in window.days and now < end)


def _time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
