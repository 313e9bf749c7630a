"""A rule in a supervisor's words: metric names and units, entities by name, durations as
the tiles show them, and the sentence that states a rule.

Pure: plain values in, text out. The metrics, their names and units come from the specs
registries (``specs.metrics``, ``specs.health``, ``specs.drift``, ``specs.sources``); a
rule still stores ids and seconds, and what this module shows reads back to the same
values (``parse_duration(duration_text(s)) == s``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from alerts import Direction, Rule
from specs.metrics import Display
from specs.rule_metrics import (
    RULE_METRIC_BY_ID,
    RULE_METRICS,
    WORD_UNITS,
    metric_name,
)

from .components import format as fmt
from .i18n import t

# The groups of the metric picker, in their order (the order metrics first appear).
KINDS: tuple[str, ...] = tuple(dict.fromkeys(m.entity_kind for m in RULE_METRICS))
# A picker option that only titles a group: its value can never be a metric id.
GROUP_PREFIX = "group:"
# Units the form says in words (the others are symbols: "%", "ms").

_NUMBER = r"(\d+(?:\.\d+)?)"
_CLOCK_RE = re.compile(r"(\d+):([0-5]\d)(?::([0-5]\d))?")
_SECONDS_RE = re.compile(_NUMBER + r"\s*(s|sec|secs|seconds?|sek|sekund|sekunder)?")
_MINUTES_RE = re.compile(_NUMBER + r"\s*(m|min|mins|minutes?|minut|minuter)")
_HOURS_RE = re.compile(_NUMBER + r"\s*(h|hours?|tim|timme|timmar)")
_PLAIN_RE = re.compile(r"[+-]?" + _NUMBER + r"\s*(%|ms)?")
MAX_INPUT_CHARS = 32


class InputError(ValueError):
    """A form's text that is not what its field takes; ``message(lang)`` says so."""

    def __init__(self, key: str, text: str) -> None:
        super().__init__(f"{key}: {text!r}")
        self.key = key
        self.text = text

    def message(self, lang: str) -> str:
        return t(self.key, lang, text=self.text)


# -- durations and thresholds --------------------------------------------------------


def _plain(value: float) -> str:
    """A number as typed: ``15``, ``0.5``; exact (reads back to the same float)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def parse_duration(text: object) -> float | None:
    """Seconds from ``0:20``, ``1:30``, ``1:00:00``, ``20``, ``20 s``, ``90s``, ``2.5 s``,
    ``5 min`` or ``2 h`` (a decimal comma too); None for an empty text. Raises
    ``InputError`` for anything else."""
    raw = "" if text is None else str(text)
    cleaned = raw.strip().lower().replace(",", ".")
    if not cleaned:
        return None
    if len(cleaned) > MAX_INPUT_CHARS:
        raise InputError("ths_bad_duration", raw[:MAX_INPUT_CHARS] + "…")
    clock = _CLOCK_RE.fullmatch(cleaned)
    if clock:
        first, second, third = clock.groups()
        if third is None:
            return float(int(first) * 60 + int(second))
        return float(int(first) * 3600 + int(second) * 60 + int(third))
    for pattern, size in ((_SECONDS_RE, 1), (_MINUTES_RE, 60), (_HOURS_RE, 3600)):
        match = pattern.fullmatch(cleaned)
        if match:
            return float(match.group(1)) * size
    raise InputError("ths_bad_duration", raw.strip())


def duration_text(seconds: float) -> str:
    """A "for" duration as the tiles write one: ``20 s`` under a minute, ``1:30`` (m:ss,
    h:mm:ss from an hour) from one; a fraction of a second as ``2.5 s``."""
    if not float(seconds).is_integer():
        return f"{_plain(seconds)} s"
    if seconds < 60:
        return fmt.age(int(seconds) * 1000)
    return fmt.wait(seconds)


def is_duration(metric_id: str) -> bool:
    metric = RULE_METRIC_BY_ID.get(metric_id)
    return metric is not None and metric.display is Display.DURATION


def state_key(metric_id: str) -> str | None:
    """The state word of a metric read as "when X is down"; None for a figure."""
    metric = RULE_METRIC_BY_ID.get(metric_id)
    return None if metric is None else metric.state_key


def threshold_input(metric_id: str, value: float | None) -> str:
    """A threshold as the form's input shows it: a wait as on the tile (``0:20``), any
    other figure as a plain number (its unit is shown beside the input)."""
    if value is None:
        return ""
    if is_duration(metric_id) and float(value).is_integer() and value >= 0:
        return fmt.wait(value)
    if is_duration(metric_id):
        return f"{_plain(value)} s"
    return _plain(value)


def parse_threshold(metric_id: str, text: object) -> float | None:
    """A threshold typed for ``metric_id`` (None if empty): a duration for a metric in
    seconds, otherwise a number (a decimal comma and the unit's symbol allowed). Raises
    ``InputError``."""
    if is_duration(metric_id):
        return parse_duration(text)
    return parse_number(text)


def parse_number(text: object) -> float | None:
    """A number as typed in a text field (None if empty): ``95``, ``95,5``, ``95.5 %``
    (a decimal comma and a unit's symbol allowed). Raises ``InputError``."""
    raw = "" if text is None else str(text).strip()
    if not raw:
        return None
    cleaned = raw.replace(",", ".")
    if len(cleaned) > MAX_INPUT_CHARS or not _PLAIN_RE.fullmatch(cleaned):
        raise InputError("ths_bad_number", raw[:MAX_INPUT_CHARS])
    return float(cleaned.rstrip("%ms ").strip())


def unit_text(metric_id: str, lang: str) -> str:
    """The unit shown beside a threshold input: ``%``, ``ms``, ``calls``; ``m:ss`` for a
    duration; nothing for a state or a metric the registries do not declare."""
    metric = RULE_METRIC_BY_ID.get(metric_id)
    if metric is None or metric.state_key is not None:
        return ""
    if metric.display is Display.DURATION:
        return t("ths_unit_duration", lang)
    if metric.unit in WORD_UNITS:
        return t(f"ths_unit_{metric.unit}", lang)
    return metric.unit


def value_text(metric_id: str, value: float, lang: str) -> str:
    """A threshold in a sentence: ``0:20``, ``80 %``, ``5 calls``, ``500 ms``."""
    shown = threshold_input(metric_id, value)
    unit = "" if is_duration(metric_id) else unit_text(metric_id, lang)
    return f"{shown} {unit}" if unit else shown


def metric_options(lang: str, current: str | None = None) -> list[dict[str, object]]:
    """The metric picker's options: a title per kind of entity, then its metrics as
    "name (unit)"; a metric a stored rule names that no registry declares comes last, by
    its id, so the rule loads and saves unchanged."""
    options: list[dict[str, object]] = []
    for kind in KINDS:
        options.append({"label": t(f"ths_group_{kind}", lang), "value": GROUP_PREFIX + kind,
                        "disabled": True})
        for metric in (m for m in RULE_METRICS if m.entity_kind == kind):
            unit = unit_text(metric.id, lang)
            name = t(metric.label_key, lang)
            options.append({"label": f"{name} ({unit})" if unit else name,
                            "value": metric.id})
    if current and current not in RULE_METRIC_BY_ID:
        options.append({"label": t("ths_group_other", lang), "value": GROUP_PREFIX + "other",
                        "disabled": True})
        options.append({"label": current, "value": current})
    return options


# -- entities by name ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entity:
    """One thing a rule may watch: a queue, a health target, a drift provider..."""

    kind: str
    source: str
    id: str
    name: str


class Entities:
    """The entities known now, by kind; names by id for the sentences and pickers."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self.all = tuple(sorted(set(entities), key=lambda e: (e.kind, e.name.lower(), e.id)))

    @classmethod
    def from_rows(cls, rows: object) -> Entities:
        """From the plain lists a page keeps (``[[kind, source, id, name], ...]``);
        anything malformed is left out."""
        if not isinstance(rows, list):
            return cls(())
        return cls(Entity(*row) for row in rows
                   if isinstance(row, list) and len(row) == 4
                   and all(isinstance(part, str) for part in row))

    def rows(self) -> list[list[str]]:
        return [[e.kind, e.source, e.id, e.name] for e in self.all]

    def of(self, kind: str | None, source: str | None = None) -> list[Entity]:
        return [e for e in self.all if (kind is None or e.kind == kind)
                and (source is None or e.source == source)]

    def name(self, kind: str | None, entity_id: str, source: str | None = None) -> str:
        """The entity's name (of ``source``, else of any source); its id if it is not
        known now."""
        names = sorted({e.name for e in self.of(kind, source) if e.id == entity_id}) \
            or sorted({e.name for e in self.of(kind) if e.id == entity_id})
        return " / ".join(names) if names else entity_id

    def sources(self, kind: str | None) -> list[str]:
        return sorted({e.source for e in self.of(kind)})


def entity_options(entities: Entities, kind: str | None, source: str | None,
                   chosen: Sequence[str], lang: str) -> list[dict[str, str]]:
    """The entity picker's options: the entities of ``kind`` (of ``source``) by name,
    the same name twice told apart by id; ids chosen that are not known now stay, marked,
    so a rule loads and saves unchanged."""
    known = entities.of(kind, source)
    by_id: dict[str, str] = {}
    for entity in known:
        by_id.setdefault(entity.id, entities.name(kind, entity.id, source))
    counts: dict[str, int] = {}
    for name in by_id.values():
        counts[name] = counts.get(name, 0) + 1
    options = [{"label": name if counts[name] == 1 else f"{name} ({entity_id})",
                "value": entity_id} for entity_id, name in by_id.items()]
    options += [{"label": t("ths_unknown_entity", lang, id=entity_id), "value": entity_id}
                for entity_id in dict.fromkeys(chosen) if entity_id not in by_id]
    return options


# -- the sentence --------------------------------------------------------------------


def _listed(items: Sequence[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return t("ths_s_and", lang, first=", ".join(items[:-1]), second=items[-1])


def where_text(rule: Rule, entities: Entities, lang: str, *, state: bool = False) -> str:
    """The entities a rule watches by name (``Kundtjänst, Växel``), or all of its kind
    (``every queue``; ``any health target`` for a state), and its source when it names
    one."""
    scope = rule.scope
    kind = scope.entity_kind
    if scope.entity_ids:
        where = _listed([entities.name(kind, i, scope.source) for i in scope.entity_ids],
                        lang)
    else:
        prefix = "ths_any_" if state else "ths_every_"
        key = f"{prefix}{kind}"
        where = t(key, lang) if kind and _has(key) else t(f"{prefix}any", lang)
        if kind and not _has(key):
            where = f"{where} ({kind})"
    metric = RULE_METRIC_BY_ID.get(rule.metric)
    if scope.source and (metric is None or metric.source != scope.source):
        where = t("ths_from_source", lang, where=where, source=scope.source)
    return where


def _has(key: str) -> bool:
    try:
        t(key, "en")
    except KeyError:
        return False
    return True


def _severities(rule: Rule, values: tuple[float | None, float | None], lang: str) -> str:
    """``0:20`` for one threshold, ``0:15 (warning) or 0:20 (critical)`` for two."""
    warning, critical = values
    parts = [(severity, value) for severity, value in (("warning", warning),
                                                       ("critical", critical))
             if value is not None]
    shown = [t("ths_s_severity", lang, value=value_text(rule.metric, value, lang),
               severity=t(f"ths_severity_{severity}", lang)) for severity, value in parts]
    return t("ths_s_or", lang, first=shown[0], second=shown[1]) if len(shown) == 2 \
        else "".join(shown)


def _recoveries(rule: Rule, lang: str) -> str:
    """Only the recovery thresholds set apart from their thresholds."""
    parts = [(severity, value) for severity, value in (("warning", rule.recovery_warning),
                                                       ("critical", rule.recovery_critical))
             if value is not None]
    if not parts:
        return ""
    if len(parts) == 1 and (rule.warning is None or rule.critical is None):
        shown = value_text(rule.metric, parts[0][1], lang)
    else:
        items = [t("ths_s_severity", lang, value=value_text(rule.metric, value, lang),
                   severity=t(f"ths_severity_{severity}", lang)) for severity, value in parts]
        shown = items[0] if len(items) == 1 else t("ths_s_and", lang, first=items[0],
                                                   second=items[1])
    return t(f"ths_s_recover_{rule.direction.value}", lang, value=shown)


def rule_sentence(rule: Rule, entities: Entities, lang: str) -> str:
    """The rule as a sentence: "Alert when Longest wait in Kundtjänst is at or above
    0:20 (critical) for 30 s; recover below 0:17." A state reads "Alert when worker-a is
    down (critical) for 30 s."."""
    state = state_key(rule.metric)
    if state is not None and rule.direction is Direction.ABOVE:
        subject = where_text(rule, entities, lang, state=True)
        severity = "critical" if rule.critical is not None else "warning"
        condition = t("ths_s_severity", lang, value=t("ths_s_is_state", lang,
                                                      state=t(state, lang)),
                      severity=t(f"ths_severity_{severity}", lang))
        recovery = ""
    else:
        subject = t("ths_s_metric_in", lang, metric=metric_name(rule.metric, lang),
                    where=where_text(rule, entities, lang))
        condition = t(f"ths_s_{rule.direction.value}", lang,
                      value=_severities(rule, (rule.warning, rule.critical), lang))
        recovery = _recoveries(rule, lang)
    text = t("ths_s_alert", lang, subject=subject, condition=condition)
    if rule.pending_s:
        text += t("ths_s_for", lang, duration=duration_text(rule.pending_s))
    text += recovery
    if rule.keep_firing_for_s:
        text += t("ths_s_keep", lang, duration=duration_text(rule.keep_firing_for_s))
    return text + "."
