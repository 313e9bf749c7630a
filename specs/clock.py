"""Time, injected, in one shape: a ``Clock`` is a function of no arguments that returns
the wall time in epoch seconds (UTC), like ``time.time``. Tests pass one that moves only
when told to, so nothing sleeps and every timestamp is known.

Code that also measures durations and waits (the collector's scheduler, retries,
breakers, rate limits) takes a ``Timer``; its ``time`` method is its ``Clock``
(``now_ms(timer.time)``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Clock = Callable[[], float]


def now_ms(clock: Clock) -> int:
    """The clock's time in epoch milliseconds, as every stored timestamp is."""
    return int(clock() * 1000)


class Timer(Protocol):
    """Wall time for timestamps, monotonic time for durations, and a way to wait."""

    def time(self) -> float:
        """Epoch seconds (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (zero or negative: just yield)."""
        ...
