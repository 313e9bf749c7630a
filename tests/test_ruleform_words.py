"""A rule in a supervisor's words: durations read and shown like the tiles, thresholds in
their unit, the metric and entity pickers, the sentence, and every rule (shipped or saved)
loading into the form and saving back unchanged. Pure: no database, no clock."""

from __future__ import annotations

import pytest

from alerts import DEFAULT_RULES, Rule, validate_rule
from alerts.inputs import RULE_METRIC_DISPLAYS
from dashboard.components.thresholds import (
    FORM_FIELDS,
    KNOWN_METRICS,
    describe,
    form_mapping,
    form_values,
)
from dashboard.i18n import t
from dashboard.rulewords import (
    RULE_METRICS,
    Entities,
    Entity,
    InputError,
    duration_text,
    entity_options,
    metric_options,
    parse_duration,
    parse_threshold,
    rule_sentence,
    threshold_input,
    unit_text,
)
from specs.errors import SpecError
from specs.languages import Lang

ENTITIES = Entities([
    Entity("queue", "trio", "100", "Kundtjänst"),
    Entity("queue", "trio", "101", "Växel"),
    Entity("queue", "trio", "102", "Kundtjänst"),  # two queues, one name
    Entity("target", "health:worker-a", "worker-a", "worker-a"),
    Entity("provider", "drift:rec-1", "aws", "aws"),
])


def _rule(**fields: object) -> Rule:
    return validate_rule({"name": "R", "metric": "longest_wait_s", "direction": "above",
                          "scope": {"entity_kind": "queue"}, "warning": 15, **fields})


# -- durations ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [
    ("0:20", 20), ("20 s", 20), ("20", 20), ("1:30", 90), ("90s", 90), ("90 sek", 90),
    ("2,5 s", 2.5), ("2.5", 2.5), ("5 min", 300), ("1:00:00", 3600), ("2 h", 7200),
    ("  0:05 ", 5), ("10:00", 600),
])
def test_it_reads_a_duration_written_as_people_write_one(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["abc", "1:60", "1:2", "-1", "0:20 s", "5 days", "1:2:3",
                                  "20 ss", "1e3", "x" * 40])
def test_it_refuses_anything_else_with_a_message_saying_how_to_write_it(text: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_duration(text)
    message = raised.value.message("en")
    assert message.startswith(f'"{text.strip()[:32]}')
    assert "is not a duration: write it like 0:20, 20 s, 1:30 or 5 min" in message
    assert "är ingen tid" in raised.value.message("sv")


def test_an_empty_duration_is_none_for_the_caller_to_decide() -> None:
    assert parse_duration("") is None and parse_duration("  ") is None
    assert parse_duration(None) is None


@pytest.mark.parametrize(("seconds", "shown"), [
    (0, "0 s"), (20, "20 s"), (59, "59 s"), (60, "1:00"), (90, "1:30"), (1800, "30:00"),
    (3600, "1:00:00"), (2.5, "2.5 s"), (90.5, "90.5 s"),
])
def test_it_shows_a_duration_like_the_tiles_and_reads_it_back(seconds: float,
                                                               shown: str) -> None:
    assert duration_text(seconds) == shown
    assert parse_duration(shown) == seconds


def test_every_whole_second_up_to_a_week_reads_back_to_itself() -> None:
    for seconds in [*range(0, 4000), 86_399, 86_400, 604_800]:
        assert parse_duration(duration_text(seconds)) == seconds


# -- thresholds in their unit ---------------------------------------------------------


def test_a_wait_threshold_reads_as_on_the_tile_and_a_figure_as_a_number() -> None:
    assert threshold_input("longest_wait_s", 20) == "0:20"
    assert threshold_input("drift_oldest_s", 1800) == "30:00"
    assert threshold_input("service_level_pct", 80) == "80"
    assert threshold_input("service_level_pct", 80.5) == "80.5"
    assert threshold_input("calls_waiting", None) == ""
    for metric, value in [("longest_wait_s", 17.0), ("longest_wait_s", 0.5),
                          ("service_level_pct", 0.1), ("calls_waiting", 1_234_567.0),
                          ("latency_ms", 250.0), ("some_series", 3.25)]:
        assert parse_threshold(metric, threshold_input(metric, value)) == value
    assert parse_threshold("service_level_pct", "80,5 %") == 80.5
    assert parse_threshold("longest_wait_s", "20") == 20  # seconds, as typed before
    with pytest.raises(InputError, match="ths_bad_number"):
        parse_threshold("calls_waiting", "five")


@pytest.mark.parametrize(("metric", "lang", "unit"), [
    ("service_level_pct", "en", "%"), ("calls_waiting", "en", "calls"),
    ("calls_waiting", "sv", "samtal"), ("agents_available", "sv", "agenter"),
    ("latency_ms", "en", "ms"), ("longest_wait_s", "en", "m:ss"),
    ("drift_count", "en", "resources"), ("state_down", "en", ""), ("some_series", "en", ""),
])
def test_it_shows_the_unit_beside_a_threshold(metric: str, lang: str, unit: str) -> None:
    assert unit_text(metric, lang) == unit


# -- the registry and the pickers -----------------------------------------------------


@pytest.mark.parametrize("lang", list(Lang))
def test_every_metric_offered_has_a_name_in_every_language_and_a_declared_display(
    lang: Lang,
) -> None:
    for metric in RULE_METRICS:
        assert t(metric.label_key, lang).strip()
        assert RULE_METRIC_DISPLAYS[metric.id] is metric.display
    assert set(KNOWN_METRICS) == {m.id for m in RULE_METRICS}


def test_the_metric_picker_groups_metrics_by_what_they_measure_with_units() -> None:
    options = metric_options("en")
    groups = [o["label"] for o in options if o.get("disabled")]
    assert groups == ["Queues", "Health targets", "Drift providers", "Reconcilers",
                      "Sources", "Wall screens"]
    labels = {o["value"]: o["label"] for o in options}
    assert labels["longest_wait_s"] == "Longest wait (m:ss)"
    assert labels["service_level_pct"] == "Service level (%)"
    assert labels["state_down"] == "Health target down"
    assert metric_options("sv")[1]["label"] == "Längsta väntetid (m:ss)"
    # A series metric a saved rule names keeps its place, by its id, under "Other".
    assert metric_options("en", "consecutive_failures")[-1] == {
        "label": "consecutive_failures", "value": "consecutive_failures"}


def test_the_entity_picker_offers_names_and_keeps_ids_not_seen_now() -> None:
    options = entity_options(ENTITIES, "queue", None, ["100", "999"], "en")
    assert options == [
        {"label": "Kundtjänst (100)", "value": "100"},
        {"label": "Kundtjänst (102)", "value": "102"},
        {"label": "Växel", "value": "101"},
        {"label": "999 (not seen now)", "value": "999"},
    ]
    assert [o["value"] for o in entity_options(ENTITIES, "target", None, [], "en")] == [
        "worker-a"]


# -- the sentence ---------------------------------------------------------------------


def test_it_states_a_rule_in_english_and_swedish() -> None:
    rule = _rule(scope={"entity_kind": "queue", "entity_ids": ["101"]}, warning=None,
                 critical=20, recovery_critical=17, pending_s=30)
    assert rule_sentence(rule, ENTITIES, "en") == (
        "Alert when Longest wait in Växel is at or above 0:20 (critical) for 30 s; "
        "recover below 0:17.")
    assert rule_sentence(rule, ENTITIES, "sv") == (
        "Larma när Längsta väntetid i Växel är minst 0:20 (kritiskt) i 30 s; "
        "återställ under 0:17.")


def test_it_states_both_thresholds_a_unit_and_every_entity_of_a_kind() -> None:
    level = _rule(metric="service_level_pct", direction="below", warning=80, critical=60,
                  recovery_warning=82, keep_firing_for_s=120)
    assert rule_sentence(level, ENTITIES, "en") == (
        "Alert when Service level in every queue is below 80 % (warning) or 60 % (critical);"
        " recover at or above 82 % (warning); keep firing 2:00 after it recovers.")
    two = _rule(scope={"entity_kind": "queue", "entity_ids": ["101", "999"],
                       "source": "trio-2"}, metric="calls_waiting", warning=5)
    assert rule_sentence(two, ENTITIES, "sv") == (
        "Larma när Väntar i Växel och 999 från trio-2 är minst 5 samtal (varning).")


def test_a_state_reads_as_the_state_not_as_at_or_above_one() -> None:
    down = validate_rule({"name": "Worker down", "metric": "state_down", "direction": "above",
                          "scope": {"entity_kind": "target", "entity_ids": ["worker-a"]},
                          "critical": 1, "pending_s": 30})
    assert rule_sentence(down, ENTITIES, "en") == (
        "Alert when worker-a is down (critical) for 30 s.")
    every = validate_rule({"name": "Any", "metric": "state_down", "direction": "above",
                           "scope": {"entity_kind": "target"}, "warning": 1})
    assert rule_sentence(every, ENTITIES, "sv") == "Larma när något hälsomål är nere (varning)."


# -- loading into the form and saving back ----------------------------------------------


SAVED = [
    *DEFAULT_RULES,
    # As the older free-text form could save them: no kind, a series no registry offers,
    # ids not seen now, fractions, a source, no-data handling, windows.
    _rule(scope={}, metric="consecutive_failures", warning=2.5, critical=4),
    _rule(scope={"source": "trio", "entity_kind": "queue", "entity_ids": ["100", "x"]},
          warning=15.5, recovery_warning=12.25, pending_s=2.5, keep_firing_for_s=90,
          no_data_after_s=45, no_data="alerting", active="windows", timezone="UTC",
          windows=[{"days": [0, 4], "start": "22:00", "end": "06:00"}],
          warning_channels=["ops-mail"], enabled=False),
    validate_rule({"name": "Down, warning", "metric": "state_down", "direction": "above",
                   "scope": {"entity_kind": "target"}, "warning": 1, "pending_s": 20}),
]


@pytest.mark.parametrize("rule", SAVED, ids=lambda r: r.name)
def test_every_rule_loads_into_the_form_and_saves_back_unchanged(rule: Rule) -> None:
    values = form_values(rule, "Europe/Stockholm")
    days = [sorted(w.days) for w in rule.windows]
    starts = [w.start for w in rule.windows]
    ends = [w.end for w in rule.windows]
    mapping = form_mapping(values, days, starts, ends)
    assert validate_rule({**mapping, "id": rule.id}) == rule


def test_a_state_rule_hides_its_threshold_and_picks_a_severity() -> None:
    down = next(r for r in DEFAULT_RULES if r.metric == "state_down")
    values = dict(zip(FORM_FIELDS, form_values(down, "UTC"), strict=True))
    assert values["severity"] == "critical"
    shown = describe(list(values.values()), [], [], [], ENTITIES, "en")
    hidden = {name for name, classes in zip(FORM_FIELDS, shown.classes, strict=True)
              if "field--off" in classes}
    assert {"warning", "critical", "recovery_warning", "direction"} <= hidden
    assert "severity" not in hidden
    assert shown.sentence == "Alert when any health target is down (critical)."
    assert shown.entity_placeholder == "every health target"
    values["severity"] = "warning"
    again = describe(list(values.values()), [], [], [], ENTITIES, "en")
    assert again.sentence == "Alert when any health target is down (warning)."


def test_the_sentence_says_what_is_missing_or_unreadable_while_editing() -> None:
    values = dict(zip(FORM_FIELDS, form_values(None, "UTC"), strict=True))
    assert describe(list(values.values()), [], [], [], ENTITIES, "en").sentence == (
        "Pick what to watch")
    values.update(metric="longest_wait_s", entity_kind="queue", warning="0:2o")
    assert describe(list(values.values()), [], [], [], ENTITIES, "en").sentence == (
        'Not a rule yet: "0:2o" is not a duration: write it like 0:20, 20 s, 1:30 or 5 min')
    values.update(warning="0:20", pending_s="1:30")
    assert describe(list(values.values()), [], [], [], ENTITIES, "sv").sentence == (
        "Larma när Längsta väntetid i alla köer är minst 0:20 (varning) i 1:30.")
    with pytest.raises(SpecError) as raised:
        form_mapping(list({**values, "pending_s": "soon"}.values()), [], [], [], "sv")
    assert raised.value.field == "pending_s" and "är ingen tid" in raised.value.message
