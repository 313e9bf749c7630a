"""Retries for transient source errors: exponential backoff, full jitter, one deadline."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from collectors.clock import Clock
from collectors.deadline import Deadline
from collectors.errors import SourceError

T = TypeVar("T")

OnRetry = Callable[[int, SourceError, float], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry within one poll."""

    max_attempts: int = 4
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0

    def backoff_cap(self, attempt: int) -> float:
        """Upper bound of the jittered wait after failed attempt number `attempt` (1-based)."""
        return min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))


async def call_with_retry(
    fn: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    deadline: Deadline,
    clock: Clock,
    rng: random.Random | None = None,
    on_retry: OnRetry | None = None,
) -> T:
    """Await `fn()` until it succeeds, retrying retryable `SourceError`s.

    The wait before attempt n+1 is `max(retry_after_s, uniform(0, min(max_delay,
    base * 2**(n-1))))`. Non-retryable errors propagate at once, unchanged. When the
    attempts are used up, or the next wait would end past `deadline`, the last error is
    raised at once with its message annotated ("...; gave up after 2 attempts: ...").
    `on_retry(attempt, err, delay)` is called before each wait, e.g. to log it.
    Other exceptions are not caught.
    """
    rng = rng if rng is not None else random.Random()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await fn()
        except SourceError as err:
            if not err.retryable:
                raise
            if attempt >= policy.max_attempts:
                raise _gave_up(err, attempt, "no attempts left") from err
            delay = rng.uniform(0.0, policy.backoff_cap(attempt))
            if err.retry_after_s is not None:
                delay = max(delay, err.retry_after_s)
            remaining = deadline.remaining()
            if delay >= remaining:
                reason = f"deadline ({remaining:.1f} s left, next try in {delay:.1f} s)"
                raise _gave_up(err, attempt, reason) from err
            if on_retry is not None:
                on_retry(attempt, err, delay)
            await clock.sleep(delay)


def _gave_up(err: SourceError, attempts: int, reason: str) -> SourceError:
    plural = "attempt" if attempts == 1 else "attempts"
    return err.with_message(f"{err.message}; gave up after {attempts} {plural}: {reason}")
