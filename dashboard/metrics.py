"""The queue metrics the collector stores (docs/DESIGN.md), as the dashboard reads them.

Declared here rather than imported: the dashboard must not import ``collectors``.
"""

from enum import StrEnum

QUEUE_KIND = "queue"


class QueueMetric(StrEnum):
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


# Values of sources.breaker_state written by the collector.
BREAKER_OPEN = "open"
BREAKER_HALF_OPEN = "half_open"
