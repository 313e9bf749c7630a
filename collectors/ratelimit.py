"""An async token bucket, so a source is never hammered faster than it allows."""

from __future__ import annotations

import asyncio

from collectors.clock import Clock
from collectors.deadline import Deadline


class RateLimiter:
    """At most `burst` calls at once, refilled at `rate_per_s` tokens per second.

    Waiters are served first come, first served: the bucket is guarded by an
    `asyncio.Lock` (FIFO) held while the head of the queue sleeps for its token.
    """

    def __init__(self, rate_per_s: float, burst: int, clock: Clock) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError(f"rate_per_s must be > 0 and burst >= 1, got {rate_per_s}, {burst}")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock.monotonic()
        self._lock = asyncio.Lock()
        self._queued = 0  # callers inside acquire(), each about to take one token

    def _refill(self) -> None:
        now = self._clock.monotonic()
        refilled = self._tokens + (now - self._updated) * self.rate_per_s
        self._tokens = min(float(self.burst), refilled)
        self._updated = now

    def _wait_for(self, tokens_needed: float) -> float:
        self._refill()
        return max(0.0, (tokens_needed - self._tokens) / self.rate_per_s)

    async def acquire(self, deadline: Deadline | None = None) -> None:
        """Take one token, waiting for it if needed.

        Raises the deadline's `SourceError` at once, without waiting, when the token
        would only come after `deadline`. Everyone queued ahead counts: the estimate
        is made on arrival and checked again when this caller reaches the head.
        """
        what = f"waiting for the rate limiter ({self.rate_per_s:g}/s)"
        if deadline is not None:
            deadline.check(what)
            if self._wait_for(self._queued + 1) > deadline.remaining():
                raise deadline.error(what)
        self._queued += 1
        try:
            async with self._lock:
                wait = self._wait_for(1.0)
                if wait > 0:
                    if deadline is not None and wait > deadline.remaining():
                        raise deadline.error(what)
                    await self._clock.sleep(wait)
                    self._refill()
                self._tokens -= 1.0
        finally:
            self._queued -= 1
