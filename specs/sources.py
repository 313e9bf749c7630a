"""What a polled source shows, declared once: its state and its breaker's state.

A source's state (a Trio site, a worker, a reconciler) is a ``specs.health.HealthState``:
``up``, ``degraded``, ``down``, or ``pending`` before its first poll.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from .health import HealthState
from .metrics import Display, RuleMetric

__all__ = [
    "DATA_AGE_METRIC", "SCREEN_SILENCE_METRIC", "SOURCE_METRIC_DISPLAYS",
    "SOURCE_RULE_METRICS", "BreakerState", "HealthState",
]

# Metrics derived from any source's facts, as rules name them.
DATA_AGE_METRIC = "data_age_s"  # now - the source's last success
# now - a wall screen's last refresh (source "display", one entity per screen token)
SCREEN_SILENCE_METRIC = "screen_silence_s"
SOURCE_METRIC_DISPLAYS: Mapping[str, Display] = {
    DATA_AGE_METRIC: Display.DURATION,
    SCREEN_SILENCE_METRIC: Display.DURATION,
}
# What rules may watch on any source and on the wall screens, as the rule form names them.
SOURCE_RULE_METRICS: tuple[RuleMetric, ...] = (
    RuleMetric(DATA_AGE_METRIC, "source", "s", SOURCE_METRIC_DISPLAYS[DATA_AGE_METRIC],
               "ths_metric_data_age_s"),
    RuleMetric(SCREEN_SILENCE_METRIC, "screen", "s", SOURCE_METRIC_DISPLAYS[SCREEN_SILENCE_METRIC],
               "ths_metric_screen_silence_s", source="display"),
)


class BreakerState(StrEnum):
    """Where a source's circuit breaker stands; stored as ``sources.breaker_state``."""

    CLOSED = "closed"  # calls flow; consecutive failures are counted
    OPEN = "open"  # calls are refused until `retry_at`
    HALF_OPEN = "half_open"  # one trial call is allowed; its outcome closes or reopens
