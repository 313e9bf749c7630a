"""Notifications always go out: a line break or control character in a rule, queue or
channel-visible name never breaks an email, and long groups stay inside Teams' 28 KB and
Slack's Block Kit limits, ending with "… and N more" and a link. Through the outbox, to a
real SMTP server (aiosmtpd) and a real webhook receiver on loopback."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from sqlalchemy.engine import Engine

import storage
from alerts.notify import (
    EmailChannel,
    Notification,
    NotificationKind,
    OutboxNotifier,
    Severity,
    WebhookChannel,
    to_payload,
)
from alerts.notify.message import one_line
from collectors.clock import ManualClock
from collectors.runner import LEASE_NAME
from tests.fixtures.notify import Inbox, Receiver
from trio_monitor.notify import SeamTransport

TZ = "Europe/Stockholm"
WINDOW_S = 1.0
LINK = "https://monitor.example.se/alerts"
# Every kind of line break and control character a name may carry.
HOSTILE = ["Kund\ntjänst", "Växel\r\nBcc: evil@example.com", "Tab\tand\x00nul", "Line\u2028sep",
           "Del\x7fC1\x85", "\x1b[31mred"]


class Outbox:
    def __init__(self, engine: Engine, clock: ManualClock) -> None:
        self.store = storage.AlertStore(engine)
        self.clock = clock
        now_ms = self.now_ms
        token = storage.Store(engine).acquire_lease(LEASE_NAME, "test", 3_600_000, now_ms)
        assert token is not None
        self.token = token

    @property
    def now_ms(self) -> int:
        return int(self.clock.time() * 1000)

    def queue(self, channel: str, notes: list[Notification]) -> list[int]:
        items = [storage.OutboxItem(channel, n.kind.value, n.alert_id, to_payload(n), self.now_ms)
                 for n in notes]
        return self.store.enqueue(items, now_ms=self.now_ms)

    def statuses(self, ids: list[int]) -> list[str]:
        rows = [self.store.outbox_row(i) for i in ids]
        return [row.status if row is not None else "?" for row in rows]

    async def deliver(self, channels: dict[str, Any]) -> None:
        notifier = OutboxNotifier(self.store, channels, clock=self.clock, tz=TZ,
                                  group_window_s=WINDOW_S, retry_base_s=2.0, retry_max_s=60.0,
                                  rng=random.Random(7))
        await notifier.on_activate(self.token)
        self.clock.advance(WINDOW_S)
        await notifier.run(self.token)


@pytest.fixture
def outbox(engine: Engine, clock: ManualClock) -> Outbox:
    return Outbox(engine, clock)


def note(i: int, now_ms: int, *, rule: str = "Longest wait", entity: str | None = None,
         kind: NotificationKind = NotificationKind.FIRING) -> Notification:
    return Notification(
        alert_id=f"a{i}", rule_name=rule, severity=Severity.CRITICAL, kind=kind,
        entity=entity if entity is not None else f"Queue {i} (queue {i})", value=21.0 + i,
        threshold=20.0, unit="s", since_ms=now_ms, link=LINK,
    )


def mail(inbox: Inbox) -> EmailChannel:
    return EmailChannel(inbox.host, inbox.port, "none", None, None, "monitor@example.se",
                        ["ops@example.se"], 5.0)


def test_it_makes_any_name_one_header_safe_line() -> None:
    for name in HOSTILE:
        cleaned = one_line(name)
        assert cleaned and all(ch.isprintable() for ch in cleaned), repr(cleaned)
    assert one_line("a" * 300).endswith("…") and len(one_line("a" * 300)) == 250


async def test_a_grouped_email_with_line_breaks_in_names_is_delivered_whole(
    outbox: Outbox, inbox: Inbox
) -> None:
    notes = [note(i, outbox.now_ms, rule=name if i % 2 else "Longest wait",
                  entity=name if not i % 2 else "Kö (queue 1)")
             for i, name in enumerate(HOSTILE)]
    notes.append(note(99, outbox.now_ms, entity="Plain (queue 99)",
                      kind=NotificationKind.RESOLVED))
    ids = outbox.queue("mail", notes)

    await outbox.deliver({"mail": mail(inbox)})

    assert outbox.statuses(ids) == ["delivered"] * len(ids)
    [email] = inbox.messages
    subject = email.message["Subject"]
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith(f"[CRITICAL] {len(HOSTILE)} alerts firing, 1 alert resolved:")
    assert email.message["Bcc"] is None  # a name cannot smuggle a header in
    body = email.message.get_content()
    assert body.count("CRITICAL · ") == len(HOSTILE) and "RESOLVED · " in body
    assert "Kund tjänst" in body and "Växel Bcc: evil@example.com" in body


async def test_a_teams_message_of_many_long_alerts_stays_under_28_kb(
    outbox: Outbox, receiver: Receiver, transport: SeamTransport
) -> None:
    long_name = "Kundtjänst " + "å" * 400
    notes = [note(i, outbox.now_ms, entity=f"{long_name} {i}") for i in range(300)]
    ids = outbox.queue("teams", notes)

    await outbox.deliver({"teams": WebhookChannel(receiver.url, "teams", transport)})

    assert outbox.statuses(ids) == ["delivered"] * len(ids)
    [doc] = receiver.posts
    assert len(json.dumps(doc, ensure_ascii=False).encode()) < 28 * 1024
    body = doc["attachments"][0]["content"]["body"]
    shown = sum(block["type"] == "FactSet" for block in body)
    assert 0 < shown < 300
    assert body[-1]["text"] == f"[… and {300 - shown} more]({LINK})"


async def test_a_slack_message_of_many_alerts_keeps_inside_block_kit(
    outbox: Outbox, receiver: Receiver, transport: SeamTransport
) -> None:
    notes = [note(i, outbox.now_ms, entity="Växel " + "x" * 5000) for i in range(120)]
    ids = outbox.queue("slack", notes)

    await outbox.deliver({"slack": WebhookChannel(receiver.url, "slack", transport)})

    assert outbox.statuses(ids) == ["delivered"] * len(ids)
    [doc] = receiver.posts
    blocks = doc["blocks"]
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert len(blocks[0]["text"]["text"]) <= 150
    shown = sum(b["type"] == "section" for b in blocks)
    assert blocks[-1]["elements"][0]["text"] == f"<{LINK}|… and {120 - shown} more>"


async def test_the_more_line_is_swedish_for_a_swedish_site(
    outbox: Outbox, receiver: Receiver, transport: SeamTransport
) -> None:
    ids = outbox.queue("slack", [note(i, outbox.now_ms) for i in range(60)])
    channel = WebhookChannel(receiver.url, "slack", transport)
    notifier = OutboxNotifier(outbox.store, {"slack": channel}, clock=outbox.clock, tz=TZ,
                              group_window_s=WINDOW_S, lang="sv", rng=random.Random(7))
    await notifier.on_activate(outbox.token)
    outbox.clock.advance(WINDOW_S)
    await notifier.run(outbox.token)

    assert outbox.statuses(ids) == ["delivered"] * 60
    [doc] = receiver.posts
    assert doc["blocks"][-1]["elements"][0]["text"].endswith("… och 20 till>")


def test_a_notification_in_failover_says_its_figure_counts_from_the_switchover() -> None:
    from alerts.notify import render_message
    from alerts.notify.message import from_payload

    at_1042 = 1_780_303_320_000  # 2026-06-01 10:42:00 in Stockholm
    sl = Notification(alert_id="s1", rule_name="Service level", severity=Severity.WARNING,
                      kind=NotificationKind.FIRING, entity="Kundtjänst (queue 100)",
                      value=50.0, threshold=80.0, unit="%", since_ms=at_1042 + 60_000,
                      link=LINK, failover=True, failover_since_ms=at_1042)
    english = render_message([sl], "en", TZ).body
    swedish = render_message([sl], "sv", TZ).body
    assert "Note: counted since the failover at 2026-06-01 10:42:00 CEST" in english
    assert "Obs: räknat sedan failover kl. 2026-06-01 10:42:00 CEST" in swedish
    assert from_payload(to_payload(sl)) == sl
    # Rows queued before the label existed read back without it.
    old = {k: v for k, v in to_payload(sl).items() if not k.startswith("failover")}
    assert not from_payload(old).failover
