"""Every user-facing string of the dashboard, in English and Swedish."""

from __future__ import annotations

from enum import StrEnum


class Lang(StrEnum):
    EN = "en"
    SV = "sv"


DEFAULT_LANG = Lang.EN

# key -> (English, Swedish). Placeholders are str.format fields.
_TEXTS: dict[str, tuple[str, str]] = {
    "waiting": ("Waiting", "Väntar"),
    "longest_wait": ("Longest wait", "Längsta väntetid"),
    "service_level": ("Service level", "Servicenivå"),
    "available": ("Available", "Lediga"),
    "busy": ("Busy", "Upptagna"),
    "paused": ("Paused", "Paus"),
    "closed": ("Closed", "Stängd"),
    "no_data": ("No data", "Inga data"),
    "updated_ago": ("updated {age} ago", "uppdaterad för {age} sedan"),
    "stale": ("STALE", "INAKTUELL"),
    "last_value_ago": ("last value {age} ago", "senaste värde för {age} sedan"),
    "no_collector_since": (
        "No collector is running since {time}: numbers are not being updated",
        "Ingen insamlare är igång sedan {time}: siffrorna uppdateras inte",
    ),
    "no_collector": (
        "No collector is running: numbers are not being updated",
        "Ingen insamlare är igång: siffrorna uppdateras inte",
    ),
    "connection_lost": ("Connection to the server lost", "Anslutningen till servern bröts"),
    "connection_lost_hint": (
        "Reconnecting automatically…",
        "Återansluter automatiskt…",
    ),
    "breaker_open": (
        "{source} unreachable: polling paused since {time} after {n} failed polls",
        "{source} går inte att nå: hämtningen pausad sedan {time} efter {n} misslyckade "
        "försök",
    ),
    "breaker_half_open": (
        "{source}: trying again after repeated failures",
        "{source}: försöker igen efter upprepade fel",
    ),
    "failing": (
        "{source}: {n} failed polls since {time}",
        "{source}: {n} misslyckade hämtningar sedan {time}",
    ),
    "failover": (
        "Failover active: using the standby server {url}",
        "Reservserver i bruk: {url}",
    ),
    "last_error": ("Last error: {error}", "Senaste fel: {error}"),
    "not_polled": (
        "The queue source has not been polled yet",
        "Kökällan har inte hämtats ännu",
    ),
    "all_ok": ("All OK", "Allt OK"),
    "warnings_one": ("1 warning", "1 varning"),
    "warnings_other": ("{n} warnings", "{n} varningar"),
    "critical_one": ("1 critical", "1 kritisk"),
    "critical_other": ("{n} critical", "{n} kritiska"),
    "stale_one": ("1 stale", "1 inaktuell"),
    "stale_other": ("{n} stale", "{n} inaktuella"),
    "no_queues": ("No queues reported yet", "Inga köer rapporterade ännu"),
    "no_current_data": ("No current data", "Inga aktuella data"),
    "db_unavailable": ("Database unavailable", "Databasen är inte tillgänglig"),
    "longest_wait_anywhere": ("Longest wait", "Längsta väntetid"),
    "log_out": ("Log out", "Logga ut"),
    "language": ("Language", "Språk"),
    "unknown_time": ("an unknown time", "okänd tid"),
}


def language(value: object, default: str = DEFAULT_LANG) -> Lang:
    """A stored or configured language; anything unknown falls back to ``default``."""
    for candidate in (value, default):
        if isinstance(candidate, str) and candidate in Lang._value2member_map_:
            return Lang(candidate)
    return DEFAULT_LANG


def t(key: str, lang: str, **fields: object) -> str:
    """The text ``key`` in ``lang``, formatted with ``fields``; KeyError if unknown."""
    english, swedish = _TEXTS[key]
    text = swedish if lang == Lang.SV else english
    return text.format(**fields) if fields else text


def tn(key: str, n: int, lang: str) -> str:
    """A counted text: ``<key>_one`` for 1, ``<key>_other`` otherwise."""
    return t(f"{key}_one" if n == 1 else f"{key}_other", lang, n=n)


def keys() -> list[str]:
    return list(_TEXTS)
