"""The overall time budget of one poll, shared by every step of it."""

from __future__ import annotations

from collectors.clock import Clock
from collectors.errors import ErrorKind, SourceError


class Deadline:
    """`seconds` from now on `clock`'s monotonic time."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self._clock = clock
        self.seconds = seconds
        self._ends_at = clock.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self._ends_at - self._clock.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def cap(self, timeout: float) -> float:
        """`timeout`, shortened to what is left of the deadline."""
        return min(timeout, self.remaining())

    def error(self, what: str) -> SourceError:
        """The error to raise when the deadline runs out while doing `what`."""
        return SourceError(
            f"deadline of {self.seconds:.1f} s exceeded while {what}",
            kind=ErrorKind.DEADLINE,
            permanent=False,
            retryable=False,
        )

    def check(self, what: str) -> None:
        """Raise the deadline `SourceError` if no time is left."""
        if self.expired:
            raise self.error(what)
