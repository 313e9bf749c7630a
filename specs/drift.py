"""Reconciliation-drift sources: what to poll, in which form, how often.

A source is configured as a JSON list (the environment, see config.example.env):
``[{"name": "db-reconciler", "url": "http://rec:8080/drift", "format": "json",
"interval_s": 15, "timeout_s": 5}]``. ``format`` is ``json`` (the worker's drift
document) or ``prometheus`` (its ``/metrics`` text exposition).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .fields import named_list
from .health import SpecError
from .metrics import Display, RuleMetric

# A reconciler's metrics, as rules and series name them.
DRIFT_COUNT_METRIC = "drift_count"  # stored, per provider: resources drifting now
DRIFT_OLDEST_METRIC = "drift_oldest_s"  # derived: age of the oldest drift of a provider
LAST_SUCCESS_AGE_METRIC = "last_success_age_s"  # derived: now - last_success_ts
# The reconciler block's metrics (a worker's own figures) -> unit, as the series store it.
RECONCILER_METRICS: Mapping[str, str] = {
    "healthy": "bool",
    "last_success_ts": "s",
    "consecutive_failures": "cycles",
    "cycle_duration_s": "s",
    "resources_processed": "resources",
    "errors": "errors",
}
# How the screens show a value of each.
DRIFT_METRIC_DISPLAYS: Mapping[str, Display] = {
    DRIFT_COUNT_METRIC: Display.INTEGER,
    DRIFT_OLDEST_METRIC: Display.DURATION,
    LAST_SUCCESS_AGE_METRIC: Display.DURATION,
    "healthy": Display.STATE,
    "last_success_ts": Display.NUMBER,  # epoch seconds
    "consecutive_failures": Display.INTEGER,
    "cycle_duration_s": Display.DURATION,
    "resources_processed": Display.INTEGER,
    "errors": Display.INTEGER,
}
# What rules may watch on a provider or a reconciler, as the rule form names them.
DRIFT_RULE_METRICS: tuple[RuleMetric, ...] = tuple(
    RuleMetric(metric, kind, unit, DRIFT_METRIC_DISPLAYS[metric], f"ths_metric_{metric}")
    for metric, kind, unit in (
        (DRIFT_OLDEST_METRIC, "provider", "s"),
        (DRIFT_COUNT_METRIC, "provider", "resources"),
        (LAST_SUCCESS_AGE_METRIC, "reconciler", "s"),
    )
)

FORMATS = ("json", "prometheus")
DEFAULT_INTERVAL_S = 15.0
DEFAULT_TIMEOUT_S = 5.0
MIN_INTERVAL_S = 1.0
MAX_INTERVAL_S = 86_400.0
# The name becomes the source name "drift:<name>" and appears in URLs of the pages.
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_FIELDS = ("name", "url", "format", "interval_s", "timeout_s")


@dataclass(frozen=True)
class DriftSourceSpec:
    name: str
    url: str
    format: str = "json"  # one of FORMATS
    interval_s: float = DEFAULT_INTERVAL_S
    timeout_s: float = DEFAULT_TIMEOUT_S


def validate_drift_source(mapping: Any) -> DriftSourceSpec:
    """One drift source from a decoded JSON object; raises ``SpecError`` naming the field.

    Unknown keys are refused (a misspelt ``intervall_s`` must not silently mean 15 s).
    """
    if not isinstance(mapping, Mapping):
        raise SpecError("source", f"must be an object, not {type(mapping).__name__}")
    unknown = sorted(str(key) for key in mapping if key not in _FIELDS)
    if unknown:
        raise SpecError(unknown[0], f"unknown field (known: {', '.join(_FIELDS)})")
    name = mapping.get("name")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise SpecError(
            "name", f"{name!r} is not a name (letters, digits, '_', '.', '-'; at most 64)"
        )
    url = _url(mapping.get("url"))
    fmt = mapping.get("format", "json")
    if fmt not in FORMATS:
        raise SpecError("format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    interval_s = _seconds(mapping, "interval_s", DEFAULT_INTERVAL_S, MIN_INTERVAL_S)
    timeout_s = _seconds(mapping, "timeout_s", DEFAULT_TIMEOUT_S, 0.0)
    if timeout_s > interval_s:
        raise SpecError(
            "timeout_s", f"{timeout_s:g} s is longer than the interval ({interval_s:g} s)"
        )
    return DriftSourceSpec(name, url, fmt, interval_s, timeout_s)


def parse_drift_sources_json(text: str) -> list[DriftSourceSpec]:
    """A JSON list of drift sources; raises ``SpecError`` naming the index and field
    (``sources[2].url``); a name used twice is refused."""
    return named_list(text, "sources", validate_drift_source)


def _url(value: Any) -> str:
    if not isinstance(value, str):
        raise SpecError("url", f"{value!r} is not a URL")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise SpecError("url", f"{value!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SpecError("url", f"{value!r} is not an http(s) URL with a host")
    return value


def _seconds(mapping: Mapping[str, Any], field: str, default: float, minimum: float) -> float:
    value = mapping.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(field, f"{value!r} is not a number of seconds")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise SpecError(field, f"{value!r} must be more than 0 s")
    if seconds < minimum or seconds > MAX_INTERVAL_S:
        raise SpecError(field, f"{value!r} must be between {minimum:g} and {MAX_INTERVAL_S:g} s")
    return seconds
