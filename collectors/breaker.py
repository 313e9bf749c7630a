"""A circuit breaker per source: stop calling a source that keeps failing, probe it later.

Pure logic on an injected clock. Its facts (`snapshot()`) are what the `sources` table
stores, so a restarted collector resumes where the last one stopped (`restore()`).
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors.clock import Clock, SystemClock
from specs.sources import BreakerState

__all__ = ["BreakerSnapshot", "BreakerState", "CircuitBreaker"]


@dataclass(frozen=True)
class BreakerSnapshot:
    """The breaker's facts, times in epoch seconds. `cooldown_s=None` on restore means
    "derive it from `retry_at - opened_at`" (the `sources` table stores only those)."""

    state: BreakerState
    consecutive_failures: int
    opened_at: float | None
    retry_at: float | None
    cooldown_s: float | None


class CircuitBreaker:
    """Opens after `failure_threshold` consecutive failures, for a cooldown that starts at
    `base_cooldown_s` and doubles (up to `max_cooldown_s`) each time a trial fails.

    Callers make one call at a time per breaker and report each allowed call with
    exactly one `record_success()`, `record_failure()` or `trip()`. While the half-open
    trial is out, `allow()` refuses; a trial that never reports (its task was cancelled)
    is given up after `max_cooldown_s`, so the breaker cannot stay stuck half-open.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        base_cooldown_s: float = 30.0,
        max_cooldown_s: float = 600.0,
        clock: Clock | None = None,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, got {failure_threshold}")
        if not 0 < base_cooldown_s <= max_cooldown_s:
            raise ValueError(
                f"need 0 < base_cooldown_s <= max_cooldown_s, got {base_cooldown_s}, "
                f"{max_cooldown_s}"
            )
        self._clock: Clock = clock if clock is not None else SystemClock()
        self.failure_threshold = failure_threshold
        self.base_cooldown_s = base_cooldown_s
        self.max_cooldown_s = max_cooldown_s
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at: float | None = None
        self._retry_at: float | None = None
        self._cooldown_s = base_cooldown_s
        self._trial_started: float | None = None  # monotonic time the half-open trial left

    @property
    def state(self) -> BreakerState:
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    @property
    def opened_at(self) -> float | None:
        """Epoch seconds when the breaker last opened; None while closed."""
        return self._opened_at

    @property
    def retry_at(self) -> float | None:
        """Epoch seconds from which a trial call is allowed; None while closed."""
        return self._retry_at

    @property
    def cooldown_s(self) -> float:
        """The current (or next) open period."""
        return self._cooldown_s

    def allow(self) -> bool:
        """May a call go out now? In open state past `retry_at`, this moves to half-open
        and grants the one trial call."""
        if self._state is BreakerState.CLOSED:
            return True
        if self._state is BreakerState.OPEN:
            if self._retry_at is not None and self._clock.time() < self._retry_at:
                return False
            self._state = BreakerState.HALF_OPEN
        elif self._trial_started is not None:
            lost = self._clock.monotonic() - self._trial_started >= self.max_cooldown_s
            if not lost:
                return False
        self._trial_started = self._clock.monotonic()
        return True

    def record_success(self) -> None:
        """The call worked: close, forget failures and reset the cooldown."""
        self._trial_started = None
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = None
        self._retry_at = None
        self._cooldown_s = self.base_cooldown_s

    def record_failure(self) -> None:
        """The call failed: count it; open at the threshold; reopen (cooldown doubled)
        when it was the half-open trial."""
        self._fail(threshold=self.failure_threshold)

    def trip(self) -> None:
        """The call failed in a way a person must fix (permanent error): open now, without
        waiting for the threshold, so the server is only probed once per cooldown."""
        self._fail(threshold=1)

    def _fail(self, *, threshold: int) -> None:
        self._trial_started = None
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN:
            self._cooldown_s = min(self.max_cooldown_s, self._cooldown_s * 2)
            self._open()
        elif self._state is BreakerState.CLOSED and self._failures >= threshold:
            self._open()
        # OPEN: a late report of an earlier call changes nothing but the count.

    def snapshot(self) -> BreakerSnapshot:
        return BreakerSnapshot(
            state=self._state,
            consecutive_failures=self._failures,
            opened_at=self._opened_at,
            retry_at=self._retry_at,
            cooldown_s=self._cooldown_s,
        )

    def restore(self, snapshot: BreakerSnapshot) -> None:
        """Resume from stored facts. A stored half-open state had its trial lost with the
        process that made it, so one new trial is allowed."""
        self._state = BreakerState(snapshot.state)
        self._failures = max(0, snapshot.consecutive_failures)
        self._opened_at = snapshot.opened_at
        self._retry_at = snapshot.retry_at
        cooldown = snapshot.cooldown_s
        if cooldown is None and snapshot.opened_at is not None and snapshot.retry_at is not None:
            cooldown = snapshot.retry_at - snapshot.opened_at
        if cooldown is None or cooldown <= 0:
            cooldown = self.base_cooldown_s
        self._cooldown_s = min(self.max_cooldown_s, max(self.base_cooldown_s, cooldown))
        self._trial_started = None
        if self._state is BreakerState.CLOSED:
            self._opened_at = None
            self._retry_at = None
        elif self._state is BreakerState.OPEN and self._retry_at is None:
            self._retry_at = self._clock.time()  # incomplete facts: allow a trial now

    def restore_from(
        self,
        *,
        state: BreakerState,
        consecutive_failures: int,
        opened_at: float | None,
        retry_at: float | None,
        cooldown_s: float | None = None,
    ) -> None:
        """`restore()` from the separate facts the `sources` table stores (epoch seconds)."""
        self.restore(BreakerSnapshot(state, consecutive_failures, opened_at, retry_at, cooldown_s))

    def _open(self) -> None:
        now = self._clock.time()
        self._state = BreakerState.OPEN
        self._opened_at = now
        self._retry_at = now + self._cooldown_s
