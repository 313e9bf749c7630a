"""The dashboard's texts: thin re-exports of ``specs.text``, whose gettext catalog
(specs/locale/) holds every user-facing text in English and Swedish."""

from __future__ import annotations

from specs import text as _catalog
from specs.languages import DEFAULT_LANG, Lang
from specs.text import language

__all__ = ["DEFAULT_LANG", "Lang", "keys", "language", "t", "tn"]

# Merge-time staging area: key -> (English, Swedish), str.format placeholders. Helpers
# working in parallel register their new texts here (``_TEXTS.update(...)`` of a
# ``dashboard/_texts_<name>.py`` module); ``python scripts/i18n.py import-dict MODULE
# --remove`` folds such a module into the catalog and removes it, so this stays empty.
# Consulted only for keys the catalog does not have.
_TEXTS: dict[str, tuple[str, str]] = {
}
from dashboard._texts_polish import TEXTS as _TEXTS_POLISH  # noqa: E402

_TEXTS.update(_TEXTS_POLISH)


def t(key: str, lang: str, **fields: object) -> str:
    """The text ``key`` in ``lang``, formatted with ``fields``; KeyError if unknown."""
    if _catalog.has(key) or key not in _TEXTS:
        return _catalog.t(key, lang, **fields)
    english, swedish = _TEXTS[key]
    text = swedish if language(lang) == Lang.SV else english
    return text.format(**fields) if fields else text


def tn(key: str, n: int, lang: str) -> str:
    """A counted text: the catalog's gettext plural ``key`` in the form for ``n``
    (a staged text: ``<key>_one`` for 1, ``<key>_other`` otherwise)."""
    if _catalog.lookup(key) is not None or f"{key}_one" not in _TEXTS:
        return _catalog.tn(key, n, lang)
    return t(f"{key}_one" if n == 1 else f"{key}_other", lang, n=n)


def keys() -> list[str]:
    return [*_catalog.keys(), *(key for key in _TEXTS if not _catalog.has(key))]


# The staged rule names and reasons, for specs.text.stored (after every module above
# added its texts).
_catalog.stage(_TEXTS)
