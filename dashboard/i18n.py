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
    # -- workers and drift: wall screen strip, /health, /drift -------------------------
    "workers": ("Workers", "Arbetare"),
    "n_up": ("{n} up", "{n} uppe"),
    "n_degraded": ("{n} degraded", "{n} försämrade"),
    "n_down": ("{n} down", "{n} nere"),
    "n_pending": ("{n} pending", "{n} väntar"),
    "state_up": ("UP", "UPPE"),
    "state_degraded": ("DEGRADED", "FÖRSÄMRAD"),
    "state_down": ("DOWN", "NERE"),
    "state_pending": ("PENDING", "VÄNTAR"),
    "drifting_one": ("1 resource drifting", "1 resurs avviker"),
    "drifting_other": ("{n} resources drifting", "{n} resurser avviker"),
    "no_drift": ("no drift", "inga avvikelser"),
    "drift_item": ("{resource} {field} {desired}→{actual} for {age}",
                   "{resource} {field} {desired}→{actual} i {age}"),
    "nav_wall": ("Wall screen", "Väggskärm"),
    "nav_health": ("Health", "Hälsa"),
    "nav_drift": ("Drift", "Avvikelser"),
    "health_title": ("Source health", "Källornas hälsa"),
    "kind_health": ("Worker", "Arbetare"),
    "kind_drift": ("Reconciler", "Avstämmare"),
    "kind_other": ("Trio site", "Trio-plats"),
    "breaker": ("Breaker", "Brytare"),
    "breaker_closed": ("closed", "stängd"),
    "breaker_open_state": ("open", "öppen"),
    "breaker_half_open_state": ("half open", "halvöppen"),
    "last_success": ("Last success", "Senaste lyckade"),
    "ago": ("{age} ago", "för {age} sedan"),
    "never": ("never", "aldrig"),
    "last_error_label": ("Last error", "Senaste fel"),
    "uptime_24h": ("Uptime 24 h", "Tillgänglighet 24 h"),
    "uptime_7d": ("Uptime 7 d", "Tillgänglighet 7 d"),
    "latency_1h": ("Latency, last hour", "Svarstid, senaste timmen"),
    "disabled": ("disabled", "avstängd"),
    "from_config": ("from configuration", "från konfigurationen"),
    "all_sources": ("← All sources", "← Alla källor"),
    "state_history": ("State history", "Tillståndshistorik"),
    "col_time": ("Time", "Tid"),
    "col_change": ("Change", "Ändring"),
    "col_reason": ("Reason", "Orsak"),
    "latency_24h": ("Latency, last 24 h (ms)", "Svarstid, senaste 24 h (ms)"),
    "no_events": ("No state changes recorded", "Inga tillståndsändringar registrerade"),
    "unknown_source": ("Unknown source {name}", "Okänd källa {name}"),
    "no_sources": ("No sources yet", "Inga källor ännu"),
    "targets": ("Health targets", "Hälsomål"),
    "new_target": ("New target", "Nytt mål"),
    "edit_target": ("Edit {name}", "Redigera {name}"),
    "save": ("Save", "Spara"),
    "delete": ("Delete", "Ta bort"),
    "edit": ("Edit", "Redigera"),
    "field_name": ("Name", "Namn"),
    "field_url": ("URL", "URL"),
    "field_interval_s": ("Interval (s)", "Intervall (s)"),
    "field_timeout_s": ("Timeout (s)", "Tidsgräns (s)"),
    "field_expected_status": ("Expected status", "Förväntad status"),
    "field_conditions": ("Conditions, one per line", "Villkor, ett per rad"),
    "field_degraded_latency_ms": ("Degraded above (ms)", "Försämrad över (ms)"),
    "field_down_after": ("Down after failures", "Nere efter antal fel"),
    "field_enabled": ("Enabled", "Aktiv"),
    "saved": ("Saved {name}", "Sparade {name}"),
    "deleted": ("Deleted {name}", "Tog bort {name}"),
    "admin_only": ("Only administrators can change health targets",
                   "Endast administratörer kan ändra hälsomål"),
    "read_only_target": ("{name} comes from the configuration and cannot be changed here",
                         "{name} kommer från konfigurationen och kan inte ändras här"),
    "target_exists": ("A target with this name already exists",
                      "Det finns redan ett mål med det namnet"),
    "unknown_target": ("{name} no longer exists", "{name} finns inte längre"),
    "not_saved": ("Not saved: {error}", "Inte sparat: {error}"),
    "not_saved_fields": ("Not saved: check the marked field",
                         "Inte sparat: se det markerade fältet"),
    "drift_title": ("Reconciliation drift", "Avstämningsavvikelser"),
    "drift_over_time": ("Drifting resources per provider, last 24 h",
                        "Avvikande resurser per leverantör, senaste 24 h"),
    "drifting_now": ("Drifting now", "Avviker nu"),
    "col_resource": ("Resource", "Resurs"),
    "col_provider": ("Provider", "Leverantör"),
    "col_field": ("Field", "Fält"),
    "col_desired_actual": ("Desired → actual", "Önskat → faktiskt"),
    "col_since": ("Since", "Sedan"),
    "col_how_long": ("How long", "Hur länge"),
    "no_drift_now": ("Nothing is drifting", "Inget avviker"),
    "reconcilers": ("Reconcilers", "Avstämmare"),
    "last_run": ("Last successful run", "Senaste lyckade körning"),
    "consecutive_failures": ("Consecutive failures", "Fel i följd"),
    "healthy": ("healthy", "frisk"),
    "unhealthy": ("unhealthy", "inte frisk"),
    "cycle_trend": ("Cycle duration, last 24 h (s)", "Cykeltid, senaste 24 h (s)"),
    "drift_durations": ("How long drift lasted before it was reconciled, last 7 d",
                        "Hur länge avvikelser varade innan de åtgärdades, senaste 7 d"),
    "reconciled_count": ("Reconciled drifts", "Åtgärdade avvikelser"),
    "recent_drift_events": ("Recent drift changes", "Senaste ändringar"),
    "drift_started": ("started drifting", "började avvika"),
    "drift_reconciled": ("reconciled after {age}", "åtgärdad efter {age}"),
    "no_data_yet": ("No data yet", "Inga data ännu"),
    "no_reconcilers": ("No reconcilers configured", "Inga avstämmare konfigurerade"),
    # -- thresholds page (issue 5): keys start with "thr_" ------------------------------
    # -- end of thresholds page -----------------------------------------------------------
    # -- alerts page and wall screen alert texts (issue 5): keys start with "alr_" --------
    # -- end of alerts page ---------------------------------------------------------------
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
