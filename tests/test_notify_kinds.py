"""The registry of channel kinds: a kind is one module plus one line in ``CHANNEL_KINDS``.

The proof registers a kind that exists only in the tests (``tests/fixtures/sms_kind.py``)
and follows a notification from the settings through the outbox to a real HTTP receiver
on loopback, touching no other code."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.engine import Engine

import storage
from alerts.notify import (
    CHANNEL_KINDS,
    ChannelEnv,
    EmailChannel,
    Notification,
    NotificationKind,
    OutboxNotifier,
    Severity,
    SmtpServer,
    WebhookChannel,
    channel_kind,
    parse_channels_json,
    to_payload,
)
from collectors.clock import ManualClock
from collectors.runner import LEASE_NAME
from specs.errors import SpecError
from tests.fixtures import sms_kind
from tests.fixtures.notify import Receiver
from trio_monitor.notify import SeamTransport, build_channels
from trio_monitor.settings import load_settings

NUMBERS = ["+46701234567", "+46709876543"]


@pytest.fixture
def with_sms(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one registry line a new kind adds, for this test only."""
    monkeypatch.setitem(CHANNEL_KINDS, sms_kind.KIND, sms_kind)


def sms(gateway: str, **changes: Any) -> dict[str, Any]:
    return {"name": "ops-sms", "kind": "sms", "gateway": gateway, "numbers": NUMBERS, **changes}


@pytest.mark.sqlite_only
async def test_it_delivers_through_a_kind_added_by_one_registry_line(
    with_sms: None,
    engine: Engine,
    clock: ManualClock,
    receiver: Receiver,
    transport: SeamTransport,
) -> None:
    settings = load_settings(notify_channels=json.dumps([sms(receiver.url)]))
    store = storage.AlertStore(engine)
    now_ms = int(clock.time() * 1000)
    token = storage.Store(engine).acquire_lease(LEASE_NAME, "test", 3_600_000, now_ms)
    assert token is not None
    notifier = OutboxNotifier(store, build_channels(settings, transport), clock=clock,
                              group_window_s=0.0)  # fmt: skip
    await notifier.on_activate(token)
    note = Notification(
        alert_id="a1", rule_name="Longest wait", severity=Severity.CRITICAL,
        kind=NotificationKind.FIRING, entity="Kundtjänst (queue 12)", value=95.0,
        threshold=60.0, unit="s", since_ms=now_ms, link="",
    )  # fmt: skip
    [row_id] = store.enqueue(
        [storage.OutboxItem("ops-sms", "firing", "a1", to_payload(note), now_ms)], now_ms=now_ms
    )

    await notifier.run(token)

    row = store.outbox_row(row_id)
    assert row is not None and (row.status, row.attempts) == ("delivered", 1)
    assert receiver.posts == [
        {"to": NUMBERS, "text": "[CRITICAL] 1 alert firing: Longest wait (Kundtjänst (queue 12))"}
    ]
    [channel] = store.channels()
    assert (channel.name, channel.kind, channel.state) == ("ops-sms", "sms", "ok")


def test_a_registered_kind_is_validated_by_its_own_module(with_sms: None) -> None:
    [spec] = parse_channels_json(json.dumps([sms("https://sms.example.se/send")]))

    assert spec == sms_kind.SmsChannelSpec("ops-sms", "https://sms.example.se/send", tuple(NUMBERS))
    with pytest.raises(SpecError, match=r"channels\[0\]\.numbers: must be a list of numbers"):
        parse_channels_json(json.dumps([sms("https://sms.example.se/send", numbers=["0701"])]))
    with pytest.raises(SpecError) as caught:
        parse_channels_json(json.dumps([sms("https://sms.example.se/send", number="+4670")]))
    assert str(caught.value) == (
        "channels[0].number: unknown field (known for sms channels: name, kind, gateway, numbers)"
    )


def test_an_unknown_kind_is_refused_naming_the_registered_ones(with_sms: None) -> None:
    with pytest.raises(SpecError) as caught:
        parse_channels_json(json.dumps([{"name": "fax", "kind": "fax"}]))

    assert str(caught.value) == "channels[0].kind: 'fax' is not one of email, webhook, sms"


def test_a_kind_registered_for_one_test_is_gone_after_it() -> None:
    assert sms_kind.KIND not in CHANNEL_KINDS
    with pytest.raises(SpecError, match="'sms' is not one of email, webhook"):
        parse_channels_json(json.dumps([sms("https://sms.example.se/send")]))


def test_every_shipped_kind_builds_a_sender_the_registry_names_by_that_kind() -> None:
    async def post(url: str, body: bytes, headers: Any) -> int:
        raise AssertionError("not called")

    specs = parse_channels_json(json.dumps([
        {"name": "ops-mail", "kind": "email", "recipients": ["ops@example.se"]},
        {"name": "ops-teams", "kind": "webhook", "url": "https://example.se/h", "format": "teams"},
    ]))  # fmt: skip
    server = SmtpServer("smtp.example.se", 587, "starttls", None, None, "monitor@example.se")
    env = ChannelEnv(smtp=server, transport=post)

    built = [spec.build(env) for spec in specs]

    assert isinstance(built[0], EmailChannel) and isinstance(built[1], WebhookChannel)
    assert {spec.kind for spec in specs} == set(CHANNEL_KINDS)
    assert [channel_kind(channel) for channel in built] == [spec.kind for spec in specs]


def test_a_kind_refuses_to_build_without_what_it_needs() -> None:
    [mail, hook] = parse_channels_json(json.dumps([
        {"name": "ops-mail", "kind": "email", "recipients": ["ops@example.se"]},
        {"name": "ops-teams", "kind": "webhook", "url": "https://example.se/h"},
    ]))  # fmt: skip

    with pytest.raises(ValueError, match="email channel 'ops-mail' needs the SMTP server"):
        mail.build(ChannelEnv())
    with pytest.raises(ValueError, match="webhook channel 'ops-teams' needs a transport"):
        hook.build(ChannelEnv())
