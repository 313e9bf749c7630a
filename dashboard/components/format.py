"""Number and time formats shown on the wall screen (the same in both languages)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo


def wait(seconds: float | None) -> str:
    """A wait as ``m:ss`` (``h:mm:ss`` from an hour); an en dash when unknown."""
    if seconds is None:
        return "–"
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def age(milliseconds: int) -> str:
    """A coarse age: ``42 s``, ``3 min``, ``5 h``, ``2 d``."""
    seconds = max(0, milliseconds // 1000)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def count(value: float | None) -> str:
    return "–" if value is None else str(int(round(value)))


def percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value):.0f} %"


def clock_time(ts_ms: int, now_ms: int) -> str:
    """A moment in the server's local time: ``14:03:12`` today, else with the date."""
    moment = datetime.fromtimestamp(ts_ms / 1000)
    if moment.date() == datetime.fromtimestamp(now_ms / 1000).date():
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M")


def site_time(ts_ms: int, now_ms: int, tz: str, *, seconds: bool = True) -> str:
    """A moment in the site's time zone ``tz`` (``DashboardConfig.timezone``), whatever
    the server's: ``11:36:42`` (``11:36`` without ``seconds``) on the same local day as
    ``now_ms``, else with the date."""
    zone = ZoneInfo(tz)
    moment = datetime.fromtimestamp(ts_ms / 1000, UTC).astimezone(zone)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    if moment.date() == datetime.fromtimestamp(now_ms / 1000, UTC).astimezone(zone).date():
        return moment.strftime(clock)
    return moment.strftime(f"%Y-%m-%d {clock}")


def short_time(ts_ms: int, now_ms: int) -> str:
    """A moment to the minute in the server's local time: ``14:30`` if on the same day
    as ``now_ms``, else with the date."""
    moment = datetime.fromtimestamp(ts_ms / 1000)
    if moment.date() == datetime.fromtimestamp(now_ms / 1000).date():
        return moment.strftime("%H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


def data_attributes(**values: str) -> dict[str, Any]:
    """``data-*`` attributes for a component, e.g. ``data-level`` for browser tests."""
    return {f"data-{name}": value for name, value in values.items()}


def ratio(value: float | None) -> str:
    """A share 0..1 as a percentage with one decimal (``99.9 %``); en dash if unknown."""
    return "–" if value is None else f"{value * 100:.1f} %"


def latency(ms: float | None) -> str:
    return "–" if ms is None else f"{ms:.0f} ms"
