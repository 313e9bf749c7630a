"""Texts added by the layout work (the top bar's menu, the audit log's diffs, charts);
folded into the gettext catalog at merge time. key -> (English, Swedish)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "lay_menu_title": ("Pages, language and log out", "Sidor, språk och utloggning"),
    "lay_more": ("Click for the whole text", "Klicka för hela texten"),
    # A yes/no field in the audit log's changes ("enabled: yes → no").
    "lay_yes": ("yes", "ja"),
    "lay_no": ("no", "nej"),
}
