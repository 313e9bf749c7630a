"""Texts of the day's figures, the 15-minute service level, staffing (Erlang C) and the
per-queue service-level target: key -> (English, Swedish)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "erl_metric_asa": ("Average speed of answer", "Genomsnittlig svarstid"),
    # -- the tile ------------------------------------------------------------------------
    "erl_today_line": ("Today {answered} answered · {abandoned} abandoned ({rate})",
                       "I dag {answered} besvarade · {abandoned} tappade ({rate})"),
    "erl_asa_short": ("ASA {asa}", "Svarstid {asa}"),
    "erl_interval_line": ("SL this 15 min {interval} · today {day} · target {target}",
                          "SN denna kvart {interval} · i dag {day} · mål {target}"),
    "erl_needs_more": ("needs {n} more", "behöver {n} till"),
    "erl_staffed": ("{needed} needed · {logged_in} logged in",
                    "{needed} behövs · {logged_in} inloggade"),
    "erl_not_enough": ("Staffing: not enough data", "Bemanning: för lite data"),
    "erl_reason_short": ("less than 20 of the last 30 minutes stored",
                         "mindre än 20 av de senaste 30 minuterna lagrade"),
    "erl_reason_few_calls": ("fewer than 10 calls answered in 30 minutes",
                             "färre än 10 besvarade samtal på 30 minuter"),
    "erl_reason_no_busy_time": ("no agent was busy while calls were answered",
                                "ingen agent var upptagen medan samtal besvarades"),
    "erl_reason_no_agents_figure": ("agents logged in unknown", "inloggade agenter okänt"),
    # -- /queues/<id> --------------------------------------------------------------------
    "erl_today_title": ("Today", "I dag"),
    "erl_answered": ("Answered", "Besvarade"),
    "erl_abandoned": ("Abandoned", "Tappade"),
    "erl_abandon_rate": ("Abandon rate", "Andel tappade"),
    "erl_asa": ("Average speed of answer", "Genomsnittlig svarstid"),
    "erl_not_sent": ("not sent by the server", "skickas inte av servern"),
    "erl_day_sl": ("Service level today", "Servicenivå i dag"),
    "erl_interval_sl": ("Service level this 15 min", "Servicenivå denna kvart"),
    "erl_staffing": ("Staffing now (Erlang C)", "Bemanning nu (Erlang C)"),
    "erl_staffing_detail": (
        "{calls:.0f} calls offered in {minutes:.0f} min, average handle time {handle}",
        "{calls:.0f} samtal på {minutes:.0f} min, genomsnittlig hanteringstid {handle}"),
    "erl_staffing_note": (
        "For this queue alone: an agent serving several queues counts as busy in each.",
        "För kön ensam: en agent som tar flera köer räknas som upptagen i var och en."),
    "erl_chart_intervals": ("Service level per 15 minutes today",
                            "Servicenivå per kvart i dag"),
    "erl_chart_staffing": ("Agents needed (Erlang C) and logged in, today",
                           "Agenter som behövs (Erlang C) och inloggade, i dag"),
    "erl_target_line": ("Target {target}", "Mål {target}"),
    "erl_needed": ("Needed", "Behövs"),
    "erl_logged_in": ("Logged in", "Inloggade"),
    "erl_level": ("Service level", "Servicenivå"),
    "erl_no_intervals": ("No call answered today yet.", "Inga besvarade samtal i dag än."),
    "erl_no_staffing": ("Not enough data today for a staffing figure.",
                        "För lite data i dag för en bemanningssiffra."),
    # -- the target form (administrators) ------------------------------------------------
    "erl_admin_only": ("Only administrators can change a queue's target",
                       "Bara administratörer kan ändra en kös mål"),
    "erl_target_title": ("Service-level target", "Mål för servicenivå"),
    "erl_target_own": ("This queue's own target: {target}", "Köns eget mål: {target}"),
    "erl_target_default": ("The site's default target: {target}",
                           "Platsens standardmål: {target}"),
    "erl_target_pct": ("Share answered (%)", "Andel besvarade (%)"),
    "erl_target_s": ("Within (seconds)", "Inom (sekunder)"),
    "erl_target_save": ("Save target", "Spara målet"),
    "erl_target_reset": ("Use the default", "Använd standard"),
    "erl_target_saved": ("Saved: {target}", "Sparat: {target}"),
    "erl_target_cleared": ("Back to the default {target}", "Tillbaka till standard {target}"),
    "erl_target_bad_pct": ("Not saved: the share must be above 0 and below 100 %.",
                           "Inte sparat: andelen måste vara över 0 och under 100 %."),
    "erl_target_bad_s": ("Not saved: the seconds must be a whole number from 1 to 3600.",
                         "Inte sparat: sekunderna måste vara ett heltal från 1 till 3600."),
    "erl_target_note": (
        "The service level is the Trio server's, counted with its own threshold: give the "
        "same seconds here.",
        "Servicenivån är Trio-serverns, räknad med dess egen gräns: ange samma sekunder här."),
}
