"""The languages of the user interface, declared once (pages, login, notifications)."""

from __future__ import annotations

from enum import StrEnum


class Lang(StrEnum):
    EN = "en"
    SV = "sv"


DEFAULT_LANG = Lang.EN
# Every language's code, in the order the language switch shows them.
LANGUAGES: tuple[str, ...] = tuple(lang.value for lang in Lang)
