"""The queue metrics, declared once: id, unit, default Trio field, what is plausible, and
how the screens name and show them.

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


class QueueMetricId(StrEnum):
    """The id of every queue metric: the series' ``metric`` column, and the name code
    uses for one metric (``QueueMetricId.LONGEST_WAIT_S``)."""

    OPEN = "open"  # 1.0 open, 0.0 closed
    CALLS_WAITING = "calls_waiting"
    LONGEST_WAIT_S = "longest_wait_s"
    AGENTS_LOGGED_IN = "agents_logged_in"
    AGENTS_AVAILABLE = "agents_available"
    AGENTS_BUSY = "agents_busy"
    AGENTS_PAUSED = "agents_paused"
    ANSWERED_TODAY = "answered_today"
    ABANDONED_TODAY = "abandoned_today"
    SERVICE_LEVEL_PCT = "service_level_pct"
    ASA_S = "asa_s"  # average speed of answer today, where the server sends it


class Display(StrEnum):
    """How the screens show a value (the same in both languages)."""

    STATE = "state"  # not a figure: a closed queue's tile says "Closed"
    INTEGER = "integer"  # "12"
    DURATION = "duration"  # seconds as m:ss, h:mm:ss from an hour
    PERCENT = "percent"  # "82 %"
    MILLISECONDS = "milliseconds"  # "120 ms"
    NUMBER = "number"  # the value as it is: "1.5"


class TileRow(StrEnum):
    """Where a queue's tile shows a metric; in each row, in the order of QUEUE_METRICS."""

    HEADLINE = "headline"  # the large figure on top, coloured by its alert
    QUEUE = "queue"  # the row of the queue's figures
    AGENTS = "agents"  # the row of agent counts


@dataclass(frozen=True)
class QueueMetric:
    id: str  # a QueueMetricId's value
    unit: str  # as the series store it
    default_field: str  # the field of the simulator's (and the usual) services/state
    kind: ValueKind
    label_key: str  # the metric's name in the dashboard's catalogue (dashboard.i18n)
    display: Display
    minimum: float = 0.0
    maximum: float = MAX_COUNT
    # Another metric of the same record this one can never exceed (agents busy <= logged in).
    at_most: str | None = None
    tile: TileRow | None = None  # None: not on the wall's tiles
    # Place among the metrics the rule form suggests (1 first); None: not suggested.
    suggested: int | None = None
    # A counter a Trio server in failover counts from the switchover (the vendor's
    # installation manual): a figure of it then covers only the time since.
    counted_since_failover: bool = False
    # Its column in `trio-monitor status`: (place, 1 first; heading). None: not shown.
    status_column: tuple[int, str] | None = None

    def __post_init__(self) -> None:
        # Plain strings, as the series store them and as logs and reprs show them.
        object.__setattr__(self, "id", str(self.id))
        if self.at_most is not None:
            object.__setattr__(self, "at_most", str(self.at_most))


@dataclass(frozen=True)
class RuleMetric:
    """A metric alert rules may watch, as the rule form offers it: which kind of entity
    it is measured on and how people read it. Every registry of metrics (queues here,
    health targets, reconcilers and sources in their modules) declares its own."""

    id: str
    entity_kind: str  # the entities it is measured on: "queue", "target", "provider", ...
    unit: str  # as the series store it ("s", "%", "calls"); "bool" for a state
    display: Display
    label_key: str  # the metric's name in the dashboard's catalogue (dashboard.i18n)
    source: str | None = None  # the one source it comes from, None: any of its kind
    # A state the metric is 1.0 in ("down"), for rules read as "when X is down": the
    # state's word in the dashboard's catalogue. None: a figure with thresholds.
    state_key: str | None = None


_M = QueueMetricId
QUEUE_METRICS: tuple[QueueMetric, ...] = (
    QueueMetric(_M.OPEN, "bool", "open", ValueKind.BOOL, "metric_open", Display.STATE,
                0.0, 1.0),
    QueueMetric(_M.CALLS_WAITING, "calls", "callswaiting", ValueKind.COUNT, "waiting",
                Display.INTEGER, tile=TileRow.QUEUE, suggested=3, status_column=(1, "waiting")),
    QueueMetric(_M.LONGEST_WAIT_S, "s", "longestwaittime", ValueKind.SECONDS, "longest_wait",
                Display.DURATION, 0.0, MAX_WAIT_S, tile=TileRow.HEADLINE, suggested=1,
                status_column=(2, "longest s")),
    QueueMetric(_M.AGENTS_LOGGED_IN, "agents", "agentsloggedin", ValueKind.COUNT,
                "metric_agents_logged_in", Display.INTEGER, suggested=7),
    QueueMetric(_M.AGENTS_AVAILABLE, "agents", "agentsfree", ValueKind.COUNT, "available",
                Display.INTEGER, at_most=_M.AGENTS_LOGGED_IN, tile=TileRow.AGENTS,
                suggested=4, status_column=(4, "free")),
    QueueMetric(_M.AGENTS_BUSY, "agents", "agentsbusy", ValueKind.COUNT, "busy",
                Display.INTEGER, at_most=_M.AGENTS_LOGGED_IN, tile=TileRow.AGENTS,
                suggested=5, status_column=(5, "busy")),
    QueueMetric(_M.AGENTS_PAUSED, "agents", "agentspaused", ValueKind.COUNT, "paused",
                Display.INTEGER, at_most=_M.AGENTS_LOGGED_IN, tile=TileRow.AGENTS,
                suggested=6, status_column=(6, "paused")),
    QueueMetric(_M.ANSWERED_TODAY, "calls", "answeredtoday", ValueKind.COUNT,
                "hst_col_answered", Display.INTEGER, suggested=9,
                counted_since_failover=True),
    QueueMetric(_M.ABANDONED_TODAY, "calls", "abandonedtoday", ValueKind.COUNT,
                "hst_col_abandoned", Display.INTEGER, suggested=8,
                counted_since_failover=True),
    QueueMetric(_M.SERVICE_LEVEL_PCT, "%", "servicelevel", ValueKind.PERCENT, "service_level",
                Display.PERCENT, 0.0, 100.0, tile=TileRow.QUEUE, suggested=2,
                counted_since_failover=True, status_column=(3, "SL %")),
    # Not sent by the simulator, nor named in Trio's public documents: a site whose server
    # sends it maps its field (docs/TRIO_API.md); absent, the tile and page say so.
    QueueMetric(_M.ASA_S, "s", "asa", ValueKind.SECONDS, "erl_metric_asa", Display.DURATION,
                0.0, MAX_WAIT_S, suggested=10, counted_since_failover=True),
)
QUEUE_METRIC_BY_ID: Mapping[str, QueueMetric] = {m.id: m for m in QUEUE_METRICS}
# Metric id -> unit, as the series store it.
QUEUE_UNITS: Mapping[str, str] = {m.id: m.unit for m in QUEUE_METRICS}
# Metric id -> default field of services/state (the settings' defaults start from this).
DEFAULT_QUEUE_METRIC_FIELDS: Mapping[str, str] = {m.id: m.default_field for m in QUEUE_METRICS}
# The metrics the rule form suggests, in its order (any stored series' metric may be typed).
SUGGESTED_QUEUE_METRICS: tuple[str, ...] = tuple(
    m.id for m in sorted((m for m in QUEUE_METRICS if m.suggested is not None),
                         key=lambda m: m.suggested or 0)
)
# The queue metrics the rule form offers, in its order.
QUEUE_RULE_METRICS: tuple[RuleMetric, ...] = tuple(
    RuleMetric(QUEUE_METRIC_BY_ID[metric_id].id, "queue", QUEUE_METRIC_BY_ID[metric_id].unit,
               QUEUE_METRIC_BY_ID[metric_id].display, QUEUE_METRIC_BY_ID[metric_id].label_key)
    for metric_id in SUGGESTED_QUEUE_METRICS
)
# `trio-monitor status`'s queue columns in their order: metric id -> heading.
STATUS_COLUMNS: Mapping[str, str] = {
    metric_id: heading
    for _, metric_id, heading in sorted(
        (m.status_column[0], m.id, m.status_column[1])
        for m in QUEUE_METRICS if m.status_column is not None
    )
}
# Counters a server in failover counts from the switchover.
COUNTED_SINCE_FAILOVER: frozenset[str] = frozenset(
    m.id for m in QUEUE_METRICS if m.counted_since_failover
)


def tile_metrics(row: TileRow) -> tuple[QueueMetric, ...]:
    """The metrics a queue's tile shows in ``row``, in their order."""
    return tuple(m for m in QUEUE_METRICS if m.tile is row)


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
