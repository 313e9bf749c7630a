"""Delivery from the durable outbox: the collector's lease holder sends what is queued.

Notifications are rows of ``notify_outbox``, written in the transaction that changed an
alert's state (or by the web app: test messages). Every ``run`` claims the due rows per
channel (storage holds a channel's rows back until its oldest has waited the group
window, so alerts firing together go out as one message), sends one message per channel,
all channels at once, each within ``delivery_timeout_s``, and records every outcome:

- delivered: the rows are ``delivered``, the channel ``ok``;
- transient failure (timeout, 5xx, 429, refused connection): the rows are queued again
  with exponential backoff and jitter, never sooner than a ``Retry-After``; a row that
  used up ``max_attempts`` is ``failed`` and the channel ``failing``;
- permanent failure (4xx, refused recipient or login): the rows are ``failed`` and the
  channel ``failing`` with the error, for admins to see;
- a row for a channel no longer configured, or whose payload cannot be read: ``failed``.

A ``failing`` channel is still tried on the normal schedule: its next success (a test
message from the alerts page is the usual one) makes it ``ok`` again, and while it
fails every row stays visible as ``failed`` with the error. Nothing is dropped
silently: every failure is logged with the channel, alert ids, attempt and error.

Rows are claimed (``sending``) before a message goes out. Rows a collector left
``sending`` (it stopped mid-delivery) become ``failed`` at the next takeover: at most
once, visibly. A timeout is the exception: the receiver may have accepted the message
without answering in time, and it is retried, so it may arrive twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from functools import partial

from alerts.notify.kinds import channel_kind
from alerts.notify.message import (
    Channel,
    DeliveryError,
    Message,
    Notification,
    NotificationKind,
    from_payload,
    make_test_notification,
    parse_lang,
    render_message,
    to_payload,
    zone,
)
from specs.clock import Timer as Clock
from specs.clock import now_ms
from specs.lease import COLLECTOR_LEASE
from storage import AlertStore, OutboxItem, OutboxRow, StorageError, StorageUnavailable

log = logging.getLogger(__name__)

DEFAULT_TZ = "Europe/Stockholm"
DEFAULT_DELIVERY_TIMEOUT_S = 20.0
DEFAULT_LEASE_NAME = COLLECTOR_LEASE
NOT_CONFIGURED = "channel not configured (removed from TRIO_MONITOR_NOTIFY_CHANNELS?)"
INTERRUPTED = "interrupted during delivery; it may or may not have arrived"


class ChannelState(StrEnum):
    """Whether a channel's deliveries succeed (stored in ``notify_channels``)."""

    OK = "ok"  # its last delivery succeeded (or it has not been used yet)
    FAILING = "failing"  # notifications failed for good; its last error says why


class OutboxStatus(StrEnum):
    """Where an outbox row is on its way (stored in ``notify_outbox``)."""

    QUEUED = "queued"  # waiting for its due time (first try, or a retry after backoff)
    SENDING = "sending"  # claimed by the notifier; a message is on its way
    DELIVERED = "delivered"  # the receiver accepted it
    FAILED = "failed"  # given up: permanent error, attempts used up, or interrupted


Write = Callable[[], None]  # one storage write, kept until it succeeds


def make_test_item(
    channel: str, *, now_ms: int, requested_by: str | None, link: str = ""
) -> OutboxItem:
    """The outbox row of a "send test message" request (web app, CLI)."""
    payload = to_payload(make_test_notification(now_ms, link=link))
    return OutboxItem(
        channel=channel,
        kind=NotificationKind.TEST.value,
        alert_id=None,
        payload=payload,
        due_at_ms=now_ms,
        requested_by=requested_by,
    )


class OutboxNotifier:
    """Sends the outbox's due rows to their channels: the collector's "notify" lease job.

    Raises ``ValueError`` for settings that can never work (unknown language or time
    zone, no attempts, delays out of order).
    """

    def __init__(
        self,
        store: AlertStore,
        channels: Mapping[str, Channel],
        *,
        clock: Clock,
        lang: str = "en",
        tz: str = DEFAULT_TZ,
        group_window_s: float = 2.0,
        max_attempts: int = 5,
        retry_base_s: float = 2.0,
        retry_max_s: float = 60.0,
        delivery_timeout_s: float = DEFAULT_DELIVERY_TIMEOUT_S,
        lease_name: str = DEFAULT_LEASE_NAME,
        rng: random.Random | None = None,
        on_delivered: Callable[[str, Sequence[float]], None] | None = None,
    ) -> None:
        """``on_delivered(channel, latencies_s)``: after each delivery, the seconds each of
        its rows waited since it was queued (the process's own metrics)."""
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
        if not 0 < retry_base_s <= retry_max_s:
            raise ValueError("retry delays must satisfy 0 < retry_base_s <= retry_max_s")
        if group_window_s < 0 or delivery_timeout_s <= 0:
            raise ValueError("group_window_s must be >= 0 and delivery_timeout_s > 0")
        self.store = store
        self.channels = dict(channels)
        self.lang = parse_lang(lang).value
        zone(tz)
        self.tz = tz
        self.group_window_ms = round(group_window_s * 1000)
        self.max_attempts = max_attempts
        self.retry_base_s = retry_base_s
        self.retry_max_s = retry_max_s
        self.delivery_timeout_s = delivery_timeout_s
        self.lease_name = lease_name
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._on_delivered = on_delivered
        self._unwritten: list[Write] = []  # outcomes not yet stored (database was down)
        self._lock = asyncio.Lock()

    @property
    def max_run_s(self) -> float:
        """An upper bound of one ``run`` (alert and test messages of a channel go out one
        after the other), for the lease job's deadline."""
        return 2 * self.delivery_timeout_s + 10.0

    async def on_activate(self, token: int) -> None:
        """After a takeover: store outcomes still unwritten, make the channel table match
        the configuration, and fail the rows a stopped collector left ``sending``."""
        async with self._lock:
            await asyncio.to_thread(self._flush_writes)
            configured = [(name, channel_kind(ch)) for name, ch in self.channels.items()]
            await asyncio.to_thread(self.store.sync_channels, configured, now_ms=self._now_ms())
            count = await asyncio.to_thread(self.store.recover_interrupted, now_ms=self._now_ms())
            if count:
                log.warning(
                    "%d notification(s) were interrupted during delivery by a stopped "
                    "collector and are marked failed: %s",
                    count,
                    INTERRUPTED,
                )

    async def run(self, token: int) -> None:
        """Claim what is due, deliver it per channel, store the outcomes.

        Raises ``LeaseLost`` or ``StorageUnavailable`` from the claim (nothing claimed) or
        from storing outcomes (kept and stored first on the next run).
        """
        async with self._lock:
            await asyncio.to_thread(self._flush_writes)
            claim = asyncio.ensure_future(
                asyncio.to_thread(
                    self.store.claim_due,
                    now_ms=self._now_ms(),
                    group_window_ms=self.group_window_ms,
                    lease_name=self.lease_name,
                    lease_token=token,
                )
            )
            try:
                claimed = await asyncio.shield(claim)
            except asyncio.CancelledError:
                # The claim still commits in its thread: what it claims is not sent now.
                claim.add_done_callback(self._claimed_in_vain)
                raise
            if not claimed:
                return
            await self._deliver_all(claimed)
            await asyncio.to_thread(self._flush_writes)

    async def _deliver_all(self, claimed: Mapping[str, list[OutboxRow]]) -> None:
        settled: set[int] = set()
        tasks = [
            asyncio.ensure_future(self._deliver_channel(name, rows, settled))
            for name, rows in claimed.items()
        ]
        try:
            await asyncio.gather(*tasks)
        except asyncio.CancelledError:
            # Cut short (the job's deadline, shutdown): whatever is unsettled is marked
            # interrupted now rather than staying "sending" until the next takeover.
            for task in tasks:
                task.cancel()
            left = [row.id for rows in claimed.values() for row in rows if row.id not in settled]
            if left:
                log.error(
                    "delivery of %d notification(s) was cut short: %s", len(left), INTERRUPTED
                )
                self._finish(left, OutboxStatus.FAILED, INTERRUPTED)
            raise

    async def _deliver_channel(self, name: str, rows: list[OutboxRow], settled: set[int]) -> None:
        channel = self.channels.get(name)
        if channel is None:
            log.error(
                "channel %s: %d notification(s) not delivered (alerts %s) at attempt %d: %s",
                name,
                len(rows),
                _alert_ids(rows),
                _attempt_of(rows),
                NOT_CONFIGURED,
            )
            self._settle(settled, rows, OutboxStatus.FAILED, NOT_CONFIGURED)
            return
        readable: list[tuple[OutboxRow, Notification]] = []
        for row in rows:
            try:
                readable.append((row, self._read(row)))
            except (ValueError, KeyError, TypeError, OverflowError, OSError) as exc:
                error = f"malformed notification payload: {type(exc).__name__}: {exc}"
                log.error(
                    "channel %s: outbox row %d (alert %s) not delivered at attempt %d: %s",
                    name,
                    row.id,
                    row.alert_id or "-",
                    row.attempts,
                    error,
                )
                self._settle(settled, [row], OutboxStatus.FAILED, error)
        for batch in _batches(readable):
            await self._deliver_batch(name, channel, batch, settled)

    def _read(self, row: OutboxRow) -> Notification:
        """The row's notification, checked to render (a bad time or value fails here)."""
        notification = from_payload(row.payload)
        render_message([notification], self.lang, self.tz)
        return notification

    async def _deliver_batch(
        self,
        name: str,
        channel: Channel,
        batch: list[tuple[OutboxRow, Notification]],
        settled: set[int],
    ) -> None:
        rows = [row for row, _ in batch]
        message = render_message([n for _, n in batch], self.lang, self.tz)
        error = await self._attempt(name, channel, message)
        if error is None:
            log.info(
                "channel %s: delivered %r (%d notification(s), alerts %s, attempt %d)",
                name,
                message.subject,
                len(rows),
                _alert_ids(rows),
                _attempt_of(rows),
            )
            self._settle(settled, rows, OutboxStatus.DELIVERED, None)
            if self._on_delivered is not None:
                now_ms = self._now_ms()
                self._on_delivered(name, [(now_ms - row.created_at_ms) / 1000 for row in rows])
            self._unwritten.append(
                partial(
                    self.store.set_channel_state,
                    name,
                    state=ChannelState.OK.value,
                    error=None,
                    now_ms=self._now_ms(),
                )
            )
        elif error.permanent:
            self._give_up(name, rows, str(error), settled)
        else:
            self._retry_or_give_up(name, rows, error, settled)

    async def _attempt(self, name: str, channel: Channel, message: Message) -> DeliveryError | None:
        """Deliver within the deadline; every failure comes back as a ``DeliveryError``."""
        bound = asyncio.timeout(self.delivery_timeout_s)
        try:
            async with bound:
                await channel.deliver(message)
        except DeliveryError as err:
            return err
        except Exception as exc:  # a channel bug must neither lose the rows nor the others
            if isinstance(exc, TimeoutError) and bound.expired():
                return DeliveryError(
                    f"no answer within {self.delivery_timeout_s:g} s", permanent=False
                )
            log.exception("channel %s raised an unexpected error", name)
            return DeliveryError(f"unexpected error: {type(exc).__name__}: {exc}", permanent=True)
        return None

    def _retry_or_give_up(
        self, name: str, rows: list[OutboxRow], error: DeliveryError, settled: set[int]
    ) -> None:
        spent = [row for row in rows if row.attempts >= self.max_attempts]
        again = [row for row in rows if row.attempts < self.max_attempts]
        if spent:
            self._give_up(
                name, spent, f"{error} (gave up after {self.max_attempts} attempts)", settled
            )
        if again:
            attempt = max(row.attempts for row in again)
            delay = self._backoff(attempt, error.retry_after_s)
            log.warning(
                "channel %s: attempt %d for alerts %s failed: %s; retrying in %.1f s",
                name,
                attempt,
                _alert_ids(again),
                error,
                delay,
            )
            retry_at = self._now_ms() + round(delay * 1000)
            self._settle(settled, again, OutboxStatus.QUEUED, str(error), retry_at_ms=retry_at)

    def _give_up(self, name: str, rows: list[OutboxRow], error: str, settled: set[int]) -> None:
        log.error(
            "channel %s: %d notification(s) not delivered (alerts %s) after attempt %d: %s",
            name,
            len(rows),
            _alert_ids(rows),
            _attempt_of(rows),
            error,
        )
        self._settle(settled, rows, OutboxStatus.FAILED, error)
        self._unwritten.append(
            partial(
                self.store.set_channel_state,
                name,
                state=ChannelState.FAILING.value,
                error=error,
                now_ms=self._now_ms(),
            )
        )

    def _backoff(self, attempt: int, retry_after_s: float | None) -> float:
        """Exponential with "equal jitter" (half fixed, half random), at least Retry-After."""
        cap = min(self.retry_max_s, self.retry_base_s * 2 ** (attempt - 1))
        delay = cap / 2 + self._rng.uniform(0.0, cap / 2)
        return max(delay, retry_after_s) if retry_after_s is not None else delay

    def _settle(
        self,
        settled: set[int],
        rows: Sequence[OutboxRow],
        status: OutboxStatus,
        error: str | None,
        *,
        retry_at_ms: int | None = None,
    ) -> None:
        settled.update(row.id for row in rows)
        self._finish([row.id for row in rows], status, error, retry_at_ms)

    def _finish(
        self,
        ids: list[int],
        status: OutboxStatus,
        error: str | None,
        retry_at_ms: int | None = None,
    ) -> None:
        self._unwritten.append(
            partial(
                self.store.finish,
                ids,
                status=status.value,
                error=error,
                now_ms=self._now_ms(),
                retry_at_ms=retry_at_ms,
            )
        )

    def _claimed_in_vain(self, claim: asyncio.Future[dict[str, list[OutboxRow]]]) -> None:
        if claim.cancelled() or claim.exception() is not None:
            return
        ids = [row.id for rows in claim.result().values() for row in rows]
        if ids:
            log.error(
                "%d notification(s) claimed as the delivery was cut short: %s",
                len(ids),
                INTERRUPTED,
            )
            self._finish(ids, OutboxStatus.FAILED, INTERRUPTED)

    def _flush_writes(self) -> None:
        """Store the recorded outcomes in order. While the database is unavailable they
        stay for the next call; one storage refuses (a bug) is logged and dropped, so it
        cannot hold up the others."""
        while self._unwritten:
            try:
                self._unwritten[0]()
            except StorageUnavailable:
                raise
            except (StorageError, ValueError):
                log.exception("cannot store a notification outcome; it is dropped")
            self._unwritten.pop(0)

    def _now_ms(self) -> int:
        return now_ms(self._clock.time)


def _batches(
    readable: list[tuple[OutboxRow, Notification]],
) -> list[list[tuple[OutboxRow, Notification]]]:
    """Alerts in one message, test messages in another (a test is judged on its own)."""
    alerts = [pair for pair in readable if pair[1].kind is not NotificationKind.TEST]
    tests = [pair for pair in readable if pair[1].kind is NotificationKind.TEST]
    return [batch for batch in (alerts, tests) if batch]


def _alert_ids(rows: Sequence[OutboxRow]) -> str:
    return ", ".join(row.alert_id or f"{row.kind} #{row.id}" for row in rows)


def _attempt_of(rows: Sequence[OutboxRow]) -> int:
    return max((row.attempts for row in rows), default=0)
