"""What a polled source shows, declared once: its state and its breaker's state.

A source's state (a Trio site, a worker, a reconciler) is a ``specs.health.HealthState``:
``up``, ``degraded``, ``down``, or ``pending`` before its first poll.
"""

from __future__ import annotations

from enum import StrEnum

from .health import HealthState

__all__ = ["BreakerState", "HealthState"]


class BreakerState(StrEnum):
    """Where a source's circuit breaker stands; stored as ``sources.breaker_state``."""

    CLOSED = "closed"  # calls flow; consecutive failures are counted
    OPEN = "open"  # calls are refused until `retry_at`
    HALF_OPEN = "half_open"  # one trial call is allowed; its outcome closes or reopens
