"""Delivery from the outbox: a real database (SQLite and PostgreSQL), a real SMTP server and
a real webhook receiver on loopback, virtual time from a manual clock (nothing sleeps on it)."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from sqlalchemy import make_url
from sqlalchemy.engine import Engine

import storage
from alerts.notify import (
    ChannelState,
    EmailChannel,
    Message,
    Notification,
    NotificationKind,
    OutboxNotifier,
    Severity,
    WebhookChannel,
    make_test_item,
    to_payload,
)
from alerts.notify.outbox import INTERRUPTED, NOT_CONFIGURED
from collectors.clock import ManualClock, SystemClock
from collectors.runner import LEASE_NAME, Collector
from storage import make_engine
from tests.fixtures.notify import Inbox, Receiver
from trio_monitor import cli, wiring
from trio_monitor.notify import FINISHED, SeamTransport, describe_test_outcome, send_test
from trio_monitor.settings import load_settings

TZ = "Europe/Stockholm"
SENDER = "monitor@example.se"
TEAM = ["ops@example.se", "chef@example.se"]
WINDOW_S = 2.0
# Real-time bound of waits on a running collector (loopback deliveries take milliseconds).
SETTLE_S = 15.0


@dataclass
class World:
    """The outbox of a test database, and the lease token of the collector delivering it."""

    store: storage.AlertStore
    clock: ManualClock
    token: int

    @property
    def now_ms(self) -> int:
        return int(self.clock.time() * 1000)

    def queue(self, channel: str, *alerts: int, kind: str = "firing") -> list[int]:
        items = [
            storage.OutboxItem(channel, kind, f"a{i}", to_payload(note(i, self)), self.now_ms)
            for i in alerts
        ]
        return self.store.enqueue(items, now_ms=self.now_ms)

    def row(self, row_id: int) -> storage.OutboxRow:
        row = self.store.outbox_row(row_id)
        assert row is not None
        return row

    def statuses(self, ids: list[int]) -> list[str]:
        return [self.row(i).status for i in ids]

    def channel(self, name: str) -> storage.ChannelRow:
        [row] = [c for c in self.store.channels() if c.name == name]
        return row


@pytest.fixture
def world(engine: Engine, clock: ManualClock) -> World:
    now_ms = int(clock.time() * 1000)
    token = storage.Store(engine).acquire_lease(LEASE_NAME, "test", 3_600_000, now_ms)
    assert token is not None
    return World(storage.AlertStore(engine), clock, token)


def note(i: int, world: World, **changes: Any) -> Notification:
    fields: dict[str, Any] = {
        "alert_id": f"a{i}",
        "rule_name": "Longest wait",
        "severity": Severity.CRITICAL,
        "kind": NotificationKind.FIRING,
        "entity": f"Queue {i}",
        "value": 21.0 + i,
        "threshold": 20.0,
        "unit": "s",
        "since_ms": world.now_ms,
        "link": f"https://monitor.example.se/alerts?q={i}",
    }
    fields.update(changes)
    return Notification(**fields)


def mail(inbox: Inbox, **changes: Any) -> EmailChannel:
    settings: dict[str, Any] = {
        "host": inbox.host,
        "port": inbox.port,
        "security": "none",
        "username": None,
        "password": None,
        "sender": SENDER,
        "recipients": TEAM,
        "timeout_s": 5.0,
    }
    return EmailChannel(**{**settings, **changes})


async def make(world: World, channels: dict[str, Any], **kwargs: Any) -> OutboxNotifier:
    """A notifier that has just taken over (channels synced)."""
    options: dict[str, Any] = {
        "clock": world.clock,
        "tz": TZ,
        "group_window_s": WINDOW_S,
        "retry_base_s": 2.0,
        "retry_max_s": 60.0,
        "rng": random.Random(7),
    }
    notifier = OutboxNotifier(world.store, channels, **{**options, **kwargs})
    await notifier.on_activate(world.token)
    return notifier


class Stalled:
    """A channel that accepts the call and never answers (until the test is over)."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()

    async def deliver(self, message: Message) -> None:
        self.entered.set()
        await asyncio.Event().wait()


# -- delivery -------------------------------------------------------------------------------


async def test_it_delivers_a_firing_row_by_email_and_webhook(
    world: World, inbox: Inbox, receiver: Receiver, transport: SeamTransport
) -> None:
    hook = WebhookChannel(receiver.url, "json", transport)
    notifier = await make(world, {"mail": mail(inbox), "hook": hook})
    ids = world.queue("mail", 1) + world.queue("hook", 1)
    world.clock.advance(WINDOW_S)

    await notifier.run(world.token)

    assert world.statuses(ids) == ["delivered", "delivered"]
    assert [world.row(i).attempts for i in ids] == [1, 1]
    [email] = inbox.messages
    assert email.rcpt_tos == TEAM
    assert email.message["Subject"] == "[CRITICAL] 1 alert firing: Longest wait (Queue 1)"
    [doc] = receiver.posts
    assert doc["notifications"][0]["alert_id"] == "a1" and doc["count"] == 1
    for name in ("mail", "hook"):
        channel = world.channel(name)
        assert channel.state == ChannelState.OK and channel.last_ok_at_ms == world.now_ms
    assert {c.name: c.kind for c in world.store.channels()} == {"hook": "webhook", "mail": "email"}


@pytest.mark.parametrize("fmt", ["teams", "slack"])
async def test_it_posts_teams_and_slack_messages(
    world: World, receiver: Receiver, transport: SeamTransport, fmt: str
) -> None:
    notifier = await make(world, {"chat": WebhookChannel(receiver.url, fmt, transport)})
    world.queue("chat", 1, 2)
    world.clock.advance(WINDOW_S)

    await notifier.run(world.token)

    [doc] = receiver.posts
    if fmt == "teams":
        card = doc["attachments"][0]["content"]
        assert card["type"] == "AdaptiveCard"
        assert doc["summary"].startswith("[CRITICAL] 2 alerts firing")
        assert sum(block["type"] == "FactSet" for block in card["body"]) == 2
    else:
        assert doc["text"].startswith("[CRITICAL] 2 alerts firing")
        assert [block["type"] for block in doc["blocks"]] == ["header", "section", "section"]


async def test_it_groups_rows_of_one_window_into_one_message_sent_when_it_closes(
    world: World, receiver: Receiver, transport: SeamTransport
) -> None:
    receiver.clock = world.clock
    notifier = await make(world, {"hook": WebhookChannel(receiver.url, "json", transport)})
    first_at = world.clock.time()
    ids: list[int] = []
    for i in range(3):
        ids += world.queue("hook", i)
        world.clock.advance(0.5)
    world.clock.advance(0.4)  # 1.9 s after the first: the window is still open

    await notifier.run(world.token)
    assert receiver.posts == [] and world.statuses(ids) == ["queued"] * 3

    world.clock.advance(0.1)
    await notifier.run(world.token)

    [doc] = receiver.posts
    assert doc["count"] == 3
    assert [n["alert_id"] for n in doc["notifications"]] == ["a0", "a1", "a2"]
    assert receiver.at == [first_at + WINDOW_S]  # sent as the window closed, not before
    assert world.statuses(ids) == ["delivered"] * 3


async def test_it_sends_a_test_message_at_once_in_the_site_language(
    world: World, inbox: Inbox
) -> None:
    notifier = await make(world, {"mail": mail(inbox)}, lang="sv")
    item = make_test_item(
        "mail", now_ms=world.now_ms, requested_by="admin", link="https://monitor.example.se/alerts"
    )
    [row_id] = world.store.enqueue([item], now_ms=world.now_ms)

    await notifier.run(world.token)  # no group window for a test

    assert world.row(row_id).status == "delivered"
    [email] = inbox.messages
    assert email.message["Subject"] == "Trio Monitor: testmeddelande"
    assert "Det här är ett testmeddelande" in email.message.get_content()


async def test_it_sends_a_test_message_apart_from_alerts_queued_with_it(
    world: World, receiver: Receiver, transport: SeamTransport
) -> None:
    notifier = await make(world, {"hook": WebhookChannel(receiver.url, "json", transport)})
    alert_ids = world.queue("hook", 1)
    [test_id] = world.store.enqueue(
        [make_test_item("hook", now_ms=world.now_ms, requested_by="admin")], now_ms=world.now_ms
    )

    await notifier.run(world.token)

    assert [doc["notifications"][0]["kind"] for doc in receiver.posts] == ["firing", "test"]
    assert world.statuses([*alert_ids, test_id]) == ["delivered", "delivered"]


# -- failures -------------------------------------------------------------------------------


async def test_it_retries_a_receiver_failing_503_twice_and_delivers_once(
    world: World, receiver: Receiver, transport: SeamTransport
) -> None:
    receiver.script = [503, 503]
    notifier = await make(world, {"hook": WebhookChannel(receiver.url, "json", transport)})
    [row_id] = world.queue("hook", 1)
    world.clock.advance(WINDOW_S)

    await notifier.run(world.token)
    row = world.row(row_id)
    assert row.status == "queued" and row.attempts == 1 and "HTTP 503" in (row.last_error or "")
    # Equal jitter: between half and all of base * 2^(attempt - 1).
    assert world.now_ms + 1000 <= row.due_at_ms <= world.now_ms + 2000

    await notifier.run(world.token)  # not due yet: nothing is sent
    assert receiver.calls == 1

    for expected_attempts in (2, 3):
        world.clock.advance((world.row(row_id).due_at_ms - world.now_ms) / 1000)
        await notifier.run(world.token)
        assert world.row(row_id).attempts == expected_attempts

    row = world.row(row_id)
    assert row.status == "delivered" and row.attempts == 3
    assert len(receiver.posts) == 1 and receiver.calls == 3
    assert world.channel("hook").state == ChannelState.OK


async def test_it_waits_at_least_what_retry_after_asks(
    world: World, receiver: Receiver, transport: SeamTransport
) -> None:
    receiver.script, receiver.retry_after = [429], "30"
    notifier = await make(world, {"hook": WebhookChannel(receiver.url, "json", transport)})
    [row_id] = world.queue("hook", 1)
    world.clock.advance(WINDOW_S)

    await notifier.run(world.token)

    assert world.row(row_id).due_at_ms == world.now_ms + 30_000


async def test_it_gives_up_after_the_last_attempt_and_marks_the_channel_failing(
    world: World, receiver: Receiver, transport: SeamTransport, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.script = [502, 504]
    hook = WebhookChannel(receiver.url, "json", transport)
    notifier = await make(world, {"hook": hook}, max_attempts=2)
    [row_id] = world.queue("hook", 7)
    world.clock.advance(WINDOW_S)

    with caplog.at_level(logging.WARNING, logger="alerts.notify.outbox"):
        await notifier.run(world.token)
        world.clock.advance(60.0)
        await notifier.run(world.token)

    row = world.row(row_id)
    assert row.status == "failed" and row.attempts == 2
    assert row.last_error is not None and "HTTP 504" in row.last_error
    assert "gave up after 2 attempts" in row.last_error
    channel = world.channel("hook")
    assert channel.state == ChannelState.FAILING and channel.last_error == row.last_error
    assert "channel hook: attempt 1 for alerts a7 failed: HTTP 502" in caplog.text
    assert "not delivered (alerts a7) after attempt 2" in caplog.text
    assert "s3cr3t" not in caplog.text


async def test_it_fails_rows_and_the_channel_on_a_404_until_a_test_succeeds(
    world: World, receiver: Receiver, transport: SeamTransport, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.script = [404, 404]
    notifier = await make(world, {"hook": WebhookChannel(receiver.url, "slack", transport)})
    ids = world.queue("hook", 1, 2)
    world.clock.advance(WINDOW_S)

    with caplog.at_level(logging.ERROR, logger="alerts.notify.outbox"):
        await notifier.run(world.token)

    error = f"HTTP 404 from POST {receiver.base}/…: invalid_payload"
    assert [(r.status, r.attempts, r.last_error) for r in map(world.row, ids)] == [
        ("failed", 1, error),
        ("failed", 1, error),
    ]
    channel = world.channel("hook")
    assert channel.state == ChannelState.FAILING
    assert channel.last_error == error and channel.last_error_at_ms == world.now_ms
    assert "channel hook: 2 notification(s) not delivered (alerts a1, a2)" in caplog.text
    assert "s3cr3t" not in caplog.text

    # A failing channel is still tried: its rows fail visibly while the receiver is wrong...
    later = world.queue("hook", 3)
    world.clock.advance(WINDOW_S)
    await notifier.run(world.token)
    assert world.statuses(later) == ["failed"]
    failing_since = world.channel("hook").state_since_ms

    # ...and once it is fixed, a test message shows it works again.
    world.store.enqueue(
        [make_test_item("hook", now_ms=world.now_ms, requested_by="admin")], now_ms=world.now_ms
    )
    world.clock.advance(5.0)
    await notifier.run(world.token)
    channel = world.channel("hook")
    assert channel.state == ChannelState.OK and channel.state_since_ms > failing_since
    assert channel.last_error == error  # kept for display
    assert len(receiver.posts) == 1


async def test_it_reports_a_recipient_refused_by_smtp_as_permanent(
    world: World, inbox: Inbox
) -> None:
    inbox.refuse_rcpt = {"chef@example.se": "550 5.1.1 no such user"}
    notifier = await make(world, {"mail": mail(inbox)})
    [row_id] = world.queue("mail", 1)
    world.clock.advance(WINDOW_S)

    await notifier.run(world.token)

    row = world.row(row_id)
    assert row.status == "failed" and row.attempts == 1
    assert row.last_error is not None
    assert "chef@example.se: 550 5.1.1 no such user" in row.last_error
    assert "delivered to ops@example.se" in row.last_error
    assert world.channel("mail").state == ChannelState.FAILING
    assert len(inbox.messages) == 1  # ops got it; it is not sent again


async def test_it_fails_rows_of_a_channel_no_longer_configured(world: World, inbox: Inbox) -> None:
    old = await make(world, {"mail": mail(inbox), "pager": mail(inbox)})
    kept, gone = world.queue("mail", 1), world.queue("pager", 2)
    world.clock.advance(WINDOW_S)

    notifier = await make(world, {"mail": mail(inbox)})  # "pager" removed from the settings
    await notifier.run(world.token)

    assert world.statuses(kept) == ["delivered"]
    assert (world.row(gone[0]).status, world.row(gone[0]).last_error) == ("failed", NOT_CONFIGURED)
    assert [c.name for c in world.store.channels()] == ["mail"]
    assert old.channels.keys() == {"mail", "pager"}


async def test_it_fails_a_malformed_row_and_delivers_the_rest(
    world: World, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = await make(world, {"mail": mail(inbox)})
    good = world.queue("mail", 1)
    payload = {**to_payload(note(2, world)), "severity": "catastrophic"}
    [bad] = world.store.enqueue(
        [storage.OutboxItem("mail", "firing", "a2", payload, world.now_ms)], now_ms=world.now_ms
    )
    world.clock.advance(WINDOW_S)

    with caplog.at_level(logging.ERROR, logger="alerts.notify.outbox"):
        await notifier.run(world.token)

    assert world.statuses(good) == ["delivered"]
    row = world.row(bad)
    assert row.status == "failed"
    assert row.last_error == (
        "malformed notification payload: ValueError: 'catastrophic' is not a valid Severity"
    )
    assert f"outbox row {bad} (alert a2) not delivered" in caplog.text
    assert "Queue 2" not in inbox.messages[0].message.get_content()


async def test_it_bounds_a_receiver_that_hangs_by_its_timeout(
    world: World, receiver: Receiver, transport: SeamTransport
) -> None:
    receiver.delay_s = 30.0  # over the seam's 0.5 s read timeout
    notifier = await make(world, {"hook": WebhookChannel(receiver.url, "json", transport)})
    [row_id] = world.queue("hook", 1)
    world.clock.advance(WINDOW_S)
    started = time.monotonic()

    await asyncio.wait_for(notifier.run(world.token), timeout=SETTLE_S)

    assert time.monotonic() - started < SETTLE_S
    row = world.row(row_id)
    assert row.status == "queued" and "no response within 0.5 s" in (row.last_error or "")


async def test_it_bounds_a_channel_that_never_answers_by_its_delivery_timeout(
    world: World,
) -> None:
    notifier = await make(world, {"stuck": Stalled()}, delivery_timeout_s=0.2)
    [row_id] = world.queue("stuck", 1)
    world.clock.advance(WINDOW_S)

    await asyncio.wait_for(notifier.run(world.token), timeout=SETTLE_S)

    row = world.row(row_id)
    assert (row.status, row.last_error) == ("queued", "no answer within 0.2 s")


async def test_it_marks_a_delivery_cut_short_interrupted_at_once(world: World) -> None:
    stalled = Stalled()
    notifier = await make(world, {"stuck": stalled})
    [row_id] = world.queue("stuck", 1)
    world.clock.advance(WINDOW_S)
    run = asyncio.ensure_future(notifier.run(world.token))
    await asyncio.wait_for(stalled.entered.wait(), timeout=SETTLE_S)

    run.cancel()  # the lease job's deadline, or shutdown
    with pytest.raises(asyncio.CancelledError):
        await run
    assert world.row(row_id).status == "sending"  # the outcome is written by the next run...

    await notifier.run(world.token)
    assert (world.row(row_id).status, world.row(row_id).last_error) == ("failed", INTERRUPTED)


async def test_it_fails_rows_a_stopped_collector_left_sending_at_takeover(
    world: World, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    ids = world.queue("mail", 1, 2)
    world.clock.advance(WINDOW_S)
    claimed = world.store.claim_due(
        now_ms=world.now_ms, group_window_ms=2000, lease_name=LEASE_NAME, lease_token=world.token
    )
    assert [r.id for r in claimed["mail"]] == ids  # ...and then that collector stopped

    with caplog.at_level(logging.WARNING, logger="alerts.notify.outbox"):
        notifier = await make(world, {"mail": mail(inbox)})
    await notifier.run(world.token)

    assert [(world.row(i).status, world.row(i).last_error) for i in ids] == [
        ("failed", INTERRUPTED),
        ("failed", INTERRUPTED),
    ]
    assert inbox.messages == []  # at most once: never sent twice
    assert "2 notification(s) were interrupted" in caplog.text


async def test_it_turns_a_channel_bug_into_a_visible_failure(world: World) -> None:
    class Broken:
        async def deliver(self, message: Message) -> None:
            raise RuntimeError("template missing")

    notifier = await make(world, {"broken": Broken()})
    [row_id] = world.queue("broken", 1)
    world.clock.advance(WINDOW_S)

    await notifier.run(world.token)

    row = world.row(row_id)
    assert row.status == "failed"
    assert row.last_error == "unexpected error: RuntimeError: template missing"
    assert world.channel("broken").state == ChannelState.FAILING


class LockingChannel:
    """Accepts every message, then has another connection lock the outbox for writes (the
    database becoming unavailable right after a delivery)."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.delivered = 0
        self.lock: Any = None

    async def deliver(self, message: Message) -> None:
        self.delivered += 1
        url = make_url(self.db_url)
        if url.get_backend_name() == "sqlite":
            self.lock = sqlite3.connect(url.database or "", isolation_level=None)
            self.lock.execute("BEGIN IMMEDIATE")
        else:
            libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.lock = psycopg.connect(libpq)
            self.lock.execute("LOCK TABLE notify_outbox IN EXCLUSIVE MODE")

    def release(self) -> None:
        self.lock.rollback()
        self.lock.close()


async def test_it_keeps_outcomes_while_the_database_is_unavailable(
    world: World, db_url: str
) -> None:
    impatient = make_engine(db_url, busy_timeout_s=0.2)
    channel = LockingChannel(db_url)
    try:
        notifier = await make(
            World(storage.AlertStore(impatient), world.clock, world.token), {"mail": channel}
        )
        ids = world.queue("mail", 1, 2)
        world.clock.advance(WINDOW_S)

        with pytest.raises(storage.StorageUnavailable):
            await notifier.run(world.token)
        channel.release()
        assert world.statuses(ids) == ["sending", "sending"]

        await notifier.run(world.token)  # stores what happened first; nothing is sent again
    finally:
        impatient.dispose()

    assert world.statuses(ids) == ["delivered", "delivered"] and channel.delivered == 1


async def test_it_claims_nothing_without_the_lease(world: World, inbox: Inbox) -> None:
    notifier = await make(world, {"mail": mail(inbox)})
    world.queue("mail", 1)
    world.clock.advance(WINDOW_S)

    with pytest.raises(storage.LeaseLost):
        await notifier.run(world.token + 1)

    assert inbox.messages == []


def test_it_refuses_settings_that_can_never_work(world: World) -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        OutboxNotifier(world.store, {}, clock=world.clock, tz="Mars/Olympus")
    with pytest.raises(ValueError, match="unknown language 'de'"):
        OutboxNotifier(world.store, {}, clock=world.clock, lang="de")
    with pytest.raises(ValueError, match="max_attempts must be at least 1"):
        OutboxNotifier(world.store, {}, clock=world.clock, max_attempts=0)
    with pytest.raises(ValueError, match="retry_base_s <= retry_max_s"):
        OutboxNotifier(world.store, {}, clock=world.clock, retry_base_s=10, retry_max_s=5)


# -- the collector's lease job --------------------------------------------------------------


async def test_it_delivers_through_the_collectors_lease_job(
    db_url: str,
    engine: Engine,
    inbox: Inbox,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {
        "DATABASE_URL": db_url,
        "NOTIFY_CHANNELS": json.dumps(
            [
                {"name": "ops-mail", "kind": "email", "recipients": TEAM},
                {"name": "ops-teams", "kind": "webhook", "url": receiver.url, "format": "teams"},
            ]
        ),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(inbox.port),
        "SMTP_SECURITY": "none",
        "SMTP_FROM": SENDER,
        "NOTIFY_GROUP_WINDOW_S": "0.2",
        "HTTP_READ_TIMEOUT_S": "1",
        "LEASE_TTL_S": "30",
        "PUBLIC_URL": "https://monitor.example.se",
    }
    for name, value in env.items():
        monkeypatch.setenv(f"TRIO_MONITOR_{name}", value)
    settings = load_settings()
    clock = SystemClock()
    [job] = wiring.notify_jobs(settings, engine, clock)
    assert (job.name, job.every_s) == ("notify", 0.25)
    collector = Collector(
        storage.Store(engine), [], wiring.runner_config(settings), clock=clock, jobs=[job]
    )
    stop = asyncio.Event()
    running = asyncio.ensure_future(collector.run(stop))
    try:
        await asyncio.wait_for(collector.active.wait(), timeout=SETTLE_S)
        alerts = storage.AlertStore(engine)
        now_ms = int(clock.time() * 1000)
        down = Notification(
            alert_id="a1",
            rule_name="Worker down",
            severity=Severity.CRITICAL,
            kind=NotificationKind.FIRING,
            entity="billing-worker",
            value=None,
            threshold=None,
            unit="",
            since_ms=now_ms,
            link="",
        )
        item = storage.OutboxItem("ops-teams", "firing", "a1", to_payload(down), now_ms)
        [firing_id] = alerts.enqueue([item], now_ms=now_ms)

        argv = ["notify", "test", "ops-mail", "--timeout", str(SETTLE_S)]
        assert await asyncio.to_thread(cli.main, argv) == 0

        assert capsys.readouterr().out == "test message to ops-mail delivered (attempt 1)\n"
        [email] = inbox.messages
        assert email.message["Subject"] == "Trio Monitor: test message"
        assert "https://monitor.example.se/alerts" in email.message.get_content()
        deadline = time.monotonic() + SETTLE_S
        while (firing := alerts.outbox_row(firing_id)) is None or firing.status not in FINISHED:
            assert time.monotonic() < deadline, "the firing row was not delivered in time"
            await asyncio.sleep(0.05)
        assert firing.status == "delivered"
        subject = receiver.posts[0]["summary"]
        assert subject == "[CRITICAL] 1 alert firing: Worker down (billing-worker)"
        assert {c.name: c.state for c in alerts.channels()} == {"ops-mail": "ok", "ops-teams": "ok"}
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=SETTLE_S)


async def test_a_test_message_waits_no_longer_than_its_deadline_without_a_collector(
    world: World,
) -> None:
    row = await send_test(world.store, "mail", clock=world.clock, requested_by="cli", timeout_s=3.0)

    assert (row.status, row.attempts) == ("queued", 0)
    assert sum(world.clock.sleeps) == pytest.approx(3.0)
    assert describe_test_outcome(row, "mail", 3.0) == (
        "no collector sent the test message within 3 s: is one running (trio-monitor collect)?"
        f" It stays queued (outbox row {row.id})."
    )


async def test_a_test_message_being_retried_says_why(
    world: World, receiver: Receiver, transport: SeamTransport
) -> None:
    receiver.script = [503]
    notifier = await make(world, {"hook": WebhookChannel(receiver.url, "json", transport)})
    item = make_test_item("hook", now_ms=world.now_ms, requested_by="cli")
    [row_id] = world.store.enqueue([item], now_ms=world.now_ms)
    await notifier.run(world.token)
    row = world.row(row_id)

    assert describe_test_outcome(row, "hook", 1.0) == (
        "test message to hook not delivered within 1 s: attempt 1 failed"
        f" (HTTP 503 from POST {receiver.base}/…: invalid_payload); it will be tried again"
    )


def test_the_cli_refuses_an_unknown_channel(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "TRIO_MONITOR_NOTIFY_CHANNELS",
        json.dumps([{"name": "ops-teams", "kind": "webhook", "url": "https://example.se/h"}]),
    )

    assert cli.main(["notify", "test", "ops-mail"]) == 2

    assert "unknown channel 'ops-mail' (known: ops-teams)" in capsys.readouterr().err
