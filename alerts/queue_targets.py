"""Service-level rules judge each queue against its own target.

A rule on ``service_level_pct`` (or ``interval_service_level_pct``) is written against
the site's default target (the shipped "Service level" rule: warning under 80, recovered
at 82, with the default 80/20). On a queue with a target of its own
(``storage.QueueTargetStore``) the rule's thresholds move by the difference: with 90/30
on a queue, that rule warns under 90 and recovers at 92 there; other queues keep 80.
Thresholds stay within 0-100. Pure but for ``read``.
"""

from __future__ import annotations

from dataclasses import replace

from specs.floor_metrics import INTERVAL_SERVICE_LEVEL_METRIC
from specs.metrics import QueueMetricId
from storage import QueueTargetStore, series_key

from .model import Rule

SERVICE_LEVEL = QueueMetricId.SERVICE_LEVEL_PCT.value
# Shares judged against the queue's target: the day's and the current interval's.
SERVICE_LEVELS = frozenset({SERVICE_LEVEL, INTERVAL_SERVICE_LEVEL_METRIC})
QUEUE_KIND = "queue"


def read(store: QueueTargetStore) -> dict[str, float]:
    """Series key of each queue with its own target -> that target's share."""
    return {series_key(row.source, QUEUE_KIND, row.queue_id): row.sl_target_pct
            for row in store.all_targets()}


def for_queue(rule: Rule, target_pct: float | None, default_pct: float) -> Rule:
    """``rule`` as it judges a queue whose own target is ``target_pct`` (None: it has
    none); the same rule for every other metric."""
    if rule.metric not in SERVICE_LEVELS or target_pct is None or target_pct == default_pct:
        return rule
    shift = target_pct - default_pct

    def moved(value: float | None) -> float | None:
        return None if value is None else min(100.0, max(0.0, value + shift))

    return replace(rule, warning=moved(rule.warning), critical=moved(rule.critical),
                   recovery_warning=moved(rule.recovery_warning),
                   recovery_critical=moved(rule.recovery_critical))
