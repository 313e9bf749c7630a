"""Texts of the reasons work, staged until the lead folds them into the catalog
(``scripts/i18n.py import-dict dashboard._texts_reasons --remove``)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # A state metric's reason (specs.text.stored): the state's word, not "= 1".
    "rss_critical": ("{state} (critical)", "{state} (kritisk)"),
    "rss_warning": ("{state} (warning)", "{state} (varning)"),
    "rss_not": ("not {state}", "inte {state}"),
}
