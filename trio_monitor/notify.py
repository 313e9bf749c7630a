"""Notification delivery wired from the settings: the channels, the webhook transport over
the project's HTTP seam, the outbox notifier as the collector's "notify" lease job, and
the test message of ``trio-monitor notify test <channel>``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine

import storage
from alerts.notify import (
    Channel,
    ChannelEnv,
    DeliveryError,
    OutboxNotifier,
    OutboxStatus,
    SmtpServer,
    WebhookTransport,
    classify_status,
    make_test_item,
)
from alerts.notify.webhook import safe_url
from collectors.clock import Clock, SystemClock
from collectors.deadline import Deadline
from collectors.errors import ErrorKind, SourceError
from collectors.http import HttpSeam
from collectors.runner import LEASE_NAME, LeaseJob
from specs.clock import now_ms

from .settings import Settings

log = logging.getLogger(__name__)

JOB_NAME = "notify"
JOB_EVERY_S = 0.25  # with a 0.5 s group window: sent 0.5-0.75 s after queuing
SEAM_NAME = "notify"
# One webhook call, connection and answer included.
WEBHOOK_DEADLINE_S = 15.0
# Errors whose status decides permanence by the webhook rule (the seam's rule differs for
# the rarer 4xx statuses, e.g. 422: a webhook that refuses a payload will refuse it again).
_STATUS_KINDS = frozenset({ErrorKind.HTTP_STATUS, ErrorKind.AUTH, ErrorKind.RATE_LIMITED})
FINISHED = frozenset({OutboxStatus.DELIVERED.value, OutboxStatus.FAILED.value})


class SeamTransport:
    """The project's HTTP seam as a ``WebhookTransport`` (alerts may not import collectors).

    Maps ``SourceError`` to ``DeliveryError``: 4xx but 408/425/429 permanent, the rest
    transient; ``Retry-After`` kept. Messages never hold the URL's path (the secret).
    """

    def __init__(self, seam: HttpSeam, clock: Clock, timeout_s: float = WEBHOOK_DEADLINE_S) -> None:
        self._seam = seam
        self._clock = clock
        _PATH_FILTER.seams.add(seam.name)
        self._timeout_s = timeout_s

    async def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        deadline = Deadline(self._clock, self._timeout_s)
        try:
            response = await self._seam.request(
                "POST", url, deadline=deadline, headers=headers, data=body
            )
        except SourceError as err:
            permanent = err.permanent
            if err.status is not None and err.kind in _STATUS_KINDS:
                classified = classify_status(err.status, "")
                permanent = classified is not None and classified.permanent
            raise DeliveryError(
                _without_secret(str(err), err.url, url),
                permanent=permanent,
                retry_after_s=err.retry_after_s,
            ) from err
        return response.status


def _without_secret(message: str, shown_url: str | None, url: str) -> str:
    """The seam names URLs with their path; a webhook's secret lives there."""
    if shown_url:
        message = message.replace(shown_url, safe_url(url))
    path = urlsplit(url).path
    if len(path) > 1:
        message = message.replace(path, "/…")
    return message


class _WebhookPathFilter(logging.Filter):
    """The seam's debug line names the request's path: cut it for webhook seams."""

    def __init__(self) -> None:
        super().__init__()
        self.seams: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 1 and args[0] in self.seams:
            method, _, url = str(args[1]).partition(" ")
            record.args = (args[0], f"{method} {safe_url(url)}", *args[2:])
        return True


_PATH_FILTER = _WebhookPathFilter()
logging.getLogger("collectors.http").addFilter(_PATH_FILTER)


def build_channels(settings: Settings, transport: WebhookTransport | None) -> dict[str, Channel]:
    """The configured channels by name, each built by its kind (``CHANNEL_KINDS``) from
    what the process lends it. Raises ``ValueError`` for settings that cannot work
    (settings validation catches these first)."""
    env = channel_env(settings, transport)
    return {spec.name: spec.build(env) for spec in settings.notify_channel_specs()}


def channel_env(settings: Settings, transport: WebhookTransport | None) -> ChannelEnv:
    """The SMTP server of the settings and the HTTP transport, for every channel kind."""
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    smtp = SmtpServer(
        settings.smtp_host, settings.smtp_port, settings.smtp_security,
        settings.smtp_username or None, password, settings.smtp_from, settings.smtp_timeout_s,
    )  # fmt: skip
    return ChannelEnv(smtp=smtp, transport=transport)


def delivery_timeout_s(settings: Settings) -> float:
    """How long one message may take: an SMTP exchange is several steps of
    ``smtp_timeout_s`` each; a webhook call is bounded by ``WEBHOOK_DEADLINE_S``."""
    return max(WEBHOOK_DEADLINE_S + 5.0, 3 * settings.smtp_timeout_s)


def notify_job(settings: Settings, engine: Engine, clock: Clock, seam: HttpSeam,
               on_delivered: Callable[[str, Sequence[float]], None] | None = None) -> LeaseJob:
    """The "notify" lease job: delivers the outbox every ``JOB_EVERY_S`` seconds, webhooks
    through ``seam`` (named ``SEAM_NAME``; closed with the job)."""
    channels = build_channels(settings, SeamTransport(seam, clock))
    notifier = OutboxNotifier(
        storage.AlertStore(engine), channels, clock=clock, lang=settings.language.value,
        tz=settings.timezone, group_window_s=settings.notify_group_window_s,
        max_attempts=settings.notify_max_attempts, retry_base_s=settings.notify_retry_base_s,
        retry_max_s=settings.notify_retry_max_s, delivery_timeout_s=delivery_timeout_s(settings),
        lease_name=LEASE_NAME, on_delivered=on_delivered,
    )  # fmt: skip
    return LeaseJob(
        name=JOB_NAME, every_s=JOB_EVERY_S, run=notifier.run, on_activate=notifier.on_activate,
        deadline_s=notifier.max_run_s, aclose=seam.aclose,
    )  # fmt: skip


async def send_test(
    store: storage.AlertStore, channel: str, *, clock: Clock, requested_by: str,
    timeout_s: float, poll_s: float = 0.5, link: str = "",
) -> storage.OutboxRow:
    """Queue a test message for ``channel`` and wait up to ``timeout_s`` for the active
    collector to finish it. Returns the row as last read: ``delivered`` or ``failed``, or
    still ``queued`` (no collector running, or a transient failure being retried: see
    ``attempts``/``last_error``). Raises ``StorageError`` (``StorageUnavailable``: the
    database is down)."""
    queued_ms = now_ms(clock.time)
    item = make_test_item(channel, now_ms=queued_ms, requested_by=requested_by, link=link)
    [row_id] = await asyncio.to_thread(store.enqueue, [item], now_ms=queued_ms)
    deadline = Deadline(clock, timeout_s)
    while True:
        row = await asyncio.to_thread(store.outbox_row, row_id)
        if row is None:  # deleted meanwhile (retention): nothing left to wait for
            raise storage.StorageError(f"outbox row {row_id} disappeared")
        if row.status in FINISHED or deadline.expired:
            return row
        await clock.sleep(min(poll_s, deadline.remaining()))


def notify_test_command(settings: Settings, channel: str, timeout_s: float) -> int:
    """``trio-monitor notify test <channel>``: print the outcome; the exit status is 0 when
    delivered, 1 when it failed or was not delivered in time, 2 for an unknown channel."""
    from .wiring import make_engine

    names = [spec.name for spec in settings.notify_channel_specs()]
    if channel not in names:
        known = ", ".join(names) or "none configured in TRIO_MONITOR_NOTIFY_CHANNELS"
        print(f"trio-monitor: unknown channel {channel!r} (known: {known})", file=sys.stderr)
        return 2
    engine = make_engine(settings)
    try:
        row = asyncio.run(send_test(
            storage.AlertStore(engine), channel, clock=SystemClock(), requested_by="cli",
            timeout_s=timeout_s, link=f"{settings.public_base_url}/alerts",
        ))  # fmt: skip
    except storage.StorageUnavailable as exc:
        print(f"trio-monitor: database unavailable: {exc}", file=sys.stderr)
        return 1
    except storage.StorageError as exc:
        print(f"trio-monitor: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(describe_test_outcome(row, channel, timeout_s), file=sys.stdout if
          row.status == OutboxStatus.DELIVERED else sys.stderr)  # fmt: skip
    return 0 if row.status == OutboxStatus.DELIVERED else 1


def describe_test_outcome(row: storage.OutboxRow, channel: str, timeout_s: float) -> str:
    if row.status == OutboxStatus.DELIVERED:
        return f"test message to {channel} delivered (attempt {row.attempts})"
    if row.status == OutboxStatus.FAILED:
        return f"test message to {channel} failed: {row.last_error}"
    if row.attempts:
        return (f"test message to {channel} not delivered within {timeout_s:g} s: attempt "
                f"{row.attempts} failed ({row.last_error}); it will be tried again")  # fmt: skip
    return (f"no collector sent the test message within {timeout_s:g} s: is one running "
            f"(trio-monitor collect)? It stays queued (outbox row {row.id}).")  # fmt: skip
