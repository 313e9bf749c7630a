"""How a moment is written for people: always in the site's time zone
(``TRIO_MONITOR_TIMEZONE``), never in the server's or the browser's, so a wall screen, a
page, a notification and a CSV file name the same minute the same way.

Every moment is stored as epoch milliseconds (UTC); these functions are the only place
that turns one into a local date and time. The dashboard reaches them through
``dashboard.components.format``; notifications call them directly (``alerts`` may not
import the dashboard).

Where a time could be misread it carries what is needed to read it: a moment on another
local day than ``now_ms`` shows its date, and ``stamp`` (notifications, title
attributes) names the zone's abbreviation (``CET``, ``CEST``).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CLOCK = "%H:%M:%S"
MINUTES = "%H:%M"
DATE = "%Y-%m-%d"


@lru_cache(maxsize=16)
def site_zone(tz: str) -> ZoneInfo:
    """The zone named ``tz``; ``ValueError`` naming it if it is unknown."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}, e.g. 'Europe/Stockholm'") from None


def local(ts_ms: int, tz: str) -> datetime:
    """The moment ``ts_ms`` as an aware datetime in ``tz``."""
    return datetime.fromtimestamp(ts_ms / 1000, site_zone(tz))


def site_time(ts_ms: int, now_ms: int, tz: str, *, seconds: bool = True) -> str:
    """``14:03:12`` (``14:03`` without ``seconds``) on the same local day as ``now_ms``,
    else with the date, ``2024-03-05 14:03:12``: a moment of another day always shows
    its date."""
    moment = local(ts_ms, tz)
    clock = CLOCK if seconds else MINUTES
    if moment.date() == local(now_ms, tz).date():
        return moment.strftime(clock)
    return moment.strftime(f"{DATE} {clock}")


def time_of_day(ts_ms: int, tz: str, *, seconds: bool = False) -> str:
    """``14:03`` (``14:03:07`` with ``seconds``) without the date, where the day is shown
    beside it."""
    return local(ts_ms, tz).strftime(CLOCK if seconds else MINUTES)


def stamp(ts_ms: int, tz: str) -> str:
    """Date, time and the zone's abbreviation: ``2024-03-05 14:03:07 CET``. For text read
    anywhere (notifications) and for the title of a shorter time on a page."""
    return local(ts_ms, tz).strftime(f"{DATE} {CLOCK} %Z")


def minute(ts_ms: int, tz: str) -> str:
    """``2024-03-05 14:03``: to the minute, always with the date (the range fields)."""
    return local(ts_ms, tz).strftime(f"{DATE} {MINUTES}")


def day(ts_ms: int, tz: str) -> str:
    """The local day of ``ts_ms``: ``2024-03-05`` (CSV file names, daily figures)."""
    return local(ts_ms, tz).date().isoformat()


def abbreviation(ts_ms: int, tz: str) -> str:
    """The zone's abbreviation at ``ts_ms``: ``CET`` in winter, ``CEST`` in summer."""
    return local(ts_ms, tz).strftime("%Z")


class LocalTimes:
    """Timestamps as local-time strings of ``tz`` (chart x values, which plotly reads
    faster than datetimes), each formatted once; to the minute unless ``seconds``
    (bucket starts are whole minutes: shorter text, smaller figures)."""

    def __init__(self, tz: str, *, seconds: bool = True) -> None:
        self.zone = site_zone(tz)
        self._format = f"{DATE} {CLOCK}" if seconds else f"{DATE} {MINUTES}"
        self._cache: dict[int, str] = {}

    def __call__(self, ts_ms: int) -> str:
        text = self._cache.get(ts_ms)
        if text is None:
            moment = datetime.fromtimestamp(ts_ms / 1000, self.zone)
            text = self._cache[ts_ms] = moment.strftime(self._format)
        return text

    def short(self, ts_ms: int) -> str:
        """To the minute, with the date."""
        return self(ts_ms)[:16]
