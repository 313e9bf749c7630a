"""Texts of the team wall screens (folded into the catalog at merge)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # The wall screen
    "team_gone": ("Gone", "Borta"),
    "team_gone_text": ("No longer on the Trio server", "Finns inte längre på Trio-servern"),
    "team_gone_since": ("last reported {time}", "senast rapporterad {time}"),
    "team_unknown_view": ("No team screen is named “{name}”",
                          "Ingen teamskärm heter ”{name}”"),
    # /admin
    "adm_views_title": ("Team screens", "Teamskärmar"),
    "adm_no_views": ("No team screens yet: every screen shows every queue.",
                     "Inga teamskärmar ännu: varje skärm visar alla köer."),
    "adm_col_view": ("Team screen", "Teamskärm"),
    "adm_col_view_name": ("Name", "Namn"),
    "adm_col_view_title": ("Title", "Rubrik"),
    "adm_col_view_queues": ("Queues, in order", "Köer, i ordning"),
    "adm_col_view_url": ("Address", "Adress"),
    "adm_col_view_screens": ("Screens", "Skärmar"),
    "adm_view_pick": ("Edit", "Redigera"),
    "adm_view_new": ("New team screen", "Ny teamskärm"),
    "adm_view_save": ("Save team screen", "Spara teamskärm"),
    "adm_view_delete": ("Delete", "Ta bort"),
    "adm_view_delete_confirm": ("Delete the team screen “{name}”? Its screens show every "
                                "queue again.",
                                "Ta bort teamskärmen ”{name}”? Dess skärmar visar alla "
                                "köer igen."),
    "adm_view_saved": ("Team screen “{name}” saved.", "Teamskärmen ”{name}” sparad."),
    "adm_view_deleted": ("Team screen “{name}” deleted.", "Teamskärmen ”{name}” borttagen."),
    "adm_view_exists": ("A team screen named “{name}” already exists.",
                        "Det finns redan en teamskärm som heter ”{name}”."),
    "adm_view_invalid": ("Not saved: {reason}", "Inte sparad: {reason}"),
    "adm_view_bad_name": ("Use 1-64 lower-case letters a-z, digits and hyphens for the name "
                          "(it is part of the address).",
                          "Använd 1–64 gemena bokstäver a–z, siffror och bindestreck i "
                          "namnet (det ingår i adressen)."),
    "adm_view_bad_title": ("Give the team screen a title of 1-100 characters.",
                           "Ge teamskärmen en rubrik på 1–100 tecken."),
    "adm_view_no_queues": ("Choose at least one queue.", "Välj minst en kö."),
    "adm_view_too_many": ("A team screen holds at most {n} queues.",
                          "En teamskärm rymmer högst {n} köer."),
    "adm_view_unknown": ("That team screen no longer exists.",
                         "Den teamskärmen finns inte längre."),
    "adm_view_gone_queue": ("{id} (gone)", "{id} (borta)"),
    "adm_view_whole_site": ("Every queue", "Alla köer"),
    "adm_screen_settings": ("Screen settings", "Skärmens inställningar"),
    "adm_screen_pick": ("Screen", "Skärm"),
    "adm_screen_save": ("Save screen", "Spara skärm"),
    "adm_screen_saved": ("Screen “{name}” saved.", "Skärmen ”{name}” sparad."),
    "adm_screen_pick_first": ("Choose a screen first.", "Välj en skärm först."),
    "adm_kind_view": ("Team screens", "Teamskärmar"),
    # Field names in the audit log's changes.
    "adm_col_title": ("title", "rubrik"),
    "adm_col_name": ("name", "namn"),
    "adm_col_queue_ids": ("queues", "köer"),
    "adm_col_view_id": ("team screen", "teamskärm"),
}
