"""Every metric an alert rule may watch, from the registries of each kind of entity, and
how a person reads one: its name and a value with its unit, in English or Swedish.

The rule form, the tiles' badges and the reasons of alert states all name a metric
through here, so no screen shows a metric id such as ``longest_wait_s``.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import text
from .drift import DRIFT_RULE_METRICS
from .floor_metrics import FLOOR_RULE_METRICS
from .health import HEALTH_RULE_METRICS
from .metrics import QUEUE_RULE_METRICS, Display, RuleMetric
from .sources import SOURCE_RULE_METRICS

# Every metric the rule form offers, grouped by the kind of entity measured.
RULE_METRICS: tuple[RuleMetric, ...] = (
    *QUEUE_RULE_METRICS, *FLOOR_RULE_METRICS, *HEALTH_RULE_METRICS, *DRIFT_RULE_METRICS,
    *SOURCE_RULE_METRICS,
)
RULE_METRIC_BY_ID: Mapping[str, RuleMetric] = {m.id: m for m in RULE_METRICS}
# Units written as words (in the catalog as ``ths_unit_<unit>``); any other is a symbol.
WORD_UNITS = frozenset({"calls", "agents", "resources"})


def metric_name(metric_id: str, lang: str) -> str:
    """The metric's name in ``lang``; a metric no registry declares by its id."""
    metric = RULE_METRIC_BY_ID.get(metric_id)
    return text.t(metric.label_key, lang) if metric is not None else metric_id


def unit_word(metric: RuleMetric, lang: str) -> str:
    """The unit after a figure: ``%``, ``ms``, ``calls``/``samtal``; none for a state."""
    if metric.state_key is not None or metric.unit == "bool":
        return ""
    if metric.unit in WORD_UNITS:
        return text.t(f"ths_unit_{metric.unit}", lang)
    return metric.unit


def metric_value(metric_id: str, value: float, lang: str, decimals: int = 0) -> str:
    """``value`` of the metric as the screens write it, with its unit: a duration as
    ``m:ss`` (``2.5 s`` under a whole second), ``82,5 %``, ``5 calls``, ``120 ms``;
    ``decimals`` for a figure that is not a duration. A metric no registry declares:
    the number alone."""
    metric = RULE_METRIC_BY_ID.get(metric_id)
    if metric is not None and metric.display is Display.DURATION:
        if float(value).is_integer() and value >= 0:
            return text.format_clock(value)
        return f"{text.format_number(value, lang, max(decimals, 1))} s"
    number = text.format_number(value, lang, decimals)
    if metric is None:
        return number
    if metric.display is Display.PERCENT:
        return f"{number} %"
    unit = unit_word(metric, lang)
    return f"{number} {unit}" if unit else number
