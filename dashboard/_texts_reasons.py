"""Texts of the reasons work, staged until the lead folds them into the catalog
(``scripts/i18n.py import-dict dashboard._texts_reasons --remove``)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # A state metric's reason (specs.text.stored): the state's word, not "= 1".
    "rss_critical": ("{state} (critical)", "{state} (kritisk)"),
    "rss_warning": ("{state} (warning)", "{state} (varning)"),
    "rss_not": ("not {state}", "inte {state}"),
    # trio-monitor users list / displays list.
    "cli_list_user_active": ("active", "aktiv"),
    "cli_list_user_disabled": ("disabled", "avstängd"),
    "cli_list_last_login": ("last login {time}", "senaste inloggning {time}"),
    "cli_list_display_revoked": ("revoked", "återkallad"),
    "cli_list_display_never_seen": ("seen never", "aldrig sedd"),
    "cli_list_display_seen": ("seen {age}", "sedd {age}"),
    "cli_list_display_view": ("view {name}", "teamskärm {name}"),
}
