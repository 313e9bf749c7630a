"""How late the collector's event loop runs: the stall that lease renewal, alert evaluation
and notifications would wait through.

A poll's parsing and the writer's work run off the loop; anything that still blocks it
(a large synchronous step, a slow callback) delays every other job at once. A timer that
should fire every ``period_s`` measures it: the time it fires late is the stall. A stall of
``warn_s`` or more is logged as it happens; the longest of the run is logged at shutdown
(``bench/collect.py`` reads it).
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


class LoopLag:
    """The event loop's lateness, measured by a timer on the loop itself."""

    def __init__(self, period_s: float = 0.2, warn_s: float = 1.0) -> None:
        self.period_s = period_s
        self.warn_s = warn_s
        self.longest_s = 0.0
        self.stalls = 0  # how many times the loop was late by warn_s or more

    async def run(self) -> None:
        """Measure until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.period_s)
            self.observe(loop.time() - start - self.period_s)

    def observe(self, lag_s: float) -> None:
        self.longest_s = max(self.longest_s, lag_s)
        if lag_s >= self.warn_s:
            self.stalls += 1
            log.warning("the event loop was blocked for %.1f s: lease renewal, alerts and "
                        "notifications waited as long", lag_s,
                        extra={"loop_lag_s": round(lag_s, 3)})
