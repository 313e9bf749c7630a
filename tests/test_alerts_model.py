"""alerts.model: rule validation with clear messages, and the shipped defaults."""

from __future__ import annotations

from typing import Any

import pytest

from alerts import (
    DEFAULT_RULES,
    ActiveMode,
    Direction,
    NoDataPolicy,
    Rule,
    Scope,
    Severity,
    SpecError,
    Window,
    rule_as_mapping,
    validate_rule,
)


def wait_rule(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Longest wait",
        "metric": "longest_wait_s",
        "direction": "above",
        "warning": 15,
        "critical": 20,
    }
    return base | fields


def test_it_builds_a_rule_with_defaults() -> None:
    rule = validate_rule(wait_rule())
    assert rule == Rule(
        name="Longest wait", metric="longest_wait_s", direction=Direction.ABOVE,
        warning=15.0, critical=20.0,
    )
    assert rule.scope == Scope()
    assert rule.no_data is NoDataPolicy.KEEP_LAST
    assert rule.active is ActiveMode.ALWAYS
    assert rule.timezone == "Europe/Stockholm"
    assert rule.enabled


def test_it_defaults_recovery_to_the_threshold_itself() -> None:
    rule = validate_rule(wait_rule(recovery_critical=17))
    assert rule.recovery(Severity.WARNING) == 15.0
    assert rule.recovery(Severity.CRITICAL) == 17.0


def test_it_reads_every_field_and_round_trips() -> None:
    full = wait_rule(
        id=7, scope={"source": "trio", "entity_kind": "queue", "entity_ids": ["12", "14", "12"]},
        pending_s="30", recovery_warning=12, recovery_critical=17, keep_firing_for_s=60,
        no_data_after_s=120, no_data="alerting", active="windows",
        windows=[{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "17:00"},
                 {"days": [5], "start": "22:00", "end": "06:00"}],
        timezone="Europe/Helsinki", enabled=False,
    )
    rule = validate_rule(full)
    assert rule.scope == Scope("trio", "queue", ("12", "14"))
    assert rule.pending_s == 30.0
    assert rule.windows[1] == Window(frozenset({5}), "22:00", "06:00")
    assert validate_rule(rule_as_mapping(rule)) == rule


def test_it_accepts_a_below_rule_mirrored() -> None:
    rule = validate_rule(wait_rule(
        metric="service_level_pct", direction="below", warning=80, critical=60,
        recovery_warning=85, recovery_critical=65,
    ))
    assert (rule.warning, rule.critical) == (80.0, 60.0)


def test_it_accepts_one_threshold_alone() -> None:
    assert validate_rule(wait_rule(warning=None)).critical == 20.0
    assert validate_rule(wait_rule(critical="")).critical is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": None}, "name", "required"),
        ({"name": "  "}, "name", "is not a name"),
        ({"name": "x" * 101}, "name", "at most 100"),
        ({"metric": None}, "metric", "required"),
        ({"metric": "Longest Wait"}, "metric", "series metric name"),
        ({"direction": None}, "direction", "required; one of above, below"),
        ({"direction": "over"}, "direction", "'over' is not one of above, below"),
        ({"warning": None, "critical": None}, "warning", "set a warning or a critical"),
        ({"warning": "abc"}, "warning", "is not a number"),
        ({"warning": True}, "warning", "is not a number"),
        ({"critical": float("nan")}, "critical", "not a finite number"),
        ({"critical": "inf"}, "critical", "not a finite number"),
        ({"critical": 15}, "critical", "must be more than warning (15) for above"),
        ({"critical": 10}, "critical", "must be more than warning (15) for above"),
        ({"direction": "below"}, "critical", "must be less than warning (15) for below"),
        ({"recovery_warning": 16}, "recovery_warning", "at most the warning threshold (15)"),
        ({"recovery_critical": 21}, "recovery_critical", "at most the critical threshold (20)"),
        ({"direction": "below", "warning": 80, "critical": 60, "recovery_warning": 79},
         "recovery_warning", "at least the warning threshold (80)"),
        ({"critical": None, "recovery_critical": 10}, "recovery_critical",
         "needs a critical threshold"),
        ({"recovery_warning": float("-inf")}, "recovery_warning", "not a finite number"),
        ({"pending_s": -1}, "pending_s", "between 0 and"),
        ({"pending_s": 8 * 86400}, "pending_s", "between 0 and"),
        ({"keep_firing_for_s": -0.5}, "keep_firing_for_s", "between 0 and"),
        ({"no_data_after_s": -5}, "no_data_after_s", "between 0 and"),
        ({"no_data_after_s": 0}, "no_data_after_s", "more than 0"),
        ({"no_data": "maybe"}, "no_data", "not one of alerting, ok, keep_last"),
        ({"active": "sometimes"}, "active", "not one of always, while_open, windows"),
        ({"active": "windows"}, "windows", "at least one time window"),
        ({"windows": "08-17"}, "windows", "must be a list"),
        ({"windows": [{"days": [], "start": "08:00", "end": "17:00"}]}, "windows[0].days",
         "non-empty list"),
        ({"windows": [{"days": [7], "start": "08:00", "end": "17:00"}]}, "windows[0].days",
         "7 is not a day 0-6"),
        ({"windows": [{"days": [True], "start": "08:00", "end": "17:00"}]}, "windows[0].days",
         "not a day"),
        ({"windows": [{"days": [0], "start": "8:00", "end": "17:00"}]}, "windows[0].start",
         "not a time HH:MM"),
        ({"windows": [{"days": [0], "start": "08:00", "end": "24:00"}]}, "windows[0].end",
         "not a time HH:MM"),
        ({"windows": [{"days": [0], "start": "08:60", "end": "17:00"}]}, "windows[0].start",
         "not a time HH:MM"),
        ({"windows": [{"days": [0], "start": "08:00", "end": "08:00"}]}, "windows[0].end",
         "must differ from start"),
        ({"windows": [{"days": [0], "start": "08:00", "end": "17:00", "tz": "x"}]},
         "windows[0].tz", "unknown field"),
        ({"windows": ["08:00-17:00"]}, "windows[0]", "must be an object"),
        ({"timezone": "Mars/Olympus"}, "timezone", "not a known time zone"),
        ({"timezone": "../etc/passwd"}, "timezone", "not a known time zone"),
        ({"timezone": ""}, "timezone", "not a time zone"),
        ({"scope": "all"}, "scope", "must be an object"),
        ({"scope": {"queue": "12"}}, "scope.queue", "unknown field"),
        ({"scope": {"entity_ids": "12"}}, "scope.entity_ids", "must be a list"),
        ({"scope": {"entity_ids": ["12", 14]}}, "scope.entity_ids[1]", "not an entity id"),
        ({"scope": {"source": 3}}, "scope.source", "not a string"),
        ({"enabled": "yes"}, "enabled", "not true or false"),
        ({"id": "7"}, "id", "not an integer"),
        ({"treshold": 3, "colour": "red"}, "colour, treshold", "unknown fields; known fields"),
    ],
)
def test_it_refuses_a_bad_field_with_a_clear_message(
    changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(SpecError) as caught:
        validate_rule(wait_rule(**changes))
    assert caught.value.field == field
    assert message in caught.value.message


def test_it_refuses_something_that_is_not_a_mapping() -> None:
    with pytest.raises(SpecError, match="rule: must be an object, not list"):
        validate_rule([])  # type: ignore[arg-type]


def test_it_ships_valid_defaults_that_round_trip() -> None:
    for rule in DEFAULT_RULES:
        assert validate_rule(rule_as_mapping(rule)) == rule
        assert rule.enabled and rule.id is None


def test_it_ships_the_defaults_the_issue_names() -> None:
    by_metric = {rule.metric: rule for rule in DEFAULT_RULES}
    wait = by_metric["longest_wait_s"]
    assert (wait.direction, wait.warning, wait.critical) == (Direction.ABOVE, 15.0, 20.0)
    level = by_metric["service_level_pct"]
    assert (level.direction, level.warning) == (Direction.BELOW, 80.0)
    assert by_metric["state_down"].critical == 1.0
    assert by_metric["drift_oldest_s"].warning == 30 * 60
    assert by_metric["last_success_age_s"].critical == 10 * 60
    assert "data_age_s" in by_metric
    assert by_metric["screen_silence_s"].warning == 300  # issue 6: a silent wall screen
    assert len({rule.name for rule in DEFAULT_RULES}) == len(DEFAULT_RULES) == 7
