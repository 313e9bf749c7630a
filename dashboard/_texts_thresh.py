"""Texts of /thresholds' rule form in a supervisor's words: metric names and units, entity
pickers, durations and the sentence that states a rule. Key -> (English, Swedish)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # Names of the metrics the specs registries declare for rules (specs.health, .drift,
    # .sources; the queue metrics' names are the tiles').
    "ths_metric_state_down": ("Health target down", "Hälsomål nere"),
    "ths_metric_latency_ms": ("Response time", "Svarstid"),
    "ths_metric_drift_oldest_s": ("Oldest drift", "Äldsta avvikelse"),
    "ths_metric_drift_count": ("Resources drifting", "Avvikande resurser"),
    "ths_metric_last_success_age_s": ("Time since last successful run",
                                      "Tid sedan senaste lyckade körning"),
    "ths_metric_data_age_s": ("Age of the newest data", "Ålder på senaste data"),
    "ths_metric_screen_silence_s": ("Time since last update", "Tid sedan senaste uppdatering"),
    "ths_state_down": ("down", "nere"),
    # Units shown beside a threshold (durations are entered as m:ss instead).
    "ths_unit_calls": ("calls", "samtal"),
    "ths_unit_agents": ("agents", "agenter"),
    "ths_unit_resources": ("resources", "resurser"),
    "ths_unit_duration": ("m:ss", "m:ss"),
    # The metric picker's groups, by the kind of entity measured.
    "ths_group_queue": ("Queues", "Köer"),
    "ths_group_target": ("Health targets", "Hälsomål"),
    "ths_group_provider": ("Drift providers", "Leverantörer (avvikelser)"),
    "ths_group_reconciler": ("Reconcilers", "Avstämmare"),
    "ths_group_source": ("Sources", "Källor"),
    "ths_group_screen": ("Wall screens", "Väggskärmar"),
    "ths_group_other": ("Other series", "Andra serier"),
    # "Every ..." of a rule that watches all entities of its kind.
    "ths_every_queue": ("every queue", "alla köer"),
    "ths_every_target": ("every health target", "alla hälsomål"),
    "ths_every_provider": ("every drift provider", "alla leverantörer"),
    "ths_every_reconciler": ("every reconciler", "alla avstämmare"),
    "ths_every_source": ("every source", "alla källor"),
    "ths_every_screen": ("every wall screen", "alla väggskärmar"),
    "ths_every_any": ("everything watched", "allt som bevakas"),
    # "Any ..." of a state rule that watches all entities of its kind.
    "ths_any_target": ("any health target", "något hälsomål"),
    "ths_any_any": ("anything watched", "något som bevakas"),
    "ths_from_source": ("{where} of {source}", "{where} från {source}"),
    "ths_unknown_entity": ("{id} (not seen now)", "{id} (syns inte nu)"),
    # The form's fields that changed from ids and seconds to pickers and durations.
    "ths_field_metric": ("What to watch", "Vad som bevakas"),
    "ths_field_entity_ids": ("Which ones (empty = all)", "Vilka (tom = alla)"),
    "ths_field_source": ("Source", "Källa"),
    "ths_any_source": ("any source", "alla källor"),
    "ths_field_severity": ("Severity when it happens", "Allvarlighet när det händer"),
    "ths_severity_warning": ("warning", "varning"),
    "ths_severity_critical": ("critical", "kritiskt"),
    "ths_field_pending_s": ("For at least (0:20, 20 s; 0 = at once)",
                            "I minst (0:20, 20 s; 0 = direkt)"),
    "ths_field_keep_firing_for_s": ("Keep firing after recovery (0:20, 20 s)",
                                    "Fortsätt larma efter återställning (0:20, 20 s)"),
    "ths_field_no_data_after_s": ("No data after (0:20, 20 s; empty = off)",
                                  "Ingen data efter (0:20, 20 s; tom = av)"),
    "ths_sentence_title": ("The rule in words", "Regeln i ord"),
    "ths_col_rule": ("Rule", "Regel"),
    "ths_pick_metric": ("Pick what to watch", "Välj vad som ska bevakas"),
    "ths_not_a_rule_yet": ("Not a rule yet: {error}", "Ännu ingen regel: {error}"),
    # The pickers' own words (Dash's dropdown labels); {num_selected} is the dropdown's.
    "ths_dd_select_all": ("Select all", "Välj alla"),
    "ths_dd_deselect_all": ("Deselect all", "Avmarkera alla"),
    "ths_dd_selected_count": ("{num_selected} selected", "{num_selected} valda"),
    "ths_dd_search": ("Search", "Sök"),
    "ths_dd_clear_search": ("Clear search", "Rensa sökningen"),
    "ths_dd_clear_selection": ("Clear selection", "Rensa valet"),
    "ths_dd_no_options_found": ("None found", "Inga träffar"),
    # Bad input, said plainly.
    "ths_bad_duration": (
        "\"{text}\" is not a duration: write it like 0:20, 20 s, 1:30 or 5 min",
        "\"{text}\" är ingen tid: skriv till exempel 0:20, 20 s, 1:30 eller 5 min"),
    "ths_bad_number": ("\"{text}\" is not a number", "\"{text}\" är inget tal"),
    # The sentence: "Alert when <subject> <condition>[ for <d>][; recover ...][; keep ...]."
    "ths_s_alert": ("Alert when {subject} {condition}", "Larma när {subject} {condition}"),
    "ths_s_metric_in": ("{metric} in {where}", "{metric} i {where}"),
    "ths_s_above": ("is at or above {value}", "är minst {value}"),
    "ths_s_below": ("is below {value}", "är under {value}"),
    "ths_s_is_state": ("is {state}", "är {state}"),
    "ths_s_severity": ("{value} ({severity})", "{value} ({severity})"),
    "ths_s_or": ("{first} or {second}", "{first} eller {second}"),
    "ths_s_and": ("{first} and {second}", "{first} och {second}"),
    "ths_s_for": (" for {duration}", " i {duration}"),
    "ths_s_recover_above": ("; recover below {value}", "; återställ under {value}"),
    "ths_s_recover_below": ("; recover at or above {value}", "; återställ vid minst {value}"),
    "ths_s_keep": ("; keep firing {duration} after it recovers",
                   "; fortsätt larma {duration} efter återställning"),
}
