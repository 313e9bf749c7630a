"""Texts of the floor: the supervisor role, messages to the floor (the ticker and its
form on /alerts), planned maintenance (its form, the upcoming list, the wall's mark).

key -> (English, Swedish); ``str.format`` placeholders. Merged into ``dashboard.i18n``.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # the role
    "flr_role_supervisor": ("supervisor", "arbetsledare"),
    "flr_make_supervisor": ("Make supervisor", "Gör till arbetsledare"),
    "flr_supervisor_only": (
        "Only supervisors and administrators can change silences and maintenance",
        "Endast arbetsledare och administratörer kan ändra tystningar och underhåll"),
    "flr_messages_supervisor_only": (
        "Only supervisors and administrators can post and withdraw messages",
        "Endast arbetsledare och administratörer kan skicka och dra tillbaka meddelanden"),
    # /admin's audit log filter
    "flr_kind_message": ("Messages to the floor", "Meddelanden till golvet"),
    "flr_kind_maintenance": ("Planned maintenance", "Planerat underhåll"),
    # the ticker
    "flr_ticker_label": ("Message", "Meddelande"),
    "flr_ticker_until": ("until {time}", "till {time}"),
    # messages on /alerts
    "flr_messages_title": ("Messages to the floor", "Meddelanden till golvet"),
    "flr_new_message": ("New message", "Nytt meddelande"),
    "flr_field_text": ("Message", "Meddelande"),
    "flr_field_expiry": ("Shown for", "Visas i"),
    "flr_field_screens": ("Screens", "Skärmar"),
    "flr_all_screens": ("All screens", "Alla skärmar"),
    "flr_post": ("Post", "Skicka"),
    "flr_withdraw": ("Withdraw", "Dra tillbaka"),
    "flr_no_messages": ("No messages", "Inga meddelanden"),
    "flr_col_message": ("Message", "Meddelande"),
    "flr_col_screens": ("Screens", "Skärmar"),
    "flr_col_until": ("Until", "Till"),
    "flr_col_by": ("By", "Av"),
    "flr_col_state": ("State", "Läge"),
    "flr_msg_running": ("on the screens", "visas"),
    "flr_msg_expired": ("expired", "utgånget"),
    "flr_msg_withdrawn": ("withdrawn by {user} at {time}", "tillbakadraget av {user} {time}"),
    "flr_posted": ("Message posted; shown until {time}.",
                   "Meddelandet skickat; visas till {time}."),
    "flr_withdrawn": ("Message #{id} withdrawn.", "Meddelande #{id} tillbakadraget."),
    "flr_text_required": ("Write the message.", "Skriv meddelandet."),
    "flr_text_too_long": ("A message has at most {n} characters.",
                          "Ett meddelande har högst {n} tecken."),
    "flr_bad_expiry": ("Choose how long it is shown.", "Välj hur länge det visas."),
    "flr_bad_screens": ("Choose screens from the list.", "Välj skärmar ur listan."),
    "flr_unknown_message": ("No message #{id}.", "Inget meddelande #{id}."),
    "flr_db_error": ("The database did not answer: {error}", "Databasen svarade inte: {error}"),
    # maintenance on /alerts
    "flr_maintenance_title": ("Upcoming maintenance", "Kommande underhåll"),
    "flr_new_maintenance": ("Plan maintenance", "Planera underhåll"),
    "flr_field_repeat": ("Repeats", "Upprepas"),
    "flr_repeat_once": ("once", "en gång"),
    "flr_repeat_weekly": ("every week", "varje vecka"),
    "flr_field_date": ("Date (once, YYYY-MM-DD)", "Datum (en gång, ÅÅÅÅ-MM-DD)"),
    "flr_field_weekday": ("Weekday (weekly)", "Veckodag (varje vecka)"),
    "flr_field_start": ("From (HH:MM)", "Från (TT:MM)"),
    "flr_field_end": ("To (HH:MM)", "Till (TT:MM)"),
    "flr_plan": ("Plan", "Planera"),
    "flr_end_maintenance": ("Withdraw", "Dra tillbaka"),
    "flr_no_maintenance": ("No maintenance planned", "Inget underhåll planerat"),
    "flr_col_scope": ("Scope", "Omfattning"),
    "flr_col_when": ("When", "När"),
    "flr_col_reason": ("Reason", "Orsak"),
    "flr_col_next": ("Next", "Nästa"),
    "flr_weekly_text": ("every {day} {start}–{end}", "varje {day} {start}–{end}"),
    "flr_running_until": ("running, until {time}", "pågår, till {time}"),
    "flr_starts": ("starts {time}", "börjar {time}"),
    "flr_maintenance_planned": ("Maintenance planned: {when}.", "Underhåll planerat: {when}."),
    "flr_maintenance_ended": ("Maintenance #{id} withdrawn.", "Underhåll #{id} tillbakadraget."),
    "flr_unknown_maintenance": ("No maintenance #{id}.", "Inget underhåll #{id}."),
    "flr_bad_date": ("Give the date as YYYY-MM-DD.", "Ange datumet som ÅÅÅÅ-MM-DD."),
    "flr_bad_time": ("Give the times as HH:MM.", "Ange tiderna som TT:MM."),
    "flr_bad_weekday": ("Choose a weekday.", "Välj en veckodag."),
    "flr_bad_repeat": ("Choose once or every week.", "Välj en gång eller varje vecka."),
    "flr_maintenance_past": ("That maintenance would be over already.",
                             "Det underhållet vore redan över."),
    "flr_day_0": ("Monday", "måndag"),
    "flr_day_1": ("Tuesday", "tisdag"),
    "flr_day_2": ("Wednesday", "onsdag"),
    "flr_day_3": ("Thursday", "torsdag"),
    "flr_day_4": ("Friday", "fredag"),
    "flr_day_5": ("Saturday", "lördag"),
    "flr_day_6": ("Sunday", "söndag"),
    # the wall
    "flr_maintenance_until": ("maintenance until {time}", "underhåll till {time}"),
}
