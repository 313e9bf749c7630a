"""Every reason a shipped rule's alert state can carry reads in the reader's language: the
metric by its registered name with its unit, never its id, and no English in Swedish."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

import dashboard.i18n  # stages the texts not yet in the catalog
from alerts.engine import AlertStatus, evaluate
from alerts.floor_figures import QueueFigures
from alerts.inputs import Input, floor_inputs, unknown_reason
from alerts.model import DEFAULT_RULES, NoDataPolicy, Rule
from alerts.rows import failover_note
from alerts.service import _ORPHAN_REASON
from specs import text
from specs.intervals import IntervalLevel
from specs.rule_metrics import RULE_METRIC_BY_ID
from specs.sltarget import ServiceLevelTarget
from specs.staffing import NotEnough, Staffing
from storage import SourceFacts

T0 = 1_700_000_000_000
TZ = "Europe/Stockholm"  # the site's zone
_WORD = re.compile(r"[^\W\d_]{2,}")


def _breach(rule: Rule) -> float:
    worst = rule.critical if rule.critical is not None else rule.warning
    assert worst is not None
    return worst + 5 if rule.direction.value == "above" else worst - 5


def _within(rule: Rule) -> float:
    worst = rule.warning if rule.warning is not None else rule.critical
    assert worst is not None
    return worst - 10 if rule.direction.value == "above" else worst + 10


def _reasons(rule: Rule) -> set[str]:
    """What the engine and the service write for ``rule`` through a day of its life."""
    found: set[str] = set()
    variants = (
        rule,
        replace(rule, pending_s=30.0),
        replace(rule, keep_firing_for_s=60.0),
        replace(rule, no_data_after_s=60.0, no_data=NoDataPolicy.ALERTING),
        replace(rule, no_data_after_s=60.0, no_data=NoDataPolicy.OK),
        replace(rule, enabled=False),
    )
    item = Input("site", rule.scope.entity_kind or "queue", "7", "Seven", rule.metric,
                 "s", None, None)
    failing = SourceFacts(name="site", kind="trio", url="http://site", consecutive_failures=2,
                          failing_since_ms=T0)
    unknowns = [
        unknown_reason(item, None, 15_000),
        unknown_reason(item, failing, 15_000),
        unknown_reason(item, replace(failing, failing_since_ms=None), 15_000),
        unknown_reason(replace(item, value=1.0, ts_ms=T0),
                       SourceFacts(name="site", kind="trio", url="http://site",
                                   last_success_at_ms=T0 + 60_000), 15_000),
    ]
    for variant in variants:
        status: AlertStatus | None = None
        steps = [(_breach(variant), 0), (_breach(variant), 40_000), (_within(variant), 50_000),
                 (_within(variant), 200_000), (_breach(variant), 210_000),
                 (_breach(variant), 250_000)]
        for value, at in steps:
            status = evaluate(variant, status, value=value, value_ms=T0 + at,
                              now_ms=T0 + at, queue_open=True).status
            found.add(status.reason)
        for why in unknowns:
            assert why is not None
            after = evaluate(variant, status, value=None, value_ms=None, now_ms=T0 + 400_000,
                             queue_open=True, unknown=why).status
            found.add(after.reason)
        found.add(evaluate(variant, status, value=None, value_ms=None, now_ms=T0 + 900_000,
                           queue_open=True).status.reason)
        found.add(evaluate(variant, status, value=_breach(variant), value_ms=T0 + 950_000,
                           now_ms=T0 + 950_000, queue_open=False).status.reason)
        found.add(evaluate(variant, status, value=_breach(variant), value_ms=T0 + 950_000,
                           now_ms=T0 + 950_000, queue_open=None).status.reason)
        if status is not None:
            found.add(f"{status.reason}; {failover_note(T0)}")
            found.add(f"{status.reason}; {failover_note(None)}")
    found.add(_ORPHAN_REASON)
    found.discard("")
    return found


def _english_words() -> set[str]:
    words: set[str] = set()
    for key in text.keys():
        if key.startswith(("rsn_", "ths_metric_", "ths_unit_")) or key in _METRIC_LABELS:
            words |= {w.lower() for w in _WORD.findall(text.t(key, "en"))}
    return words


def _swedish_words() -> set[str]:
    words: set[str] = set()
    for key in dashboard.i18n.keys():
        words |= {w.lower() for w in _WORD.findall(dashboard.i18n.t(key, "sv"))}
    return words


_METRIC_LABELS = {metric.label_key for metric in RULE_METRIC_BY_ID.values()}


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda rule: rule.metric)
def test_it_reads_every_reason_of_a_shipped_rule_in_both_languages(rule: Rule) -> None:
    reasons = _reasons(rule)
    assert len(reasons) >= 8, reasons
    english, swedish = _english_words(), _swedish_words()
    for reason in sorted(reasons):
        for lang in ("en", "sv"):
            shown = text.stored(reason, lang, tz=TZ)
            ids = [m for m in RULE_METRIC_BY_ID if re.search(rf"\b{m}\b", shown)]
            assert not ids, f"{lang}: {shown!r} (stored {reason!r}) shows a metric id"
        shown = text.stored(reason, "sv", tz=TZ)
        left = {w for w in _WORD.findall(shown.lower()) if w in english and w not in swedish}
        assert not left, f"English {sorted(left)} in {shown!r} (stored {reason!r})"


def test_it_writes_the_metric_by_name_with_its_unit() -> None:
    stored = "longest_wait_s = 95 (critical at or above 20) for 30 s"
    assert text.stored(stored, "en", tz=TZ) == (
        "Longest wait = 1:35 (critical at or above 0:20) for 30 s")
    assert text.stored(stored, "sv", tz=TZ) == (
        "Längsta väntetid = 1:35 (kritisk vid eller över 0:20) i 30 s")
    assert text.stored("service_level_pct = 72.5 (warning below 80)", "sv", tz=TZ) == (
        "Servicenivå = 72,5 % (varning under 80 %)")
    assert text.stored("no fresh drift_oldest_s value (newest 2023-11-14 22:13:20 UTC)",
                       "sv", tz=TZ) == ("inget färskt värde för Äldsta avvikelse "
                                        "(senaste 2023-11-14 23:13:20 CET)")


def test_it_leaves_a_typed_name_and_an_unknown_metric_as_they_are() -> None:
    assert text.stored("Kö norr (natt)", "sv", tz=TZ) == "Kö norr (natt)"
    assert text.stored("custom_metric = 5, within thresholds", "sv", tz=TZ) == (
        "custom_metric = 5, inom gränserna")


@pytest.mark.parametrize(("lang", "shown"), [
    ("en", "source site failing since 2026-07-01 15:00:00 CEST; counted since the failover at "
           "2026-12-03 14:00:00 CET (the secondary server's counters)"),
    ("sv", "källan site fallerar sedan 2026-07-01 15:00:00 CEST; räknat sedan failover kl. "
           "2026-12-03 14:00:00 CET (reservserverns räknare)"),
])
def test_it_shows_a_stored_utc_time_in_the_sites_zone(lang: str, shown: str) -> None:
    # As the engine stores it: UTC stamps (alerts.inputs.utc_time), summer and winter.
    reason = ("source site failing since 2026-07-01 13:00:00 UTC; counted since the failover "
              "at 2026-12-03 13:00:00 UTC (the secondary server's counters)")
    assert text.stored(reason, lang, tz=TZ) == shown
    assert " UTC" not in text.stored(reason, lang, tz="America/New_York")
    assert "08:00:00 EST" in text.stored(reason, lang, tz="America/New_York")


@pytest.mark.parametrize(("stored", "en", "sv"), [
    ("state_down = 1 (critical at or above 1)", "down (critical)", "nere (kritisk)"),
    ("state_down = 1 (warning at or above 1) for 30 s", "down (warning) for 30 s",
     "nere (varning) i 30 s"),
    ("state_down = 0, within thresholds", "not down", "inte nere"),
])
def test_it_writes_a_state_metric_as_the_states_word(stored: str, en: str, sv: str) -> None:
    assert text.stored(stored, "en", tz=TZ) == en
    assert text.stored(stored, "sv", tz=TZ) == sv


_BASE = {"name": "X", "metric": "longest_wait_s", "direction": "above", "warning": 10,
         "critical": 20}
_INVALID = [
    {"warning": 20, "critical": 10}, {"warning": None, "critical": None},
    {"direction": "below", "warning": 5.5, "critical": 8}, {"bogus": 1}, {"bogus": 1, "x": 2},
    {"active": "windows"}, {"direction": "sideways"}, {"direction": None},
    {"timezone": "Mars/Base"}, {"timezone": "not a zone"}, {"recovery_critical": 40},
    {"recovery_warning": 5, "warning": None, "direction": "below", "critical": 3},
    {"name": ""}, {"name": "x" * 300}, {"metric": "Bad Metric"}, {"metric": None},
    {"pending_s": -1}, {"no_data_after_s": 0}, {"scope": {"entity_ids": "7"}},
    {"scope": {"entity_ids": [""]}}, {"scope": {"source": 5}}, {"scope": []},
    {"windows": "x", "active": "windows"},
    {"active": "windows", "windows": [{"days": [], "start": "08:00", "end": "17:00"}]},
    {"active": "windows", "windows": [{"days": [9], "start": "08:00", "end": "17:00"}]},
    {"active": "windows", "windows": [{"days": [1], "start": "8", "end": "17:00"}]},
    {"active": "windows", "windows": [{"days": [1], "start": "08:00", "end": "08:00"}]},
    {"warning_channels": "ops"}, {"warning_channels": ["no such!"]},
]
_SPEC_ENGLISH = re.compile(r"\b(must|required|not|is|are|threshold|field|fields|window|"
                           r"windows|cannot|evaluated|between|seconds|one|of|least|"
                           r"most|more|less|than|object|string|time|zone|day|differ|"
                           r"start|use|always|needs|recover|from|name|characters|empty|"
                           r"known|unknown|set|add|channel|entity)\b")


@pytest.mark.parametrize("changes", _INVALID, ids=lambda changes: ",".join(changes))
def test_it_says_why_a_rule_cannot_be_evaluated_in_swedish(changes: dict[str, object]) -> None:
    from alerts import SpecError, validate_rule

    with pytest.raises(SpecError) as refused:
        validate_rule({**_BASE, **changes})
    stored = f"the rule cannot be evaluated: {refused.value}"  # as alerts.service stores it
    shown = text.stored(stored, "sv", tz=TZ)
    # The rule's own words (field ids, typed values, choices) may stay; no English text.
    words = re.sub(r"'[^']*'|\b(known fields are)?[\w.]+(, [\w.\[\]]+)+|\b[a-z]+_[\w.]+|"
                   r"windows\[\d+\]\.\w+|Europe/Stockholm|longest_wait_s", "",
                   shown.replace(str(refused.value.field), ""))
    assert not _SPEC_ENGLISH.findall(words), f"{shown!r} (stored {stored!r})"
    assert text.stored(stored, "en", tz=TZ).startswith("the rule cannot be evaluated: ")


def test_it_keeps_an_unknown_error_text_as_it_is() -> None:
    assert text.stored("the rule cannot be evaluated: database says no", "sv", tz=TZ) == (
        "regeln kan inte utvärderas: database says no")


def test_the_rule_form_says_a_validation_error_in_the_readers_language() -> None:
    # /thresholds marks the field itself: the message without its field (dashboard.ruleform).
    assert text.spec_message("critical", "must be more than warning (20.5) for above",
                             "sv") == ("måste vara större än varningsgränsen (20,5) när "
                                       "regeln larmar över")
    assert text.spec_message("critical", "must be more than warning (20.5) for above",
                             "en") == "must be more than warning (20.5) for above"
    assert text.spec_message("windows[0].start", "'8' is not a time HH:MM (00:00-23:59)",
                             "sv") == "'8' är ingen tid TT:MM (00:00–23:59)"
    assert text.spec_message("name", "something new", "sv") == "something new"


@pytest.mark.parametrize("why", [*NotEnough, None], ids=lambda why: str(why))
def test_it_says_why_a_floor_figure_is_unknown_in_both_languages(
    why: NotEnough | None,
) -> None:
    """The reasons of the interval service level and agents-short inputs (no call this
    interval, not enough data for Erlang C) read in Swedish, not as stored."""
    figures = QueueFigures(
        target=ServiceLevelTarget(80, 20),
        interval=IntervalLevel(0, 900_000, "08:00", answered=0, in_threshold=0),
        staffing=Staffing(logged_in=None, reason=why), newest_ms=1_000)
    reasons = [row.note for row in floor_inputs("trio", "12", "Kundtjänst", figures)]
    assert all(reasons), reasons
    english, swedish = _english_words(), _swedish_words()
    for reason in reasons:
        assert reason is not None
        shown = text.stored(reason, "sv", tz=TZ)
        assert shown != reason, f"{reason!r} is not translated"
        left = {w for w in _WORD.findall(shown.lower()) if w in english and w not in swedish}
        assert not left, f"English {sorted(left)} in {shown!r} (stored {reason!r})"
