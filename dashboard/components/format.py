"""Number and time formats of every page: the one place. Numbers with decimals follow
the language (``92.5 %`` / ``92,5 %``, through ``specs.text``); waits (``m:ss``), units
and times (ISO dates, 24-hour clock) read the same in English and Swedish.

Times are always in the site's zone (``DashboardConfig.timezone``), through
``specs.sitetime``: never the server's nor the browser's.
"""

from __future__ import annotations

from typing import Any

from dash import html

from specs import sitetime, text
from specs.languages import DEFAULT_LANG


def wait(seconds: float | None) -> str:
    """A wait as ``m:ss`` (``h:mm:ss`` from an hour); an en dash when unknown."""
    return text.format_clock(seconds)


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


def percent(value: float | None, lang: str = DEFAULT_LANG, decimals: int = 0) -> str:
    """A percentage (0..100): ``95 %``; with ``decimals``, ``92,5 %`` in Swedish."""
    return text.format_percent(value, lang, decimals)


def clock_time(ts_ms: int, now_ms: int, tz: str) -> str:
    """A moment in the site's zone ``tz`` to the second: ``14:03:12`` on the same local
    day as ``now_ms``, else ``2024-03-05 14:03:12``."""
    return sitetime.site_time(ts_ms, now_ms, tz)


def short_time(ts_ms: int, now_ms: int, tz: str) -> str:
    """A moment in the site's zone to the minute: ``14:30``, or with the date on another
    day."""
    return sitetime.site_time(ts_ms, now_ms, tz, seconds=False)


def site_time(ts_ms: int, now_ms: int, tz: str, *, seconds: bool = True) -> str:
    """``clock_time`` (``short_time`` without ``seconds``)."""
    return sitetime.site_time(ts_ms, now_ms, tz, seconds=seconds)


def moment(ts_ms: int, now_ms: int, tz: str, *, seconds: bool = True) -> html.Time:
    """A time in a table: ``clock_time`` (``short_time`` without ``seconds``), with its
    date, time and zone in the title for a reader in another zone."""
    return html.Time(site_time(ts_ms, now_ms, tz, seconds=seconds),
                     dateTime=sitetime.local(ts_ms, tz).isoformat(timespec="seconds"),
                     title=full_time(ts_ms, tz), className="moment")


def full_time(ts_ms: int, tz: str) -> str:
    """``2024-03-05 14:03:07 CET``: the title of a shorter time, for a reader elsewhere."""
    return sitetime.stamp(ts_ms, tz)


def local_day(ts_ms: int, tz: str) -> str:
    """The site's day of ``ts_ms``, ``2024-03-05``."""
    return sitetime.day(ts_ms, tz)


# Chart x values: local-time strings of the site's zone, each formatted once.
LocalTimes = sitetime.LocalTimes


def time_of_day(ts_ms: int, tz: str) -> str:
    """``14:03`` in the site's zone, where the day is shown beside it."""
    return sitetime.time_of_day(ts_ms, tz)


def actor_text(actor: str, lang: str) -> str:
    """Who made a change: a username, or the program itself ("system") in ``lang``."""
    return text.t("actor_system", lang) if actor == "system" else actor


def data_attributes(**values: str) -> dict[str, Any]:
    """``data-*`` attributes for a component, e.g. ``data-level`` for browser tests."""
    return {f"data-{name}": value for name, value in values.items()}


def ratio(value: float | None, lang: str = DEFAULT_LANG) -> str:
    """A share 0..1 as a percentage with one decimal (``99.9 %``, ``99,9 %`` in
    Swedish); en dash if unknown."""
    return text.format_percent(None if value is None else value * 100, lang, 1)


def number(value: float | None, lang: str = DEFAULT_LANG, decimals: int = 0) -> str:
    """``value`` with ``decimals`` decimals in ``lang``'s notation; en dash if unknown."""
    return text.format_number(value, lang, decimals)


def latency(ms: float | None) -> str:
    return "–" if ms is None else f"{ms:.0f} ms"
