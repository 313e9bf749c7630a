"""The queue metrics, declared once: id, unit, default Trio field, and what is plausible.

A value outside its plausible range is not a measurement to store: it is refused on its
own (the rest of the record is kept), counted, and the reason shown on the source. The
rules live here, in one place, so the collector, the settings and the screens agree.

Ranges are deliberately wide: they catch values that cannot be true (a negative count, a
wait longer than a day, a percentage over 100, more agents busy than logged in), not
values that are merely unusual.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

# How a source's state reason starts when its last poll refused values or skipped records
# ("partial: 3 values refused (...)"); the wall's status strip looks for it.
PARTIAL_PREFIX = "partial: "


class ValueKind(StrEnum):
    BOOL = "bool"  # stored as 1.0 / 0.0
    COUNT = "count"  # a whole number of calls or agents
    SECONDS = "seconds"  # a duration
    PERCENT = "percent"  # a share, 0-100


# A day: the longest wait any queue can plausibly have (and more than any real one).
MAX_WAIT_S = 86_400.0
# Far more than any contact center's calls or agents, far less than a garbled counter.
MAX_COUNT = 1_000_000.0


@dataclass(frozen=True)
class QueueMetric:
    id: str
    unit: str
    default_field: str  # the field of the simulator's (and the usual) services/state
    kind: ValueKind
    minimum: float = 0.0
    maximum: float = MAX_COUNT
    # Another metric of the same record this one can never exceed (agents busy <= logged in).
    at_most: str | None = None


QUEUE_METRICS: tuple[QueueMetric, ...] = (
    QueueMetric("open", "bool", "open", ValueKind.BOOL, 0.0, 1.0),
    QueueMetric("calls_waiting", "calls", "callswaiting", ValueKind.COUNT),
    QueueMetric("longest_wait_s", "s", "longestwaittime", ValueKind.SECONDS, 0.0, MAX_WAIT_S),
    QueueMetric("agents_logged_in", "agents", "agentsloggedin", ValueKind.COUNT),
    QueueMetric("agents_available", "agents", "agentsfree", ValueKind.COUNT,
                at_most="agents_logged_in"),
    QueueMetric("agents_busy", "agents", "agentsbusy", ValueKind.COUNT,
                at_most="agents_logged_in"),
    QueueMetric("agents_paused", "agents", "agentspaused", ValueKind.COUNT,
                at_most="agents_logged_in"),
    QueueMetric("answered_today", "calls", "answeredtoday", ValueKind.COUNT),
    QueueMetric("abandoned_today", "calls", "abandonedtoday", ValueKind.COUNT),
    QueueMetric("service_level_pct", "%", "servicelevel", ValueKind.PERCENT, 0.0, 100.0),
)
QUEUE_METRIC_BY_ID: Mapping[str, QueueMetric] = {m.id: m for m in QUEUE_METRICS}
# Metric id -> unit, as the series store it.
QUEUE_UNITS: Mapping[str, str] = {m.id: m.unit for m in QUEUE_METRICS}
# Metric id -> default field of services/state (the settings' defaults start from this).
DEFAULT_QUEUE_METRIC_FIELDS: Mapping[str, str] = {m.id: m.default_field for m in QUEUE_METRICS}


def implausible(metric: QueueMetric, value: float) -> str | None:
    """Why ``value`` cannot be a true reading of ``metric``; None when it is plausible.

    The reason is short and names the rule ("negative", "over 100", "not a whole number"),
    so that refusals of one kind can be counted together.
    """
    if not math.isfinite(value):
        return "not finite"
    if value < metric.minimum:
        return "negative" if metric.minimum == 0.0 else f"under {metric.minimum:g}"
    if value > metric.maximum:
        if metric.kind is ValueKind.SECONDS and metric.maximum == MAX_WAIT_S:
            return "longer than a day"
        return f"over {metric.maximum:g}"
    if metric.kind is ValueKind.COUNT and value != math.floor(value):
        return "not a whole number"
    return None


def implausible_together(values: Mapping[str, float]) -> dict[str, str]:
    """Metrics of one record refused because of another's value: ``{metric: reason}``.

    A metric over its ``at_most`` partner (more agents busy than logged in) is refused; its
    partner is kept, since the smaller figure cannot tell which of the two is wrong and
    the total is the one screens and rules lean on least.
    """
    refused: dict[str, str] = {}
    for metric in QUEUE_METRICS:
        if metric.at_most is None or metric.id not in values or metric.at_most not in values:
            continue
        if values[metric.id] > values[metric.at_most]:
            refused[metric.id] = f"more than {metric.at_most}"
    return refused
