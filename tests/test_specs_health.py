"""specs.health: target validation, conditions, status matching and uptime (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specs.health import (
    Condition,
    HealthState,
    HealthTarget,
    SpecError,
    checked_time,
    parse_condition,
    parse_targets_json,
    status_matches,
    uptime,
    validate_target,
)

NOW_S = 1_700_000_000.0
MIN = 60_000


def target(**fields: Any) -> dict[str, Any]:
    return {"name": "billing-worker", "url": "http://10.0.0.5:8080/health", **fields}


def refused(**fields: Any) -> SpecError:
    with pytest.raises(SpecError) as info:
        validate_target(target(**fields))
    return info.value


# -- validation -------------------------------------------------------------------------


def test_it_fills_defaults_for_a_minimal_target() -> None:
    assert validate_target(target()) == HealthTarget(
        name="billing-worker", url="http://10.0.0.5:8080/health"
    )


def test_it_accepts_every_field_and_canonicalises_conditions() -> None:
    got = validate_target(target(
        interval_s="30", timeout_s=2, expected_status="200, 401", degraded_latency_ms=800,
        conditions=['status=="ok"', "age( last_successful_run )<10m"], down_after=3,
        enabled=False,
    ))
    assert got.interval_s == 30.0 and got.timeout_s == 2.0
    assert got.expected_status == "200,401"
    assert got.conditions == ('status == "ok"', "age(last_successful_run) < 10m")
    assert (got.degraded_latency_ms, got.down_after, got.enabled) == (800, 3, False)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "Billing Worker"}, "name: 'Billing Worker' must be 1-64 characters"),
        ({"name": "x" * 65}, "name: "),
        ({"name": None}, "name: required"),
        ({"url": "ftp://host/x"}, "url: 'ftp://host/x' must start with http:// or https://"),
        ({"url": "http:///nohost"}, "url: 'http:///nohost' has no host"),
        ({"url": "http://host:99999/"}, "url: 'http://host:99999/' is not a valid URL"),
        ({"interval_s": 0.5}, "interval_s: must be between 1 and 3600 seconds"),
        ({"interval_s": 3601}, "interval_s: must be between 1 and 3600 seconds"),
        ({"interval_s": True}, "interval_s: True is not a number"),
        ({"interval_s": "often"}, "interval_s: 'often' is not a number"),
        ({"timeout_s": 0}, "timeout_s: must be more than 0 and at most 60 seconds"),
        ({"timeout_s": 61, "interval_s": 120}, "timeout_s: must be more than 0 and at most 60"),
        ({"timeout_s": 10}, "timeout_s: must be less than interval_s (10 s)"),
        ({"expected_status": "4xx"}, "expected_status: '4xx' is not a status code 100-599"),
        ({"expected_status": "200,600"}, "expected_status: '600' is not a status code"),
        ({"expected_status": ""}, "expected_status: '': use \"2xx\""),
        ({"conditions": 'status == "ok"'}, "conditions: must be a list of condition strings"),
        ({"conditions": ["status = 'ok'"]}, "conditions[0]: \"status = 'ok'\": expected `path op"),
        ({"conditions": ["ok", 3]}, "conditions[0]: 'ok': expected"),
        ({"degraded_latency_ms": 0}, "degraded_latency_ms: must be more than 0"),
        ({"degraded_latency_ms": 1.5}, "degraded_latency_ms: 1.5 is not a whole number"),
        ({"down_after": 0}, "down_after: must be between 1 and 20 failures"),
        ({"down_after": 21}, "down_after: must be between 1 and 20 failures"),
        ({"enabled": "yes"}, "enabled: 'yes' is not true or false"),
        ({"colour": "red"}, "colour: unknown field; known fields are name, url,"),
        ({"urll": "x", "colour": 1}, "colour, urll: unknown fields;"),
    ],
)
def test_it_names_the_bad_field(fields: dict[str, Any], message: str) -> None:
    assert str(refused(**fields)).startswith(message)


def test_it_treats_an_empty_latency_limit_as_none() -> None:
    assert validate_target(target(degraded_latency_ms="")).degraded_latency_ms is None


def test_it_reads_a_json_list_of_configured_targets() -> None:
    text = json.dumps([target(), target(name="reports", url="https://r.example/healthz")])
    got = parse_targets_json(text)
    assert [t.name for t in got] == ["billing-worker", "reports"]
    assert all(t.from_config for t in got)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "targets: not valid JSON"),
        ('{"name": "a"}', "targets: must be a JSON list, not dict"),
        ('[1]', "targets[0]: must be a JSON object, not int"),
        (json.dumps([target(), target(name="b"), target(name="c", url="nope")]),
         "targets[2].url: 'nope' must start with http:// or https://"),
        (json.dumps([target(), target()]),
         'targets[1].name: duplicate name "billing-worker" (also targets[0])'),
        (json.dumps([target(conditions=["x <"])]),
         "targets[0].conditions[0]: 'x <': a value is missing after <"),
    ],
)
def test_it_names_the_index_of_a_bad_configured_target(text: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_targets_json(text)
    assert str(info.value).startswith(message)


def test_it_matches_status_classes_and_lists() -> None:
    assert status_matches("2xx", 204) and not status_matches("2xx", 301)
    assert status_matches("3xx", 302) and not status_matches("3xx", 200)
    assert status_matches("200,401", 401) and not status_matches("200,401", 403)


# -- conditions ---------------------------------------------------------------------------


def evaluate(text: str, body: Any, now_s: float = NOW_S) -> tuple[bool, str]:
    return parse_condition(text).evaluate(body, now_s)


def test_it_explains_a_failed_numeric_limit() -> None:
    assert evaluate("consecutive_failures < 10", {"consecutive_failures": 12}) == (
        False, "consecutive_failures = 12 (limit < 10)"
    )
    assert evaluate("consecutive_failures < 10", {"consecutive_failures": 3})[0]


def test_it_explains_a_failed_equality() -> None:
    assert evaluate('status == "ok"', {"status": "error"}) == (
        False, 'status = "error" (expected == "ok")'
    )
    assert evaluate('status != "error"', {"status": "ok"})[0]


def test_it_reports_a_missing_field() -> None:
    assert evaluate('status == "ok"', {"state": "ok"}) == (
        False, "status missing from the response"
    )
    assert evaluate('status == "ok"', ["not", "an", "object"])[1] == (
        "status missing from the response"
    )


def test_it_follows_dotted_paths_into_objects_and_lists() -> None:
    body = {"worker": {"queues": [{"depth": 4}, {"depth": 40}]}}
    assert evaluate("worker.queues.1.depth > 30", body)[0]
    assert evaluate("worker.queues.2.depth > 30", body) == (
        False, "worker.queues.2.depth missing from the response"
    )


def test_it_ages_iso_timestamps_and_epoch_seconds() -> None:
    old = datetime.fromtimestamp(NOW_S - 14 * 60 - 30, UTC).isoformat().replace("+00:00", "Z")
    assert evaluate("age(last_successful_run) < 10m", {"last_successful_run": old}) == (
        False, "last_successful_run is 14 min old (limit < 10m)"
    )
    offset = datetime.fromtimestamp(NOW_S - 45, UTC).astimezone().isoformat()
    assert evaluate("age(last_successful_run) < 10m", {"last_successful_run": offset}) == (
        True, "last_successful_run is 45 s old (limit < 10m)"
    )
    assert evaluate("age(t) < 2h", {"t": NOW_S - 3 * 3600})[1] == "t is 3 h old (limit < 2h)"
    assert evaluate("age(t) < 1d", {"t": NOW_S - 3 * 86400})[1] == "t is 3 d old (limit < 1d)"
    assert evaluate("age(t) >= 30s", {"t": NOW_S - 30})[0]


def test_it_refuses_to_age_what_is_not_a_timestamp() -> None:
    assert evaluate("age(t) < 10m", {"t": "yesterday"}) == (
        False, 't = "yesterday" is not a timestamp'
    )
    assert not evaluate("age(t) < 10m", {"t": "2024-01-01T00:00:00"})[0]  # no zone
    assert not evaluate("age(t) < 10m", {"t": True})[0]


def test_it_fails_an_ordering_on_a_non_number() -> None:
    assert evaluate("n < 10", {"n": "3"}) == (False, 'n = "3" (limit < 10)')
    assert not evaluate("n < 10", {"n": True})[0]


def test_it_compares_json_literals() -> None:
    assert evaluate("ok == true", {"ok": True})[0]
    assert not evaluate("ok == 1", {"ok": True})[0]
    assert evaluate("n == 1", {"n": 1.0})[0]
    assert evaluate("err == null", {"err": None})[0]
    assert evaluate('name == "Kundtjänst"', {"name": "Kundtjänst"})[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("status = 'ok'", "expected `path op value`"),
        ("status == ok", "ok is not a JSON value (strings need double quotes)"),
        ('status < "ok"', '< needs a number, not "ok"'),
        ("x == [1]", "compare with a string, number, true, false or null"),
        ("x == NaN", "NaN is not a JSON value"),
        ("age(t) == 10m", "compare an age with < <= > >=, not =="),
        ("age(t) < 10 minutes", "'10 minutes' is not a duration"),
        ("x >", "a value is missing after >"),
    ],
)
def test_it_explains_an_unreadable_condition(text: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_condition(text)
    assert info.value.field == "condition" and message in info.value.message


# -- properties of conditions -----------------------------------------------------------

segments = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,8}", fullmatch=True)
paths = st.lists(segments, min_size=1, max_size=3).map(".".join)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
)
numbers = st.one_of(st.integers(-(10**9), 10**9), st.floats(-1e9, 1e9, allow_nan=False))
ordering = st.sampled_from(["<", "<=", ">", ">="])


def nested(path: str, value: Any) -> dict[str, Any]:
    body: Any = value
    for segment in reversed(path.split(".")):
        body = {segment: body}
    return body


@given(paths, st.sampled_from(["==", "!="]), scalars)
def test_it_reads_back_its_canonical_text(path: str, op: str, value: Any) -> None:
    condition = parse_condition(f"{path} {op} {json.dumps(value)}")
    assert parse_condition(str(condition)) == condition


@given(paths, ordering, st.integers(0, 10**6), st.sampled_from("smhd"))
def test_it_reads_back_age_conditions(path: str, op: str, amount: int, unit: str) -> None:
    condition = parse_condition(f"age({path}) {op} {amount}{unit}")
    assert parse_condition(str(condition)) == condition
    assert condition.value == amount * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


@given(paths, scalars)
def test_it_passes_equality_with_the_value_itself(path: str, value: Any) -> None:
    condition = parse_condition(f"{path} == {json.dumps(value)}")
    assert condition.evaluate(nested(path, value), NOW_S)[0]
    assert not Condition(path, "!=", condition.value).evaluate(nested(path, value), NOW_S)[0]


@given(paths, ordering, numbers, numbers)
def test_it_orders_numbers_like_python(path: str, op: str, actual: float, limit: float) -> None:
    ok, reason = parse_condition(f"{path} {op} {json.dumps(limit)}").evaluate(
        nested(path, actual), NOW_S
    )
    expected = {"<": actual < limit, "<=": actual <= limit, ">": actual > limit,
                ">=": actual >= limit}[op]
    assert ok is expected
    assert reason.startswith(f"{path} = ")


@given(paths, scalars)
def test_it_never_passes_a_field_that_is_missing(path: str, value: Any) -> None:
    condition = parse_condition(f"{path} != {json.dumps(value)}")
    assert condition.evaluate({}, NOW_S) == (False, f"{path} missing from the response")


# -- uptime ---------------------------------------------------------------------------------


def test_it_computes_uptime_over_a_window_with_a_fixed_clock() -> None:
    since, now = 0, 60 * MIN
    events = [(10 * MIN, "down"), (25 * MIN, "degraded"), (40 * MIN, "up")]
    # up 0-10, down 10-25, degraded 25-40, up 40-60: 45 of 60 minutes
    assert uptime(events, "up", since, now) == pytest.approx(45 / 60)


def test_it_leaves_pending_time_out_of_uptime() -> None:
    events = [(30 * MIN, HealthState.UP), (45 * MIN, HealthState.DOWN)]
    assert uptime(events, None, 0, 60 * MIN) == pytest.approx(0.5)
    assert uptime(events, "pending", 0, 60 * MIN) == pytest.approx(0.5)


def test_it_has_no_uptime_when_nothing_was_checked() -> None:
    assert uptime([], None, 0, 60 * MIN) is None
    assert uptime([(5 * MIN, "pending")], None, 0, 60 * MIN) is None
    assert uptime([], "up", 60 * MIN, 60 * MIN) is None


def test_it_uses_the_state_before_the_window() -> None:
    assert uptime([], "down", 0, 60 * MIN) == 0.0
    assert uptime([], "degraded", 0, 60 * MIN) == 1.0


states = st.sampled_from(["up", "degraded", "down", "pending"])
timelines = st.lists(st.tuples(st.integers(0, 10_000), states), max_size=12).map(sorted)


@given(timelines, st.one_of(st.none(), states), st.integers(0, 10_000))
def test_it_keeps_uptime_between_zero_and_one(
    events: list[tuple[int, str]], before: str | None, end: int
) -> None:
    share = uptime(events, before, 0, end)
    assert share is None or 0.0 <= share <= 1.0


@given(timelines, st.one_of(st.none(), states), st.integers(0, 10_000), st.integers(0, 10_000))
def test_it_adds_up_over_split_windows(
    events: list[tuple[int, str]], before: str | None, a: int, b: int
) -> None:
    split, end = min(a, b), max(a, b)
    first = [e for e in events if e[0] < split]
    second = [e for e in events if e[0] >= split]
    state_at_split = first[-1][1] if first else before
    up1, checked1 = checked_time(first, before, 0, split)
    up2, checked2 = checked_time(second, state_at_split, split, end)
    assert checked_time(events, before, 0, end) == (up1 + up2, checked1 + checked2)
