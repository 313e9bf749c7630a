"""The queue metrics and source facts as the dashboard reads them.

The metrics are declared once in ``specs.metrics``; ``QueueMetric`` here is the enum of
their ids (``QueueMetric.LONGEST_WAIT_S``), the dashboard's name for one of them.
"""

from specs.metrics import QueueMetricId as QueueMetric
from specs.sources import BreakerState

__all__ = ["BREAKER_HALF_OPEN", "BREAKER_OPEN", "QUEUE_KIND", "QueueMetric"]

QUEUE_KIND = "queue"

# Values of sources.breaker_state written by the collector.
BREAKER_OPEN = BreakerState.OPEN.value
BREAKER_HALF_OPEN = BreakerState.HALF_OPEN.value
