"""New texts of the dayfix branch, folded into the catalog at merge
(``scripts/i18n.py import-dict dashboard._texts_dayfix --remove``)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # The daily table on /queues/<id>: which service-level target it judged against.
    "hst_help_target_own": (
        "Service level is marked when under this queue's own target, {target} (the target "
        "set now, for every day shown).",
        "Servicenivån markeras när den är under köns eget mål, {target} (målet som gäller "
        "nu, för alla dagar som visas).",
    ),
    "hst_help_target_default": (
        "Service level is marked when under the site's default target, {target}: this "
        "queue has no target of its own.",
        "Servicenivån markeras när den är under platsens standardmål, {target}: kön har "
        "inget eget mål.",
    ),
    "hst_below_target": ("under the target {target}", "under målet {target}"),
    "hst_col_sl_target": ("Service-level target (% / s)", "Servicenivåmål (% / s)"),
    # Planned maintenance: a one-off's two local times (the CLI; shared checks).
    "mnt_bad_datetime": ("Give the start and end as YYYY-MM-DD HH:MM.",
                         "Ange början och slut som ÅÅÅÅ-MM-DD TT:MM."),
    "mnt_end_before_start": ("The end must be after the start.",
                             "Slutet måste komma efter början."),
    # trio-monitor maintenance
    "cli_mnt_bad_day": ("not a weekday: '{day}' (monday .. sunday, or mon .. sun)",
                        "ingen veckodag: '{day}' (måndag .. söndag, eller mån .. sön)"),
    "cli_mnt_day_weekly_only": ("--day is for weekly maintenance; once takes dates in "
                                "--start and --end",
                                "--day gäller underhåll varje vecka; en gång tar datum i "
                                "--start och --end"),
    "cli_mnt_unknown_rule": ("no rule is named or numbered '{rule}' (see /thresholds)",
                             "ingen regel heter eller har nummer '{rule}' (se /thresholds)"),
    "cli_mnt_unknown_source": ("no source is named '{source}'; known: {known}",
                               "ingen källa heter '{source}'; kända: {known}"),
    "cli_mnt_unknown_kind": ("no entities of kind '{kind}'; known: {known}",
                             "inga objekt av typen '{kind}'; kända: {known}"),
    "cli_mnt_entity_needs_kind": ("--entity needs --kind (e.g. --kind queue)",
                                  "--entity kräver --kind (t.ex. --kind queue)"),
    "cli_mnt_unknown_entity": ("no {kind} {ids} in source '{source}'",
                               "ingen {kind} {ids} i källan '{source}'"),
    "cli_mnt_running": ("running", "pågår"),
    "cli_mnt_planned": ("planned", "planerat"),
    "cli_mnt_over": ("over", "över"),
    "cli_mnt_ended": ("ended by {user}", "avslutat av {user}"),
    "cli_mnt_already_ended": ("Maintenance #{id} had already ended.",
                              "Underhåll #{id} var redan avslutat."),
    # Rule metrics derived from a queue's day counters (specs/floor_metrics.py).
    "ths_metric_interval_service_level_pct": ("Service level this 15 min",
                                              "Servicenivå denna kvart"),
    "ths_metric_agents_short": ("Agents short (Erlang C)", "Agenter som saknas (Erlang C)"),
}
