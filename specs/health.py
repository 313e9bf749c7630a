"""Worker health targets: their definition and validation, body conditions, and uptime.

Pure: no I/O, no clock (callers pass ``now_s`` / ``now_ms``). The collector, the
dashboard's edit form and the CLI all validate with ``validate_target``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from .errors import SpecError
from .fields import boolean as _bool
from .fields import http_url as _url
from .fields import named_list
from .fields import number as _number
from .fields import record_id as _id
from .metrics import Display, RuleMetric

# A target's metrics, as rules and series name them, and how the screens show a value.
LATENCY_METRIC = "latency_ms"  # stored: the check's duration
STATE_DOWN_METRIC = "state_down"  # derived: 1.0 while the target is DOWN, else 0.0
HEALTH_METRIC_DISPLAYS: Mapping[str, Display] = {
    LATENCY_METRIC: Display.MILLISECONDS,
    STATE_DOWN_METRIC: Display.STATE,
}
# What rules may watch on a target, as the rule form names them.
HEALTH_RULE_METRICS: tuple[RuleMetric, ...] = (
    RuleMetric(STATE_DOWN_METRIC, "target", "bool", HEALTH_METRIC_DISPLAYS[STATE_DOWN_METRIC],
               "ths_metric_state_down", state_key="ths_state_down"),
    RuleMetric(LATENCY_METRIC, "target", "ms", HEALTH_METRIC_DISPLAYS[LATENCY_METRIC],
               "ths_metric_latency_ms"),
)


class HealthState(StrEnum):
    """The state a health target (or any source) shows, declared once."""

    UP = "up"  # the last check passed within the latency limit
    DEGRADED = "degraded"  # the last check passed, but slower than the latency limit
    DOWN = "down"  # `down_after` checks in a row failed
    PENDING = "pending"  # never checked yet: counts neither for nor against uptime


@dataclass(frozen=True)
class HealthTarget:
    """One worker health endpoint to check. Build it with ``validate_target``."""

    name: str
    url: str
    interval_s: float = 10.0
    timeout_s: float = 5.0
    expected_status: str = "2xx"
    # Canonical condition texts (``str(parse_condition(text))``).
    conditions: tuple[str, ...] = ()
    degraded_latency_ms: int | None = None
    down_after: int = 2
    enabled: bool = True
    # Created from the configuration at start: read-only in the UI.
    from_config: bool = False
    id: int | None = None


TARGET_FIELDS = tuple(f.name for f in fields(HealthTarget))

_NAME_RE = re.compile(r"[a-z0-9._-]{1,64}")
_CLASS_RE = re.compile(r"[2-5]xx")
MAX_INTERVAL_S = 3600.0
MAX_TIMEOUT_S = 60.0
MAX_DOWN_AFTER = 20


# -- validation -----------------------------------------------------------------------


def validate_target(mapping: Mapping[str, Any]) -> HealthTarget:
    """A ``HealthTarget`` from plain values (JSON, a form); raises ``SpecError`` naming
    the first bad field. Numbers may be given as numeric strings; unknown keys are an
    error. Conditions are stored in their canonical text."""
    if not isinstance(mapping, Mapping):
        raise SpecError("target", f"must be an object, not {type(mapping).__name__}")
    unknown = sorted(str(key) for key in mapping if key not in TARGET_FIELDS)
    if unknown:
        raise SpecError(
            ", ".join(unknown),
            f"unknown field{'s' if len(unknown) > 1 else ''}; known fields are "
            + ", ".join(TARGET_FIELDS),
        )
    defaults = HealthTarget(name="x", url="http://x")
    get = mapping.get
    interval_s = _number("interval_s", get("interval_s", defaults.interval_s))
    if not 1.0 <= interval_s <= MAX_INTERVAL_S:
        raise SpecError("interval_s", f"must be between 1 and {MAX_INTERVAL_S:g} seconds")
    timeout_s = _number("timeout_s", get("timeout_s", defaults.timeout_s))
    if not 0.0 < timeout_s <= MAX_TIMEOUT_S:
        raise SpecError("timeout_s", f"must be more than 0 and at most {MAX_TIMEOUT_S:g} seconds")
    if timeout_s >= interval_s:
        raise SpecError("timeout_s", f"must be less than interval_s ({interval_s:g} s)")
    return HealthTarget(
        name=_name(get("name")),
        url=_url(get("url")),
        interval_s=interval_s,
        timeout_s=timeout_s,
        expected_status=_expected_status(get("expected_status", defaults.expected_status)),
        conditions=_conditions(get("conditions", ())),
        degraded_latency_ms=_latency(get("degraded_latency_ms")),
        down_after=_down_after(get("down_after", defaults.down_after)),
        enabled=_bool("enabled", get("enabled", True)),
        from_config=_bool("from_config", get("from_config", False)),
        id=_id(get("id")),
    )


def parse_targets_json(text: str) -> list[HealthTarget]:
    """Targets from the configuration: a JSON list of target objects. Every target is
    marked ``from_config``. Raises ``SpecError`` naming the index (``targets[2].url``);
    a name used twice is refused."""
    return [replace(target, from_config=True)
            for target in named_list(text, "targets", validate_target)]


def _name(value: Any) -> str:
    if value is None:
        raise SpecError("name", "required")
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
        raise SpecError(
            "name", f"{value!r} must be 1-64 characters of a-z, 0-9, '.', '_' and '-'"
        )
    return value


def _integer(field: str, value: Any) -> int:
    number = _number(field, value)
    if not number.is_integer():
        raise SpecError(field, f"{value!r} is not a whole number")
    return int(number)


def _expected_status(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError("expected_status", f'{value!r}: use "2xx", "3xx" or codes like "200,401"')
    spec = value.strip().lower()
    if spec in ("2xx", "3xx"):
        return spec
    codes: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        if not part.isdigit() or not 100 <= int(part) <= 599:
            raise SpecError(
                "expected_status",
                f'{part!r} is not a status code 100-599; use "2xx", "3xx" or codes like "200,401"',
            )
        codes.append(int(part))
    return ",".join(str(code) for code in dict.fromkeys(codes))


def _conditions(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise SpecError("conditions", "must be a list of condition strings")
    texts: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise SpecError(f"conditions[{index}]", f"{item!r} is not a string")
        try:
            texts.append(str(parse_condition(item)))
        except SpecError as exc:
            raise SpecError(f"conditions[{index}]", exc.message) from None
    return tuple(texts)


def _latency(value: Any) -> int | None:
    if value is None or value == "":
        return None
    latency = _integer("degraded_latency_ms", value)
    if latency <= 0:
        raise SpecError("degraded_latency_ms", "must be more than 0 (or empty for no limit)")
    return latency


def _down_after(value: Any) -> int:
    count = _integer("down_after", value)
    if not 1 <= count <= MAX_DOWN_AFTER:
        raise SpecError("down_after", f"must be between 1 and {MAX_DOWN_AFTER} failures")
    return count


def status_matches(spec: str, code: int) -> bool:
    """Whether HTTP ``code`` satisfies ``expected_status`` (``"2xx"``, ``"3xx"`` or a
    comma list of codes). Raises ``SpecError`` for a spec ``validate_target`` refuses."""
    spec = spec.strip().lower()
    if _CLASS_RE.fullmatch(spec):
        return code // 100 == int(spec[0])
    codes = {int(part) for part in _expected_status(spec).split(",")}
    return code in codes


# -- conditions -----------------------------------------------------------------------

JsonScalar = str | int | float | bool | None

OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
_ORDERING = frozenset({"<", "<=", ">", ">="})
_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9_-]*"
_PATH = rf"{_SEGMENT}(?:\.{_SEGMENT})*"
_CONDITION_RE = re.compile(
    rf"\s*(?:age\(\s*(?P<age>{_PATH})\s*\)|(?P<path>{_PATH}))\s*"
    r"(?P<op>==|!=|<=|>=|<|>)\s*(?P<value>.*?)\s*"
)
_DURATION_RE = re.compile(r"(?P<n>\d+(?:\.\d+)?)(?P<unit>[smhd])")
_UNIT_S = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SHOW_CHARS = 60


@dataclass(frozen=True)
class Condition:
    """One rule on a JSON body: ``path op value`` or ``age(path) op duration``.

    ``path`` is dotted (``worker.status``; a numeric segment indexes a list). For an age
    condition ``value`` is the limit in seconds and ``duration`` its text (``10m``).
    ``str(condition)`` is the canonical text, which ``parse_condition`` reads back.
    """

    path: str
    op: str
    value: JsonScalar
    duration: str | None = None

    @property
    def is_age(self) -> bool:
        return self.duration is not None

    def __str__(self) -> str:
        if self.duration is not None:
            return f"age({self.path}) {self.op} {self.duration}"
        return f"{self.path} {self.op} {_json(self.value)}"

    def evaluate(self, body: Any, now_s: float) -> tuple[bool, str]:
        """(passed, reason) for ``body`` at ``now_s`` (epoch seconds). The reason reads
        well either way: ``consecutive_failures = 12 (limit < 10)``."""
        found, actual = _lookup(body, self.path)
        if not found:
            return False, f"{self.path} missing from the response"
        if self.duration is not None:
            return self._evaluate_age(actual, now_s)
        if self.op in _ORDERING:
            shown = f"{self.path} = {_show(actual)} (limit {self.op} {_json(self.value)})"
            if not _is_number(actual):
                return False, shown
            return _compare(actual, self.op, self.value), shown
        shown = f"{self.path} = {_show(actual)} (expected {self.op} {_json(self.value)})"
        equal = _json_equal(actual, self.value)
        return (equal if self.op == "==" else not equal), shown

    def _evaluate_age(self, actual: Any, now_s: float) -> tuple[bool, str]:
        when = _timestamp_s(actual)
        if when is None:
            return False, f"{self.path} = {_show(actual)} is not a timestamp"
        age_s = max(0.0, now_s - when)
        shown = f"{self.path} is {_human_age(age_s)} old (limit {self.op} {self.duration})"
        return _compare(age_s, self.op, self.value), shown


def parse_condition(text: str) -> Condition:
    """``status == "ok"``, ``consecutive_failures < 10``, ``age(last_successful_run) < 10m``.

    Values are JSON literals (strings in double quotes, numbers, true/false/null);
    ``<``, ``<=``, ``>``, ``>=`` need a number. Durations: ``30s``, ``10m``, ``2h``, ``1d``.
    Raises ``SpecError("condition", ...)``.
    """
    if not isinstance(text, str):
        raise SpecError("condition", f"{text!r} is not a string")
    match = _CONDITION_RE.fullmatch(text)
    if match is None:
        raise SpecError(
            "condition",
            f"{text!r}: expected `path op value` or `age(path) op duration`,"
            f" with op one of {' '.join(OPERATORS)}",
        )
    op, raw = match["op"], match["value"]
    if not raw:
        raise SpecError("condition", f"{text!r}: a value is missing after {op}")
    if match["age"] is not None:
        return _age_condition(text, match["age"], op, raw)
    value = _literal(text, raw)
    if op in _ORDERING and not _is_number(value):
        raise SpecError("condition", f"{text!r}: {op} needs a number, not {raw}")
    return Condition(path=match["path"], op=op, value=value)


def _age_condition(text: str, path: str, op: str, raw: str) -> Condition:
    if op not in _ORDERING:
        raise SpecError("condition", f"{text!r}: compare an age with < <= > >=, not {op}")
    duration = _DURATION_RE.fullmatch(raw)
    if duration is None:
        raise SpecError("condition", f"{text!r}: {raw!r} is not a duration like 30s, 10m, 2h, 1d")
    seconds = float(duration["n"]) * _UNIT_S[duration["unit"]]
    return Condition(path=path, op=op, value=seconds, duration=raw)


def _literal(text: str, raw: str) -> JsonScalar:
    def refuse(constant: str) -> None:
        raise SpecError("condition", f"{text!r}: {constant} is not a JSON value")

    try:
        value = json.loads(raw, parse_constant=refuse)
    except json.JSONDecodeError:
        raise SpecError(
            "condition",
            f"{text!r}: {raw} is not a JSON value (strings need double quotes)",
        ) from None
    if isinstance(value, list | dict):
        raise SpecError(
            "condition", f"{text!r}: compare with a string, number, true, false or null"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError("condition", f"{text!r}: {raw} is out of range")
    return value


def _lookup(body: Any, path: str) -> tuple[bool, Any]:
    current = body
    for segment in path.split("."):
        if isinstance(current, dict) and segment in current:
            current = current[segment]
        elif isinstance(current, list) and segment.isdigit() and int(segment) < len(current):
            current = current[int(segment)]
        else:
            return False, None
    return True, current


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _compare(actual: float, op: str, limit: Any) -> bool:
    if op == "<":
        return bool(actual < limit)
    if op == "<=":
        return bool(actual <= limit)
    if op == ">":
        return bool(actual > limit)
    return bool(actual >= limit)


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)


def _timestamp_s(value: Any) -> float | None:
    """Epoch seconds from an ISO-8601 string with a zone, or from epoch seconds."""
    if _is_number(value):
        return float(value)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None  # a local time of an unknown zone cannot be aged honestly
    return parsed.timestamp()


def _human_age(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 7200:
        return f"{int(seconds // 60)} min"
    if seconds < 172800:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _show(value: Any) -> str:
    text = _json(value)
    return text if len(text) <= _SHOW_CHARS else text[: _SHOW_CHARS - 1] + "…"


# -- uptime ---------------------------------------------------------------------------

_UP_STATES = frozenset({HealthState.UP, HealthState.DEGRADED})
_CHECKED_STATES = _UP_STATES | {HealthState.DOWN}


def checked_time(
    events: Iterable[tuple[int, str]], state_before: str | None, since_ms: int, now_ms: int
) -> tuple[int, int]:
    """(ms up or degraded, ms checked) in ``[since_ms, now_ms)``.

    ``events`` are ``(ts_ms, to_state)`` ascending; ``state_before`` is the state at
    ``since_ms`` (None: never checked). Pending or unknown states are not checked time.
    """
    up_ms = checked_ms = 0
    state = state_before
    at = since_ms
    for ts_ms, to_state in events:
        ts_ms = min(max(ts_ms, since_ms), now_ms)
        if ts_ms > at:
            up_ms, checked_ms = _add(state, ts_ms - at, up_ms, checked_ms)
            at = ts_ms
        state = to_state
    if now_ms > at:
        up_ms, checked_ms = _add(state, now_ms - at, up_ms, checked_ms)
    return up_ms, checked_ms


def _add(state: str | None, span: int, up_ms: int, checked_ms: int) -> tuple[int, int]:
    if state in _CHECKED_STATES:
        checked_ms += span
        if state in _UP_STATES:
            up_ms += span
    return up_ms, checked_ms


def uptime(
    events: Iterable[tuple[int, str]], state_before: str | None, since_ms: int, now_ms: int
) -> float | None:
    """Share (0..1) of checked time in ``[since_ms, now_ms)`` spent up or degraded;
    None when nothing in the window was checked. See ``checked_time``."""
    up_ms, checked_ms = checked_time(events, state_before, since_ms, now_ms)
    if checked_ms == 0:
        return None
    return up_ms / checked_ms
