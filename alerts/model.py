"""Alert rules: their definition, validation and the shipped defaults.

Pure: no I/O, no clock. The thresholds page, the backtest and the engine all read
``Rule``; plain values (a form, JSON) become one through ``validate_rule`` only.

Comparisons follow the wall screen's colours: ``above`` breaches at or over a threshold
(a 15 s wait is a 15 s warning), ``below`` breaches under it (a service level of exactly
80 % meets an 80 % target). A recovery threshold equal to its threshold (the default)
means no hysteresis: the alert recovers as soon as it no longer breaches.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, TypeVar

from specs.errors import SpecError
from specs.fields import boolean as _bool
from specs.fields import number as _number
from specs.fields import record_id as _id
from specs.metrics import QueueMetricId


class Direction(StrEnum):
    """Which side of a threshold is bad."""

    ABOVE = "above"  # the value breaches at or over the threshold (waits, ages)
    BELOW = "below"  # the value breaches under the threshold (service level)


class Severity(StrEnum):
    """How bad a firing alert is; critical outranks warning."""

    WARNING = "warning"  # past the warning threshold, not the critical one
    CRITICAL = "critical"  # past the critical threshold


class NoDataPolicy(StrEnum):
    """What a rule does when its series has no value newer than ``no_data_after_s``."""

    ALERTING = "alerting"  # a NODATA alert of its own, notified like a firing one
    OK = "ok"  # no alert for missing data; a firing alert is held until data returns
    KEEP_LAST = "keep_last"  # freeze the current state until data returns


class ActiveMode(StrEnum):
    """When a rule may fire; outside that time it resolves and stays OK."""

    ALWAYS = "always"  # at any time
    WHILE_OPEN = "while_open"  # only while the queue is known to be open
    WINDOWS = "windows"  # only inside the rule's weekly time windows, in its time zone


@dataclass(frozen=True)
class Scope:
    """Which series a rule watches; None or empty means "any"."""

    source: str | None = None  # a source name ("trio", "health:api"), None = every source
    entity_kind: str | None = None  # "queue", "target", "provider", "reconciler", "source"
    entity_ids: tuple[str, ...] = ()  # chosen entities; empty = all of that kind


@dataclass(frozen=True)
class Window:
    """A weekly time window in the rule's time zone. ``days`` are the days it starts on
    (0 = Monday .. 6 = Sunday); an ``end`` before ``start`` runs past midnight into the
    next day. ``start`` is inside the window, ``end`` is not."""

    days: frozenset[int]
    start: str  # "HH:MM"
    end: str  # "HH:MM"


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One alert rule. Build it with ``validate_rule``; thresholds are in the metric's
    unit, durations in seconds."""

    id: int | None = None
    name: str
    metric: str  # a stored series metric, e.g. "longest_wait_s"
    scope: Scope = field(default_factory=Scope)
    direction: Direction
    warning: float | None = None
    critical: float | None = None
    pending_s: float = 0.0  # a breach must hold this long before firing; 0 = at once
    # Hysteresis: a firing alert stops only past these; None = the threshold itself.
    recovery_warning: float | None = None
    recovery_critical: float | None = None
    keep_firing_for_s: float = 0.0  # stay firing this long after the value recovered
    no_data_after_s: float | None = None  # None = missing data is not handled
    no_data: NoDataPolicy = NoDataPolicy.KEEP_LAST
    active: ActiveMode = ActiveMode.ALWAYS
    windows: tuple[Window, ...] = ()
    timezone: str = "Europe/Stockholm"
    enabled: bool = True
    # Routing: the notification channels (names from settings) per severity. A no-data
    # alert that never fired goes to the critical channels.
    warning_channels: tuple[str, ...] = ()
    critical_channels: tuple[str, ...] = ()

    def threshold(self, severity: Severity) -> float | None:
        return self.critical if severity is Severity.CRITICAL else self.warning

    def recovery(self, severity: Severity) -> float | None:
        """The effective recovery threshold of ``severity`` (None if it has no threshold)."""
        if severity is Severity.CRITICAL:
            return self.critical if self.recovery_critical is None else self.recovery_critical
        return self.warning if self.recovery_warning is None else self.recovery_warning


RULE_FIELDS = tuple(f.name for f in fields(Rule))
SCOPE_FIELDS = tuple(f.name for f in fields(Scope))
WINDOW_FIELDS = tuple(f.name for f in fields(Window))

_E = TypeVar("_E", bound=StrEnum)
_METRIC_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_HHMM_RE = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
MAX_NAME_CHARS = 100
MAX_DURATION_S = 7 * 86400.0


# -- validation -----------------------------------------------------------------------


def validate_rule(mapping: Mapping[str, Any]) -> Rule:
    """A ``Rule`` from plain values (JSON, a form); raises ``SpecError`` naming the first
    bad field, so nothing is half-built. Numbers may be numeric strings, enums their
    values, ``scope`` and each window a mapping; unknown keys are an error."""
    _known("rule", mapping, RULE_FIELDS)
    get = mapping.get
    direction = _enum("direction", get("direction"), Direction, required=True)
    warning = _optional_number("warning", get("warning"))
    critical = _optional_number("critical", get("critical"))
    if warning is None and critical is None:
        raise SpecError("warning", "set a warning or a critical threshold (or both)")
    if warning is not None and critical is not None:
        if direction is Direction.ABOVE and not warning < critical:
            raise SpecError("critical", f"must be more than warning ({warning:g}) for above")
        if direction is Direction.BELOW and not warning > critical:
            raise SpecError("critical", f"must be less than warning ({warning:g}) for below")
    active = _enum("active", get("active", ActiveMode.ALWAYS), ActiveMode)
    windows = _windows(get("windows", ()))
    if active is ActiveMode.WINDOWS and not windows:
        raise SpecError("windows", "add at least one time window (active is windows)")
    return Rule(
        id=_id(get("id")),
        name=_name(get("name")),
        metric=_metric(get("metric")),
        scope=_scope(get("scope", Scope())),
        direction=direction,
        warning=warning,
        critical=critical,
        pending_s=_duration("pending_s", get("pending_s", 0.0)),
        recovery_warning=_recovery("warning", warning, get("recovery_warning"), direction),
        recovery_critical=_recovery("critical", critical, get("recovery_critical"), direction),
        keep_firing_for_s=_duration("keep_firing_for_s", get("keep_firing_for_s", 0.0)),
        no_data_after_s=_no_data_after(get("no_data_after_s")),
        no_data=_enum("no_data", get("no_data", NoDataPolicy.KEEP_LAST), NoDataPolicy),
        active=active,
        windows=windows,
        timezone=_timezone(get("timezone", "Europe/Stockholm")),
        enabled=_bool("enabled", get("enabled", True)),
        warning_channels=_channels("warning_channels", get("warning_channels", ())),
        critical_channels=_channels("critical_channels", get("critical_channels", ())),
    )


def rule_as_mapping(rule: Rule) -> dict[str, Any]:
    """Plain JSON-able values that ``validate_rule`` reads back into an equal rule."""
    return {
        "id": rule.id,
        "name": rule.name,
        "metric": rule.metric,
        "scope": {
            "source": rule.scope.source,
            "entity_kind": rule.scope.entity_kind,
            "entity_ids": list(rule.scope.entity_ids),
        },
        "direction": rule.direction.value,
        "warning": rule.warning,
        "critical": rule.critical,
        "pending_s": rule.pending_s,
        "recovery_warning": rule.recovery_warning,
        "recovery_critical": rule.recovery_critical,
        "keep_firing_for_s": rule.keep_firing_for_s,
        "no_data_after_s": rule.no_data_after_s,
        "no_data": rule.no_data.value,
        "active": rule.active.value,
        "windows": [
            {"days": sorted(w.days), "start": w.start, "end": w.end} for w in rule.windows
        ],
        "timezone": rule.timezone,
        "enabled": rule.enabled,
        "warning_channels": list(rule.warning_channels),
        "critical_channels": list(rule.critical_channels),
    }


def _known(where: str, mapping: Any, known: tuple[str, ...]) -> None:
    if not isinstance(mapping, Mapping):
        raise SpecError(where, f"must be an object, not {type(mapping).__name__}")
    unknown = sorted(str(key) for key in mapping if key not in known)
    if unknown:
        prefix = "" if where == "rule" else f"{where}."
        raise SpecError(
            ", ".join(prefix + key for key in unknown),
            f"unknown field{'s' if len(unknown) > 1 else ''}; known fields are "
            + ", ".join(known),
        )


def _optional_number(field: str, value: Any) -> float | None:
    return None if value is None or value == "" else _number(field, value)


def _duration(field: str, value: Any) -> float:
    seconds = _number(field, value)
    if not 0.0 <= seconds <= MAX_DURATION_S:
        raise SpecError(field, f"must be between 0 and {MAX_DURATION_S:g} seconds (7 days)")
    return seconds


def _no_data_after(value: Any) -> float | None:
    if value is None or value == "":
        return None
    seconds = _duration("no_data_after_s", value)
    if seconds == 0:
        raise SpecError("no_data_after_s", "must be more than 0 (or empty: no no-data handling)")
    return seconds


def _recovery(
    severity: str, threshold: float | None, value: Any, direction: Direction
) -> float | None:
    field = f"recovery_{severity}"
    recovery = _optional_number(field, value)
    if recovery is None:
        return None
    if threshold is None:
        raise SpecError(field, f"needs a {severity} threshold to recover from")
    if direction is Direction.ABOVE and recovery > threshold:
        raise SpecError(field, f"must be at most the {severity} threshold ({threshold:g})")
    if direction is Direction.BELOW and recovery < threshold:
        raise SpecError(field, f"must be at least the {severity} threshold ({threshold:g})")
    return recovery


def _enum(field: str, value: Any, kind: type[_E], *, required: bool = False) -> _E:
    choices = ", ".join(member.value for member in kind)
    if value is None and required:
        raise SpecError(field, f"required; one of {choices}")
    try:
        return kind(value)
    except ValueError:
        raise SpecError(field, f"{value!r} is not one of {choices}") from None


def _name(value: Any) -> str:
    if value is None:
        raise SpecError("name", "required")
    if not isinstance(value, str) or not value.strip():
        raise SpecError("name", f"{value!r} is not a name")
    name = value.strip()
    if len(name) > MAX_NAME_CHARS:
        raise SpecError("name", f"must be at most {MAX_NAME_CHARS} characters")
    return name


def _metric(value: Any) -> str:
    if value is None:
        raise SpecError("metric", "required")
    if not isinstance(value, str) or not _METRIC_RE.fullmatch(value):
        raise SpecError(
            "metric", f"{value!r} must be a series metric name like longest_wait_s (a-z, 0-9, _)"
        )
    return value


def _optional_text(field: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.strip():
        raise SpecError(field, f"{value!r} is not a string")
    return value.strip()


def _scope(value: Any) -> Scope:
    if isinstance(value, Scope):
        value = {f: getattr(value, f) for f in SCOPE_FIELDS}
    _known("scope", value, SCOPE_FIELDS)
    ids = value.get("entity_ids", ())
    if isinstance(ids, str) or not isinstance(ids, list | tuple):
        raise SpecError("scope.entity_ids", "must be a list of entity ids (empty = all)")
    for index, item in enumerate(ids):
        if not isinstance(item, str) or not item:
            raise SpecError(f"scope.entity_ids[{index}]", f"{item!r} is not an entity id")
    return Scope(
        source=_optional_text("scope.source", value.get("source")),
        entity_kind=_optional_text("scope.entity_kind", value.get("entity_kind")),
        entity_ids=tuple(dict.fromkeys(ids)),
    )


def _windows(value: Any) -> tuple[Window, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise SpecError("windows", "must be a list of time windows")
    return tuple(_window(f"windows[{index}]", item) for index, item in enumerate(value))


def _window(where: str, value: Any) -> Window:
    if isinstance(value, Window):
        value = {f: getattr(value, f) for f in WINDOW_FIELDS}
    _known(where, value, WINDOW_FIELDS)
    days = value.get("days")
    if isinstance(days, str) or not isinstance(days, list | tuple | set | frozenset) or not days:
        raise SpecError(f"{where}.days", "must be a non-empty list of days 0-6 (0 = Monday)")
    for day in days:
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise SpecError(f"{where}.days", f"{day!r} is not a day 0-6 (0 = Monday)")
    start = _hhmm(f"{where}.start", value.get("start"))
    end = _hhmm(f"{where}.end", value.get("end"))
    if start == end:
        raise SpecError(f"{where}.end", f"must differ from start ({start}); use active always")
    return Window(days=frozenset(days), start=start, end=end)


def _hhmm(field: str, value: Any) -> str:
    if not isinstance(value, str) or not _HHMM_RE.fullmatch(value.strip()):
        raise SpecError(field, f"{value!r} is not a time HH:MM (00:00-23:59)")
    return value.strip()


_CHANNEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _channels(field: str, value: Any) -> tuple[str, ...]:
    """Channel names (existence is checked by the caller, which knows the settings)."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise SpecError(field, "must be a list of notification channel names")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not _CHANNEL_RE.fullmatch(item):
            raise SpecError(f"{field}[{index}]", f"{item!r} is not a channel name")
    return tuple(dict.fromkeys(value))


def _timezone(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError("timezone", f"{value!r} is not a time zone like Europe/Stockholm")
    try:
        zoneinfo.ZoneInfo(value.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SpecError("timezone", f"{value!r} is not a known time zone") from None
    return value.strip()


# -- shipped defaults -----------------------------------------------------------------

# Created on first start. Metrics marked "derived" are not polled as such: the wiring
# computes them from stored facts before evaluating.
DEFAULT_RULES: tuple[Rule, ...] = (
    # Reads the queue series `longest_wait_s` (specs.metrics). Recovery 12 s / 17 s:
    # a wait hovering at 15 s or 20 s fires once instead of flapping.
    validate_rule({
        "name": "Longest wait", "metric": QueueMetricId.LONGEST_WAIT_S.value,
        "scope": {"entity_kind": "queue"}, "direction": "above",
        "warning": 15, "critical": 20, "recovery_warning": 12, "recovery_critical": 17,
        "active": "while_open",
    }),
    # Reads the queue series `service_level_pct`; null before the first answered call,
    # so no value is no alert (no-data handling off).
    validate_rule({
        "name": "Service level", "metric": QueueMetricId.SERVICE_LEVEL_PCT.value,
        "scope": {"entity_kind": "queue"}, "direction": "below",
        "warning": 80, "recovery_warning": 82, "active": "while_open",
    }),
    # Derived `state_down`: 1.0 while a health target's state is down, else 0.0. The
    # target's own `down_after` already debounces, so no pending period.
    validate_rule({
        "name": "Worker down", "metric": "state_down",
        "scope": {"entity_kind": "target"}, "direction": "above", "critical": 1,
    }),
    # Derived `drift_oldest_s`: seconds the oldest still-drifting resource of a
    # provider has drifted (from drift_resources).
    validate_rule({
        "name": "Drift over 30 min", "metric": "drift_oldest_s",
        "scope": {"entity_kind": "provider"}, "direction": "above", "warning": 1800,
    }),
    # Derived `last_success_age_s`: now minus the reconciler series `last_success_ts`.
    validate_rule({
        "name": "Reconciler not succeeding", "metric": "last_success_age_s",
        "scope": {"entity_kind": "reconciler"}, "direction": "above", "critical": 600,
    }),
    # Derived `data_age_s`: now minus a source's `last_success_at` (sources table);
    # 60 s is several intervals of every source kind (5-15 s).
    validate_rule({
        "name": "Source stale", "metric": "data_age_s",
        "scope": {"entity_kind": "source"}, "direction": "above", "warning": 60,
    }),
    # Derived `screen_silence_s`: now minus a wall screen's last request (displays
    # table). Seeded once per database: databases seeded before it lack this rule.
    validate_rule({
        "name": "Screen stopped updating", "metric": "screen_silence_s",
        "scope": {"source": "display", "entity_kind": "screen"}, "direction": "above",
        "warning": 300,
    }),
)
