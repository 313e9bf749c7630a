"""Delivery: group notifications per channel, retry transient failures, keep what failed.

Per channel, the first notification opens a group window; everything submitted to that
channel before it closes goes out as one message. Transient failures are retried with
exponential backoff and jitter; a permanent one marks the channel FAILING (shown to
admins) and it is not tried again until `reset`. Notifications that could not be
delivered are kept in `failed` with the error and logged: nothing is dropped silently.

Time is injected (`clock` in epoch seconds, `sleep`), so tests drive it with `run_once`
and `flush` and never wait.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from alerts.notify.message import (
    Channel,
    DeliveryError,
    Notification,
    make_test_notification,
    parse_lang,
    render_message,
    zone,
)

log = logging.getLogger(__name__)

DEFAULT_TZ = "Europe/Stockholm"


class ChannelState(StrEnum):
    """Whether a channel is being delivered to."""

    OK = "ok"  # delivering (a last error may remain from a transient failure)
    FAILING = "failing"  # failed permanently; not tried again until an admin resets it


@dataclass(frozen=True)
class ChannelStatus:
    """What admins see of a channel. `since_ms`: when it entered `state` (epoch ms)."""

    state: ChannelState
    last_error: str | None
    last_error_ms: int | None
    since_ms: int


@dataclass(frozen=True)
class FailedDelivery:
    """Notifications that did not reach `channel`, and why."""

    channel: str
    notifications: tuple[Notification, ...]
    error: str
    permanent: bool
    attempts: int
    at_ms: int


@dataclass(frozen=True)
class TestResult:
    """The outcome of a test message: `ok`, or the `error` and whether it is permanent."""

    __test__ = False  # not a pytest test class

    ok: bool
    error: str | None = None
    permanent: bool = False


@dataclass
class _Lane:
    channel: Channel
    since_ms: int
    pending: list[Notification] = field(default_factory=list)
    first_at: float | None = None
    state: ChannelState = ChannelState.OK
    last_error: str | None = None
    last_error_ms: int | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def take(self) -> tuple[Notification, ...]:
        batch = tuple(self.pending)
        self.pending.clear()
        self.first_at = None
        return batch


class Dispatcher:
    """Delivers notifications to named channels. Raises `ValueError` for bad settings."""

    def __init__(
        self,
        channels: Mapping[str, Channel],
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        lang: str = "en",
        tz: str = DEFAULT_TZ,
        max_attempts: int = 5,
        base_delay_s: float = 1.0,
        max_delay_s: float = 60.0,
        group_window_s: float = 2.0,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
        if not 0 < base_delay_s <= max_delay_s:
            raise ValueError("delays must satisfy 0 < base_delay_s <= max_delay_s")
        if group_window_s < 0:
            raise ValueError(f"group_window_s must not be negative, not {group_window_s}")
        self.lang = parse_lang(lang)
        zone(tz)
        self.tz = tz
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.group_window_s = group_window_s
        self._clock = clock
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        now = self._now_ms()
        self._lanes = {name: _Lane(channel, since_ms=now) for name, channel in channels.items()}
        self._failed: list[FailedDelivery] = []
        self._running: set[asyncio.Task[bool]] = set()

    @property
    def failed(self) -> list[FailedDelivery]:
        """Undelivered notifications, oldest first (a copy)."""
        return list(self._failed)

    def channel_status(self, name: str) -> ChannelStatus:
        lane = self._lane(name)
        return ChannelStatus(lane.state, lane.last_error, lane.last_error_ms, lane.since_ms)

    def pending(self, name: str) -> tuple[Notification, ...]:
        """Notifications waiting for their group window to close (a copy)."""
        return tuple(self._lane(name).pending)

    def submit(self, channel: str, notification: Notification) -> None:
        """Queue `notification` for `channel`. Raises `KeyError` for an unknown channel.

        A FAILING channel is not tried: the notification goes straight to `failed`.
        """
        lane = self._lane(channel)
        if lane.state is ChannelState.FAILING:
            self._record_failure(channel, (notification,), self._failing_reason(lane), True, 0)
            return
        if not lane.pending:
            lane.first_at = self._clock()
        lane.pending.append(notification)

    def reset(self, name: str, *, requeue: bool = False) -> None:
        """Mark the channel OK again (an admin fixed it). With `requeue`, its entries in
        `failed` are queued again, in order, instead of staying there."""
        lane = self._lane(name)
        if lane.state is not ChannelState.OK:
            lane.state = ChannelState.OK
            lane.since_ms = self._now_ms()
            log.info("notification channel %s reset to ok", name)
        if requeue:
            mine = [f for f in self._failed if f.channel == name]
            self._failed = [f for f in self._failed if f.channel != name]
            for entry in mine:
                for notification in entry.notifications:
                    self.submit(name, notification)

    def next_due_in(self) -> float | None:
        """Seconds until the next group window closes (0 if one is due), None if idle."""
        now = self._clock()
        waits = [
            max(0.0, lane.first_at + self.group_window_s - now)
            for lane in self._lanes.values()
            if lane.first_at is not None and not lane.lock.locked()
        ]
        return min(waits, default=None)

    async def run_once(self) -> int:
        """Deliver every group whose window has closed, retries included; return how many
        messages were delivered. Channels busy with an earlier group are skipped."""
        results = await asyncio.gather(*self._start_due())
        return sum(results)

    async def flush(self) -> int:
        """Deliver everything pending now, windows open or not (tests, shutdown)."""
        delivered = 0
        while any(lane.pending for lane in self._lanes.values()):
            names = [name for name, lane in self._lanes.items() if lane.pending]
            delivered += sum(await asyncio.gather(*(self._drain(n) for n in names)))
        return delivered

    async def run(self, *, tick_s: float = 0.25) -> None:
        """Deliver until cancelled. Each channel's group runs in its own task, so one
        channel's backoff does not hold up the others. A group cut short by cancellation
        is queued again, not lost."""
        try:
            while True:
                for task in self._start_due():
                    self._running.add(task)
                    task.add_done_callback(self._running.discard)
                wait = self.next_due_in()
                await self._sleep(tick_s if wait is None else min(wait, tick_s))
        finally:
            running = list(self._running)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def send_test(self, name: str, *, link: str = "") -> TestResult:
        """Send a test message now, once, without retries; the channel's state is left as
        it is (an admin can check a fix before `reset`)."""
        lane = self._lane(name)
        message = render_message(
            [make_test_notification(self._now_ms(), link=link)], self.lang, self.tz
        )
        try:
            await lane.channel.deliver(message)
        except DeliveryError as err:
            log.warning("test message to %s failed: %s", name, err)
            return TestResult(ok=False, error=str(err), permanent=err.permanent)
        return TestResult(ok=True)

    def _start_due(self) -> list[asyncio.Task[bool]]:
        now = self._clock()
        return [
            asyncio.ensure_future(self._drain(name))
            for name, lane in self._lanes.items()
            if lane.first_at is not None
            and not lane.lock.locked()
            and now - lane.first_at >= self.group_window_s
        ]

    async def _drain(self, name: str) -> bool:
        lane = self._lanes[name]
        async with lane.lock:
            batch = lane.take()
            if not batch:
                return False
            if lane.state is ChannelState.FAILING:
                self._record_failure(name, batch, self._failing_reason(lane), True, 0)
                return False
            try:
                return await self._deliver(name, lane, batch)
            except asyncio.CancelledError:
                lane.pending[:0] = batch
                lane.first_at = lane.first_at if lane.first_at is not None else self._clock()
                raise

    async def _deliver(self, name: str, lane: _Lane, batch: tuple[Notification, ...]) -> bool:
        message = render_message(batch, self.lang, self.tz)
        attempt = 0
        while True:
            attempt += 1
            try:
                await lane.channel.deliver(message)
            except DeliveryError as err:
                lane.last_error, lane.last_error_ms = str(err), self._now_ms()
                if err.permanent:
                    lane.state, lane.since_ms = ChannelState.FAILING, self._now_ms()
                    self._record_failure(name, batch, str(err), True, attempt)
                    return False
                if attempt >= self.max_attempts:
                    self._record_failure(name, batch, str(err), False, attempt)
                    return False
                delay = self._backoff(attempt, err.retry_after_s)
                log.warning(
                    "channel %s: attempt %d failed (%s); retrying in %.1f s",
                    name, attempt, err, delay,
                )  # fmt: skip
                await self._sleep(delay)
            except Exception as exc:  # a channel bug must neither lose the group nor the loop
                log.exception("channel %s raised an unexpected error", name)
                error = f"unexpected error: {type(exc).__name__}: {exc}"
                lane.last_error, lane.last_error_ms = error, self._now_ms()
                lane.state, lane.since_ms = ChannelState.FAILING, self._now_ms()
                self._record_failure(name, batch, error, True, attempt)
                return False
            else:
                log.info("channel %s: delivered %r", name, message.subject)
                return True

    def _backoff(self, attempt: int, retry_after_s: float | None) -> float:
        """Exponential with "equal jitter" (half fixed, half random), at least Retry-After."""
        cap = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        delay = cap / 2 + self._rng.uniform(0.0, cap / 2)
        return max(delay, retry_after_s) if retry_after_s is not None else delay

    def _record_failure(
        self,
        name: str,
        batch: tuple[Notification, ...],
        error: str,
        permanent: bool,
        attempts: int,
    ) -> None:
        self._failed.append(FailedDelivery(name, batch, error, permanent, attempts, self._now_ms()))
        ids = ", ".join(n.alert_id for n in batch)
        log.error(
            "channel %s: %d notification(s) not delivered (alerts %s) after %d attempt(s): %s",
            name, len(batch), ids, attempts, error,
        )  # fmt: skip

    def _failing_reason(self, lane: _Lane) -> str:
        return f"channel failing, not tried: {lane.last_error}"

    def _lane(self, name: str) -> _Lane:
        try:
            return self._lanes[name]
        except KeyError:
            known = ", ".join(sorted(self._lanes)) or "none"
            raise KeyError(f"unknown notification channel {name!r} (known: {known})") from None

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)
