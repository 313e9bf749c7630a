"""Texts of the CLI's operator output, the reasons of alert states the catalog lacked,
and the tiles' badges (helper "words"): key -> (English, Swedish)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # -- reasons the alert engine and service store (alerts/), read back by stored() --
    "rsn_no_value": ("no {metric} value", "inget värde för {metric}"),
    "rsn_no_fresh_value": ("no fresh {metric} value (newest {time})",
                           "inget färskt värde för {metric} (senaste {time})"),
    "rsn_source_failing": ("source {name} failing", "källan {name} fallerar"),
    "rsn_source_failing_since": ("source {name} failing since {time}",
                                 "källan {name} fallerar sedan {time}"),
    "rsn_open_unknown": ("queue open or closed unknown",
                         "okänt om kön är öppen eller stängd"),
    "rsn_held": ("kept open until the data is known again",
                 "hålls öppet tills data är kända igen"),
    "rsn_disabled": ("rule disabled by an administrator",
                     "regeln är avstängd av en administratör"),
    "rsn_orphan": ("no longer watched by this rule (its scope changed or the series is gone)",
                   "bevakas inte längre av regeln (dess omfattning ändrades eller serien "
                   "finns inte längre)"),
    "rsn_failover_counted": ("counted since the failover (the secondary server's counters)",
                             "räknat sedan failover (reservserverns räknare)"),
    "rsn_failover_counted_at": (
        "counted since the failover at {time} (the secondary server's counters)",
        "räknat sedan failover kl. {time} (reservserverns räknare)"),
    "rsn_for_of": ("{what} for {seconds} s of {pending} s", "{what} i {seconds} s av {pending} s"),
    "rsn_because": ("{what} ({why})", "{what} ({why})"),
    # -- trio-monitor status (trio_monitor/status.py) --
    "cli_never": ("never", "aldrig"),
    "cli_ago_s": ("{n} s ago", "för {n} s sedan"),
    "cli_ago_min": ("{n} min ago", "för {n} min sedan"),
    "cli_status_storage_ok": ("storage: ok", "lagring: ok"),
    "cli_status_storage_failing": (
        "storage: failing since {since}: {reason}; {polls} poll(s) with {samples} sample(s) "
        "held in memory, {lost} sample(s) lost",
        "lagring: fallerar sedan {since}: {reason}; {polls} hämtning(ar) med {samples} "
        "mätvärde(n) hålls i minnet, {lost} mätvärde(n) förlorade"),
    "cli_status_no_collector": (
        "collector: none active (the lease expired or was never taken)",
        "insamlare: ingen aktiv (leasen har gått ut eller togs aldrig)"),
    "cli_status_collector": ("collector: {holder} (lease token {token})",
                             "insamlare: {holder} (leasens nummer {token})"),
    "cli_status_not_polled": ("{name}: not polled yet", "{name}: inte hämtad ännu"),
    "cli_status_last_error": (" (last error: {error})", " (senaste fel: {error})"),
    "cli_status_breaker": ("breaker {state}{error}", "brytaren {state}{error}"),
    "cli_status_failing": ("failing, {n} poll(s) in a row{error}",
                           "fallerar, {n} hämtning(ar) i rad{error}"),
    "cli_status_state": ("state {state}", "tillstånd {state}"),
    "cli_status_no_success": ("no successful poll yet", "ingen lyckad hämtning ännu"),
    "cli_status_last_success": ("last success {age}", "senast lyckad {age}"),
    "cli_status_kind_trio": ("Trio sites", "Trio-siter"),
    "cli_status_kind_health": ("workers", "arbetare"),
    "cli_status_kind_drift": ("reconcilers", "avstämmare"),
    "cli_status_none": ("(none)", "(inga)"),
    "cli_status_source": ("{name}: {state}breaker {breaker}, last success {age}, failures {n}",
                          "{name}: {state}brytaren {breaker}, senast lyckad {age}, fel {n}"),
    "cli_status_failover": (", failover to {url}", ", failover till {url}"),
    "cli_status_unconfigured": (" (no longer configured)", " (inte längre konfigurerad)"),
    "cli_status_source_error": ("last error: {error}", "senaste fel: {error}"),
    "cli_status_queues": ("queues:", "köer:"),
    "cli_status_col_queue": ("queue", "kö"),
    "cli_status_col_open": ("open", "öppen"),
    "cli_status_col_age": ("age", "ålder"),
    "cli_status_col_calls_waiting": ("waiting", "väntar"),
    "cli_status_col_longest_wait_s": ("longest s", "längsta s"),
    "cli_status_col_service_level_pct": ("SL %", "SN %"),
    "cli_status_col_agents_available": ("free", "lediga"),
    "cli_status_col_agents_busy": ("busy", "upptagna"),
    "cli_status_col_agents_paused": ("paused", "paus"),
    "cli_yes": ("yes", "ja"),
    "cli_no": ("no", "nej"),
    "cli_state_up": ("up", "uppe"),
    "cli_state_degraded": ("degraded", "försämrad"),
    "cli_state_down": ("down", "nere"),
    "cli_state_pending": ("pending", "väntar"),
    "cli_breaker_closed": ("closed", "stängd"),
    "cli_breaker_open": ("open", "öppen"),
    "cli_breaker_half_open": ("half_open", "halvöppen"),
    # -- trio-monitor check-config --
    "cli_config_not_set": ("(not set)", "(inte satt)"),
    "cli_config_empty": ("(empty)", "(tom)"),
    "cli_config_warning": ("warning: {problem}", "varning: {problem}"),
    # -- trio-monitor db (trio_monitor/db.py) --
    "cli_db_empty": ("empty", "tom"),
    "cli_db_upgraded": ("database schema: {before} -> {after}",
                        "databasschema: {before} -> {after}"),
    "cli_db_current": ("current: {revision}", "nuvarande: {revision}"),
    "cli_db_head": ("head:    {revision}", "senaste:   {revision}"),
    "cli_db_no_file": ("{revision} (no database file at {path})",
                       "{revision} (ingen databasfil på {path})"),
    "cli_db_pg_backup": (
        "trio-monitor: PostgreSQL: run the command above (pg_dump is consistent while the "
        "collector writes); the password comes from PGPASSWORD or ~/.pgpass",
        "trio-monitor: PostgreSQL: kör kommandot ovan (pg_dump är konsekvent medan "
        "insamlaren skriver); lösenordet tas från PGPASSWORD eller ~/.pgpass"),
    "cli_db_backup_written": (
        "backup of {path} at schema revision {revision} written to {target} ({size} MiB)",
        "säkerhetskopia av {path} med schemarevision {revision} skriven till {target} "
        "({size} MiB)"),
    "cli_db_no_backup_file": ("no file at {path}", "ingen fil på {path}"),
    "cli_db_pg_restore": (
        "trio-monitor: PostgreSQL: stop every collector and web process, then run the "
        "command above; then trio-monitor db upgrade",
        "trio-monitor: PostgreSQL: stoppa varje insamlare och webbprocess, kör sedan "
        "kommandot ovan; sedan trio-monitor db upgrade"),
    "cli_db_restored": ("restored {path} from {file} (schema revision {revision})",
                        "{path} återställd från {file} (schemarevision {revision})"),
    "cli_db_previous_kept": ("the database it replaced is kept as {path}",
                             "databasen den ersatte finns kvar som {path}"),
    "cli_db_upgrade_first": ("run trio-monitor db upgrade before starting the services",
                             "kör trio-monitor db upgrade innan tjänsterna startas"),
    "cli_db_leased": (
        "a collector ({holder}) holds the lease: stop every collector (and the web app) first",
        "en insamlare ({holder}) håller leasen: stoppa först varje insamlare (och "
        "webbappen)"),
}
