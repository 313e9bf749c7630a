"""Every user-facing text, in English and Swedish, from one gettext catalog; and how
numbers, times and durations are written in each language.

The catalog is ``specs/locale/messages.pot`` (the English texts) and
``specs/locale/sv/LC_MESSAGES/messages.po`` (their Swedish translations), read once at
import with Babel (no compiled ``.mo``). Each entry's ``msgctxt`` is the stable key the
code uses (``t("waiting", lang)``), its ``msgid`` the English text, its ``msgstr`` the
Swedish one; texts that are counted are gettext plurals (``tn``). Placeholders are
``str.format`` fields. How to add a text: docs/DESIGN.md "Texts and languages".

Pages, the login page, notifications and the CLI all read texts here, so ``specs`` is
the one place (every package may import it).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime as _babel_datetime
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from . import sitetime
from .languages import DEFAULT_LANG, LANGUAGES, Lang

LOCALE_DIR = Path(__file__).parent / "locale"
TEMPLATE = LOCALE_DIR / "messages.pot"
DOMAIN = "messages"
# The languages with a .po file; English is the template's msgid itself.
TRANSLATED: tuple[str, ...] = tuple(code for code in LANGUAGES if code != Lang.EN)
PLURAL_SUFFIXES = ("_one", "_other")


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@dataclass(frozen=True, slots=True)
class Entry:
    """One text: its forms per language (one form, or singular and plural)."""

    key: str
    forms: dict[str, tuple[str, ...]]

    @property
    def plural(self) -> bool:
        return len(self.forms[Lang.EN]) > 1


def read_catalog(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def load(locale_dir: Path = LOCALE_DIR) -> dict[str, Entry]:
    """Every entry of the catalog in ``locale_dir``, by key. A missing Swedish text (not
    translated, or fuzzy) falls back to the English one here; ``check`` reports it."""
    template = read_catalog(locale_dir / "messages.pot")
    translations = {
        code: read_catalog(locale_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po", code)
        for code in TRANSLATED
    }
    entries: dict[str, Entry] = {}
    for message in template:
        if not message.id or not message.context:
            continue  # the header
        english = _forms(message.id)
        forms: dict[str, tuple[str, ...]] = {Lang.EN: english}
        for code, catalog in translations.items():
            found = catalog.get(message.id, context=message.context)
            translated = _forms(found.string) if found is not None else ()
            usable = found is not None and not found.fuzzy and all(translated)
            forms[code] = translated if usable and len(translated) == len(english) else english
        entries[message.context] = Entry(message.context, forms)
    return entries


def _forms(value: object) -> tuple[str, ...]:
    if isinstance(value, tuple | list):
        return tuple(str(part) for part in value)
    return (str(value),) if value else ("",)


_ENTRIES: dict[str, Entry] = load()
# Texts of staging modules not yet folded into the catalog (``stage``), read after it.
_STAGED: dict[str, Entry] = {}


def lookup(key: str) -> Entry | None:
    return _ENTRIES.get(key)


def language(value: object, default: str = DEFAULT_LANG) -> Lang:
    """A stored or configured language; anything unknown falls back to ``default``."""
    for candidate in (value, default):
        if isinstance(candidate, str) and candidate in Lang._value2member_map_:
            return Lang(candidate)
    return DEFAULT_LANG


def has(key: str) -> bool:
    """Whether ``key`` is in the catalog (a plural's ``<key>_one``/``_other`` too)."""
    return _resolve(key) is not None


def _resolve(key: str) -> tuple[Entry, int] | None:
    """The entry of ``key`` and which of its forms; ``<key>_one`` and ``<key>_other``
    name the forms of a plural (how the code spelled counted texts before plurals)."""
    entry = _ENTRIES.get(key) or _STAGED.get(key)
    if entry is not None:
        return entry, 0
    for index, suffix in enumerate(PLURAL_SUFFIXES):
        if key.endswith(suffix):
            entry = _ENTRIES.get(key.removesuffix(suffix))
            if entry is not None and entry.plural:
                return entry, index
    return None


def t(key: str, lang: str, **fields: object) -> str:
    """The text ``key`` in ``lang``, formatted with ``fields``; KeyError if unknown."""
    found = _resolve(key)
    if found is None:
        raise KeyError(key)
    entry, form = found
    text = entry.forms[language(lang)][form]
    return text.format(**fields) if fields else text


def tn(key: str, n: int, lang: str, **fields: object) -> str:
    """A counted text: the gettext plural ``key`` in the form for ``n`` (``{n}`` is
    filled in, with ``fields``)."""
    entry = _ENTRIES[key]
    forms = entry.forms[language(lang)]
    return forms[plural_index(n, lang) if len(forms) > 1 else 0].format(n=n, **fields)


def plural_index(n: int, lang: str) -> int:
    """Which gettext form ``n`` takes in ``lang``: English and Swedish both have two,
    singular for exactly one (``Plural-Forms: nplurals=2; plural=(n != 1)``)."""
    return 0 if Locale.parse(language(lang).value).plural_form(abs(n)) == "one" else 1


def keys() -> list[str]:
    """Every key a caller may pass to ``t``: plurals under their ``_one``/``_other``
    names too."""
    out: list[str] = []
    for key, entry in _ENTRIES.items():
        out.append(key)
        if entry.plural:
            out.extend(key + suffix for suffix in PLURAL_SUFFIXES)
    return out


def entries() -> dict[str, Entry]:
    return dict(_ENTRIES)


def placeholders(text: str) -> set[str]:
    """The ``str.format`` field names of ``text``."""
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text)
            if name is not None}


# -- numbers, times and durations, per language ---------------------------------------

DASH = "–"  # an unknown value


def _locale(lang: str) -> str:
    return language(lang).value


def format_number(value: float | None, lang: str, decimals: int = 0) -> str:
    """``value`` with exactly ``decimals`` decimals in ``lang``'s notation: ``92.5`` in
    English, ``92,5`` in Swedish; no grouping (figures on screens are short, and a
    grouped ``1 234`` would wrap); an en dash when unknown."""
    if value is None:
        return DASH
    pattern = "0" + ("." + "0" * decimals if decimals > 0 else "")
    rounded = round(value, decimals) or 0.0  # no "-0"
    return format_decimal(rounded, format=pattern, locale=_locale(lang))


def format_percent(value: float | None, lang: str, decimals: int = 0) -> str:
    """A percentage (``value`` already 0..100): ``92.5 %`` / ``92,5 %`` (the space as
    both languages write it on our screens)."""
    return DASH if value is None else f"{format_number(value, lang, decimals)} %"


def format_datetime(ts_ms: int, tz: str, lang: str, *, seconds: bool = True) -> str:
    """``2024-03-05 14:03:07`` in the site's zone ``tz`` (both languages read the ISO
    date and the 24-hour clock; Babel writes it in ``lang``)."""
    pattern = "yyyy-MM-dd HH:mm" + (":ss" if seconds else "")
    return _babel_datetime(sitetime.local(ts_ms, tz), pattern, locale=_locale(lang))


def format_time(ts_ms: int, tz: str, lang: str, *, seconds: bool = True) -> str:
    """``14:03:07`` (``14:03`` without ``seconds``) in the site's zone ``tz``."""
    pattern = "HH:mm" + (":ss" if seconds else "")
    return _babel_datetime(sitetime.local(ts_ms, tz), pattern, locale=_locale(lang))


def format_clock(seconds: float | None) -> str:
    """A wait as the tiles show it: ``m:ss`` (``h:mm:ss`` from an hour), the same in
    both languages; an en dash when unknown."""
    if seconds is None:
        return DASH
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_duration(seconds: float | None, lang: str) -> str:
    """A coarse duration: ``42 s``, ``3 min``, ``5 h``, ``2 d`` (SI symbols, the same
    in English and Swedish; ``lang`` for the numbers)."""
    if seconds is None:
        return DASH
    whole = max(0, int(seconds))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if whole >= size:
            return f"{format_number(whole // size, lang)} {unit}"
    return f"{format_number(whole, lang)} s"


# -- texts the program stored in English ------------------------------------------------

# Catalog keys whose English is a text the program itself writes into the database (the
# shipped rules' names, the reasons of alert and source states): shown translated.
STORED_PREFIXES = ("rule_", "rsn_", "erl_reason_")
_MAX_DEPTH = 3
# What a field of a stored text may hold, where not anything: a rule's field names
# (``windows[0].end``, ``a, b``) never hold ": ", so a validation error's field stops
# at the first one ("the rule cannot be evaluated: critical: must be ...").
_GROUPS = {"field": r"[\w.\[\]]+(?:, [\w.\[\]]+)*"}


def _stored_patterns(
    entries: dict[str, Entry] | None = None,
) -> list[tuple[re.Pattern[str], Entry]]:
    found = []
    for key, entry in (_ENTRIES if entries is None else entries).items():
        if not key.startswith(STORED_PREFIXES) or entry.plural:
            continue
        pattern = "".join(
            re.escape(literal) + (f"(?P<{name}>{_GROUPS.get(name, '.+?')})"
                                  if name is not None else "")
            for literal, name, _spec, _conv in string.Formatter().parse(entry.forms[Lang.EN][0])
        )
        found.append((re.compile(pattern + r"\Z", re.DOTALL), entry))
    # The most specific first: the longest literal text.
    return sorted(found, key=lambda item: -len(re.sub(r"\(\?P<\w+>[^)]*\)", "",
                                                        item[0].pattern)))


_STORED = _stored_patterns()


def stage(texts: Mapping[str, tuple[str, str]]) -> None:
    """Let ``t`` and ``stored`` read the texts of a staging module (a
    ``dashboard/_texts_<name>.py`` not yet folded into the catalog: key -> (English,
    Swedish)); the catalog's own entries win. dashboard/i18n.py calls this with its
    staging dict; once every module is folded in, that dict is empty."""
    global _STORED
    extra = {key: Entry(key, {Lang.EN: (english,), Lang.SV: (swedish,)})
             for key, (english, swedish) in texts.items() if key not in _ENTRIES}
    _STAGED.clear()
    _STAGED.update(extra)
    _STORED = _stored_patterns({**_ENTRIES, **{
        key: entry for key, entry in extra.items() if key.startswith(STORED_PREFIXES)}})


def stored(value: str, lang: str, *, tz: str) -> str:
    """``value``, a text the program stored in English (a state's reason such as
    "longest_wait_s = 95 (critical at or above 20)", a source's error), in ``lang``:
    matched against the catalog's ``rule_``/``rsn_`` texts, the fields it carries
    translated in turn, parts joined by "; " one by one. A ``{metric}`` field that names
    a registered metric becomes its name, and the ``{value}`` and ``{threshold}`` beside
    it are written with its unit (``Longest wait = 1:35 (critical at or above 0:20)``),
    in English too; a state metric's figures become the state's word (``down``). A
    moment stored as a UTC stamp (``2026-12-03 13:00:00 UTC``, as ``alerts`` writes
    them) is written in the site's zone ``tz`` with its abbreviation (``sitetime.stamp``:
    ``2026-12-03 14:00:00 CET``). Anything else (a name someone typed, a server's error
    text) is returned as it is. ``tz`` is required: every reason is shown in the site's
    zone."""
    return _UTC_STAMP.sub(lambda match: sitetime.stamp(_utc_ms(match), tz),
                          _translate(value, lang, 0))


def stored_name(value: str, lang: str) -> str:
    """A name the program stored in English (a shipped rule's name, a badge's) in
    ``lang``; a name someone typed as it is. Names carry no time (reasons: ``stored``)."""
    return _translate(value, lang, 0)


def spec_message(field: str, message: str, lang: str) -> str:
    """A rule's validation error (``SpecError``'s ``message`` of ``field``) in ``lang``,
    for the form that marks the field itself; an unknown message as it is."""
    shown = _translate(f"{field}: {message}", lang, 0)
    for prefix in (_word("field", field, lang), field):  # translated, or not known
        if prefix is not None and shown.startswith(f"{prefix}: "):
            return shown.removeprefix(f"{prefix}: ")
    return shown


# How ``alerts`` stores a moment in a reason (``alerts.inputs.utc_time``).
_UTC_STAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) UTC\b")


def _utc_ms(match: re.Match[str]) -> int:
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _translate(value: str, lang: str, depth: int) -> str:
    if not value or depth > _MAX_DEPTH:
        return value
    if "; " in value:
        return "; ".join(_translate(part, lang, depth + 1) for part in value.split("; "))
    for pattern, entry in _STORED:
        match = pattern.match(value)
        if match is not None:
            parts = match.groupdict()
            state = _state_reason(entry.key, parts, lang)
            if state is not None:
                return state
            fields = {name: _word(name, part, lang) or localize_number(part, lang)
                      or _translate(part, lang, depth + 1) for name, part in parts.items()}
            fields.update(_metric_fields(parts, lang))
            return entry.forms[language(lang)][0].format(**fields)
    return value


# Fields of a stored reason written in the reader's words where the catalog has them: a
# rule's field (a validation error's ``critical``, ``windows[0].days``) as the rule
# form's label, a severity as the form's word.
_WORD_FIELDS = {"field": "thr_field_{}", "severity": "ths_severity_{}"}
_INDEX = re.compile(r"\[\d+\]\Z")


def _word(name: str, part: str, lang: str) -> str | None:
    form = _WORD_FIELDS.get(name)
    if form is None:
        return None
    key = form.format(_INDEX.sub("", part.rsplit(".", 1)[-1]))
    # A label's explanation after its colon ("Time windows: days, start – end") is the
    # form's, not the error's.
    return t(key, lang).split(": ", 1)[0] if has(key) else None


# A state metric's reasons (``state_down = 1 (critical at or above 1)``) as the state's
# word: the threshold of a state is no figure to show.
_STATE_FORMS = {"rsn_within": None, "rsn_critical_above": "rss_critical",
                "rsn_critical_below": "rss_critical", "rsn_warning_above": "rss_warning",
                "rsn_warning_below": "rss_warning"}


def _state_reason(key: str, parts: dict[str, str], lang: str) -> str | None:
    """A reason of a state metric (``RuleMetric.state_key``) in words: ``down
    (critical)``, ``not down``; None for any other reason."""
    from .rule_metrics import RULE_METRIC_BY_ID

    metric = RULE_METRIC_BY_ID.get(parts.get("metric", ""))
    figure = _figure(parts.get("value"))
    if key not in _STATE_FORMS or metric is None or metric.state_key is None or figure is None:
        return None
    word = t(metric.state_key, lang)
    state = word if figure[0] >= 0.5 else t("rss_not", lang, state=word)
    form = _STATE_FORMS[key]
    return state if form is None else t(form, lang, state=state)


# The fields of a stored reason that carry a figure of its ``{metric}``.
_FIGURE_FIELDS = ("value", "threshold")


def _metric_fields(parts: dict[str, str], lang: str) -> dict[str, str]:
    """A reason's ``metric`` field as the metric's name and its figures with their unit;
    nothing when the field names no registered metric."""
    from .rule_metrics import RULE_METRIC_BY_ID, metric_name, metric_value

    metric_id = parts.get("metric")
    if metric_id is None or metric_id not in RULE_METRIC_BY_ID:
        return {}
    fields = {"metric": metric_name(metric_id, lang)}
    for name in _FIGURE_FIELDS:
        figure = _figure(parts.get(name))
        if figure is not None:
            fields[name] = metric_value(metric_id, figure[0], lang, figure[1])
    return fields


def _figure(part: str | None) -> tuple[float, int] | None:
    """A number the program wrote with ``:g`` and how many decimals it has."""
    if part is None:
        return None
    try:
        number = float(part)
    except ValueError:
        return None
    match = _DECIMAL.match(part)
    return number, len(match.group(1)) if match else 0


_DECIMAL = re.compile(r"-?\d+\.(\d+)\Z")


def localize_number(value: str, lang: str) -> str | None:
    """A decimal number as the program wrote it ("0.8") in ``lang``'s notation ("0,8");
    None when ``value`` is no such number."""
    match = _DECIMAL.match(value)
    return format_number(float(value), lang, len(match.group(1))) if match else None
