"""Time, injected: every collector component takes a `Clock` so tests never sleep.

The protocol is ``specs.clock.Timer`` (wall time, monotonic time, a way to wait); the
collectors call it `Clock`. Here are the real one and the manual one of the tests.
"""

from __future__ import annotations

import asyncio
import time

from specs.clock import Timer

__all__ = ["Clock", "ManualClock", "SystemClock"]

Clock = Timer


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock that moves only when told to, for tests.

    `sleep(s)` records `s` in `sleeps`, moves time forward to (time of the call + s)
    at once and yields control once. For sleeps made one after another this advances
    the clock by exactly `s` each time; tasks that sleep concurrently end at the latest
    of their wake-up times instead of the sum of their sleeps.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._start = start
        self._elapsed = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self._start + self._elapsed

    def monotonic(self) -> float:
        return self._elapsed

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards ({seconds} s)")
        self._elapsed += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        wake_at = self._elapsed + max(0.0, seconds)
        self._elapsed = max(self._elapsed, wake_at)
        await asyncio.sleep(0)
