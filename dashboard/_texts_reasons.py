"""Texts of the reasons work, staged until the lead folds them into the catalog
(``scripts/i18n.py import-dict dashboard._texts_reasons --remove``)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # A state metric's reason (specs.text.stored): the state's word, not "= 1".
    "rss_critical": ("{state} (critical)", "{state} (kritisk)"),
    "rss_warning": ("{state} (warning)", "{state} (varning)"),
    "rss_not": ("not {state}", "inte {state}"),
    # Why a stored rule cannot be evaluated (alerts.model's SpecError messages, stored in
    # "the rule cannot be evaluated: {error}"): {field} is shown as the form's label.
    "rsn_spec_set_threshold": ("{field}: set a warning or a critical threshold (or both)",
                               "{field}: ange en varningsgräns eller en kritisk gräns "
                               "(eller båda)"),
    "rsn_spec_above_warning": ("{field}: must be more than warning ({warning}) for above",
                               "{field}: måste vara större än varningsgränsen ({warning}) "
                               "när regeln larmar över"),
    "rsn_spec_below_warning": ("{field}: must be less than warning ({warning}) for below",
                               "{field}: måste vara mindre än varningsgränsen ({warning}) "
                               "när regeln larmar under"),
    "rsn_spec_add_window": ("{field}: add at least one time window (active is windows)",
                            "{field}: lägg till minst ett tidsfönster (regeln är aktiv i "
                            "tidsfönster)"),
    "rsn_spec_not_object": ("{field}: must be an object, not {kind}",
                            "{field}: måste vara ett objekt, inte {kind}"),
    "rsn_spec_unknown_field": ("{field}: unknown field", "{field}: okänt fält"),
    "rsn_spec_unknown_fields": ("{field}: unknown fields", "{field}: okända fält"),
    "rsn_spec_known_fields": ("known fields are {known}", "kända fält är {known}"),
    "rsn_spec_duration": ("{field}: must be between 0 and {max} seconds (7 days)",
                          "{field}: måste vara mellan 0 och {max} sekunder (7 dygn)"),
    "rsn_spec_no_data_after": ("{field}: must be more than 0 (or empty: no no-data handling)",
                               "{field}: måste vara större än 0 (eller tomt: ingen hantering "
                               "av utebliven data)"),
    "rsn_spec_recover_from": ("{field}: needs a {severity} threshold to recover from",
                              "{field}: behöver en gräns ({severity}) att återgå från"),
    "rsn_spec_at_most": ("{field}: must be at most the {severity} threshold ({threshold})",
                         "{field}: får vara högst gränsen ({severity}, {threshold})"),
    "rsn_spec_at_least": ("{field}: must be at least the {severity} threshold ({threshold})",
                          "{field}: måste vara minst gränsen ({severity}, {threshold})"),
    "rsn_spec_required": ("{field}: required", "{field}: måste anges"),
    "rsn_spec_one_of": ("one of {choices}", "ett av {choices}"),
    "rsn_spec_not_one_of": ("{field}: {value} is not one of {choices}",
                            "{field}: {value} är inte ett av {choices}"),
    "rsn_spec_not_name": ("{field}: {value} is not a name", "{field}: {value} är inget namn"),
    "rsn_spec_too_long": ("{field}: must be at most {n} characters",
                          "{field}: får vara högst {n} tecken"),
    "rsn_spec_metric_id": ("{field}: {value} must be a series metric name like longest_wait_s "
                           "(a-z, 0-9, _)",
                           "{field}: {value} måste vara ett måtts namn (a-z, 0-9, _)"),
    "rsn_spec_not_text": ("{field}: {value} is not a string", "{field}: {value} är ingen text"),
    "rsn_spec_entity_ids": ("{field}: must be a list of entity ids (empty = all)",
                            "{field}: måste vara en lista av id:n (tom = alla)"),
    "rsn_spec_not_entity_id": ("{field}: {value} is not an entity id",
                               "{field}: {value} är inget id"),
    "rsn_spec_windows": ("{field}: must be a list of time windows",
                         "{field}: måste vara en lista av tidsfönster"),
    "rsn_spec_days": ("{field}: must be a non-empty list of days 0-6 (0 = Monday)",
                      "{field}: måste vara en lista av minst en dag 0–6 (0 = måndag)"),
    "rsn_spec_not_day": ("{field}: {value} is not a day 0-6 (0 = Monday)",
                         "{field}: {value} är ingen dag 0–6 (0 = måndag)"),
    "rsn_spec_end_start": ("{field}: must differ from start ({start})",
                           "{field}: måste skilja sig från början ({start})"),
    "rsn_spec_use_always": ("use active always", "använd alltid aktiv"),
    "rsn_spec_not_time": ("{field}: {value} is not a time HH:MM (00:00-23:59)",
                          "{field}: {value} är ingen tid TT:MM (00:00–23:59)"),
    "rsn_spec_channels": ("{field}: must be a list of notification channel names",
                          "{field}: måste vara en lista av aviseringskanalers namn"),
    "rsn_spec_not_channel": ("{field}: {value} is not a channel name",
                             "{field}: {value} är inget kanalnamn"),
    "rsn_spec_zone_like": ("{field}: {value} is not a time zone like Europe/Stockholm",
                           "{field}: {value} är ingen tidszon som Europe/Stockholm"),
    "rsn_spec_unknown_zone": ("{field}: {value} is not a known time zone",
                              "{field}: {value} är ingen känd tidszon"),
    # trio-monitor users list / displays list.
    "cli_list_user_active": ("active", "aktiv"),
    "cli_list_user_disabled": ("disabled", "avstängd"),
    "cli_list_last_login": ("last login {time}", "senaste inloggning {time}"),
    "cli_list_display_revoked": ("revoked", "återkallad"),
    "cli_list_display_never_seen": ("seen never", "aldrig sedd"),
    "cli_list_display_seen": ("seen {age}", "sedd {age}"),
    "cli_list_display_view": ("view {name}", "teamskärm {name}"),
    # trio-monitor messages post / list / withdraw.
    "cli_msg_posted_all": ("message {id} on every screen until {time}",
                           "meddelande {id} på alla skärmar till {time}"),
    "cli_msg_posted_some": ("message {id} on display(s) {ids} until {time}",
                            "meddelande {id} på skärm(ar) {ids} till {time}"),
    "cli_msg_on_screens": ("on screens", "visas"),
    "cli_msg_withdrawn_by": ("withdrawn by {user}", "tillbakadraget av {user}"),
    "cli_msg_all": ("all", "alla"),
    "cli_msg_until": ("until {time}", "till {time}"),
    "cli_msg_screens": ("screens {screens}", "skärmar {screens}"),
    "cli_msg_withdrawn": ("message {id} withdrawn", "meddelande {id} tillbakadraget"),
}
