"""Metrics derived from a queue's day counters when alert rules are judged, declared once:
the service level of the current 15-minute interval (``specs.intervals``) and how many
agents a queue is short now (Erlang C's need minus the agents logged in, at least 0;
``specs.staffing``). Computed by ``alerts.floor_figures`` for the tiles and for the
engine (``alerts.inputs``). A queue without enough data for a figure has no value: its
rules see "unknown" with the reason, never 0 and never an all-clear.
"""

from __future__ import annotations

from collections.abc import Mapping

from .metrics import Display, RuleMetric

__all__ = ["AGENTS_SHORT_METRIC", "FLOOR_METRIC_DISPLAYS", "FLOOR_RULE_METRICS",
           "INTERVAL_SERVICE_LEVEL_METRIC"]

INTERVAL_SERVICE_LEVEL_METRIC = "interval_service_level_pct"
AGENTS_SHORT_METRIC = "agents_short"
FLOOR_METRIC_DISPLAYS: Mapping[str, Display] = {
    INTERVAL_SERVICE_LEVEL_METRIC: Display.PERCENT,
    AGENTS_SHORT_METRIC: Display.INTEGER,
}
# What rules may watch on a queue beyond its stored series, as the rule form names them.
FLOOR_RULE_METRICS: tuple[RuleMetric, ...] = (
    RuleMetric(INTERVAL_SERVICE_LEVEL_METRIC, "queue", "%",
               FLOOR_METRIC_DISPLAYS[INTERVAL_SERVICE_LEVEL_METRIC],
               "ths_metric_interval_service_level_pct"),
    RuleMetric(AGENTS_SHORT_METRIC, "queue", "agents", FLOOR_METRIC_DISPLAYS[AGENTS_SHORT_METRIC],
               "ths_metric_agents_short"),
)
