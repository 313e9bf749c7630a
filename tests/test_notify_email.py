"""Email notifications landing in a real local SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult

from alerts.notify import (
    DeliveryError,
    EmailChannel,
    Notification,
    NotificationKind,
    Severity,
    render_message,
)
from collectors.clock import ManualClock
from tests.fixtures.notify import Inbox, start_smtp

SENDER = "monitor@example.se"
TEAM = ["ops@example.se", "chef@example.se"]
TZ = "Europe/Stockholm"
# How long a delivery to a loopback SMTP server may take, generously.
ARRIVAL_WINDOW_S = 5.0


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never says a word (no SMTP greeting)."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


def channel(inbox: Inbox, **changes: Any) -> EmailChannel:
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
    settings.update(changes)
    return EmailChannel(**settings)


def firing(alert_id: str, entity: str, value: float, clock: ManualClock) -> Notification:
    return Notification(
        alert_id=alert_id,
        rule_name="Längsta väntetid",
        severity=Severity.CRITICAL,
        kind=NotificationKind.FIRING,
        entity=entity,
        value=value,
        threshold=20.0,
        unit="s",
        since_ms=int(clock.time() * 1000),
        link="https://monitor.example.se/alerts",
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_it_sends_three_alerts_as_one_email_to_every_recipient(
    inbox: Inbox, clock: ManualClock
) -> None:
    queues = ["Kundtjänst", "Växel", "Support"]
    notes = [firing(f"a{i}", q, 21.0 + i, clock) for i, q in enumerate(queues)]
    started = time.monotonic()

    await channel(inbox).deliver(render_message(notes, "en", TZ))

    [got] = inbox.messages
    assert started <= got.at <= started + ARRIVAL_WINDOW_S
    assert got.mail_from == SENDER
    assert got.rcpt_tos == TEAM
    assert got.message["Subject"].startswith("[CRITICAL] 3 alerts firing: ")
    body = got.message.get_content()
    assert all(q in body for q in ("Kundtjänst", "Växel", "Support"))
    assert "Value: 23 s (threshold 20 s)" in body


async def test_it_writes_the_email_in_swedish(inbox: Inbox, clock: ManualClock) -> None:
    note = firing("a1", "Kundtjänst", 21.5, clock)

    await channel(inbox).deliver(render_message([note], "sv", TZ))

    message = inbox.messages[0].message
    assert message["Subject"] == "[KRITISK] 1 larm aktivt: Längsta väntetid (Kundtjänst)"
    body = message.get_content()
    assert "KRITISK · Längsta väntetid · Kundtjänst" in body
    assert "Värde: 21,5 s (gräns 20 s)" in body
    assert "Sedan: 2023-11-14 23:13:20 CET" in body
    assert "Länk: https://monitor.example.se/alerts" in body


@pytest.mark.parametrize(
    ("recipients", "message"),
    [
        (["ops@example.se", "ops@example,se"], "invalid recipient address 'ops@example,se'"),
        (["ops.example.se"], "invalid recipient address 'ops.example.se'"),
        ("ops@example.se; chef @example.se", "invalid recipient address ' chef @example.se'"),
        ([], "at least one recipient"),
        (" ; ", "at least one recipient"),
    ],
)
def test_it_refuses_bad_recipients_naming_the_address(
    inbox: Inbox, recipients: list[str] | str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        channel(inbox, recipients=recipients)


def test_it_accepts_a_recipient_string_and_drops_duplicates(inbox: Inbox) -> None:
    mail = channel(inbox, recipients="ops@example.se, chef@example.se;OPS@example.se")

    assert mail.recipients == ("ops@example.se", "chef@example.se")


async def test_it_explains_starttls_missing_on_the_server_as_permanent(inbox: Inbox) -> None:
    mail = channel(inbox, security="starttls", port=inbox.port)

    with pytest.raises(DeliveryError, match="does not offer STARTTLS") as caught:
        await mail.send("subject", "body")

    assert caught.value.permanent
    assert f"127.0.0.1:{inbox.port}" in str(caught.value)
    assert inbox.messages == []


async def test_it_reports_tls_spoken_to_a_plain_server_as_permanent(inbox: Inbox) -> None:
    mail = channel(inbox, security="tls")

    with pytest.raises(DeliveryError, match="TLS failed") as caught:
        await mail.send("subject", "body")

    assert caught.value.permanent


@pytest.mark.parametrize(("reply", "permanent"), [("550 5.1.1 no such user", True),
                                                  ("451 4.7.1 greylisted", False)])  # fmt: skip
async def test_it_maps_refused_recipients_by_reply_code(
    inbox: Inbox, reply: str, permanent: bool
) -> None:
    inbox.refuse_rcpt = {address: reply for address in TEAM}

    with pytest.raises(DeliveryError, match="refused recipient") as caught:
        await channel(inbox).send("subject", "body")

    assert caught.value.permanent is permanent
    assert reply.split()[0] in str(caught.value)


async def test_it_reports_a_partly_refused_message_as_permanent_naming_who_got_it(
    inbox: Inbox,
) -> None:
    inbox.refuse_rcpt = {"chef@example.se": "550 5.1.1 no such user"}

    with pytest.raises(DeliveryError) as caught:
        await channel(inbox).send("subject", "body")

    assert caught.value.permanent
    assert "chef@example.se: 550" in str(caught.value)
    assert "delivered to ops@example.se" in str(caught.value)
    assert len(inbox.messages) == 1


@pytest.mark.parametrize(("reply", "permanent"), [("554 5.6.0 rejected", True),
                                                  ("452 4.3.1 out of space", False)])  # fmt: skip
async def test_it_maps_a_refused_message_by_reply_code(
    inbox: Inbox, reply: str, permanent: bool
) -> None:
    inbox.data_reply = reply

    with pytest.raises(DeliveryError, match=reply.split()[0]) as caught:
        await channel(inbox).send("subject", "body")

    assert caught.value.permanent is permanent


async def test_it_reports_refused_credentials_as_permanent() -> None:
    def nobody(*args: Any) -> AuthResult:
        return AuthResult(success=False, handled=False)

    handler = Inbox()
    controller = start_smtp(handler, authenticator=nobody, auth_require_tls=False)
    try:
        mail = channel(handler, username="monitor", password="wrong")
        with pytest.raises(DeliveryError, match="refused the login of 'monitor'") as caught:
            await mail.send("subject", "body")
    finally:
        controller.stop()

    assert caught.value.permanent
    assert "wrong" not in str(caught.value)


async def test_it_treats_a_refused_connection_as_transient() -> None:
    mail = EmailChannel("127.0.0.1", closed_port(), "none", None, None, SENDER, TEAM, 2.0)

    with pytest.raises(DeliveryError, match="cannot connect to SMTP server") as caught:
        await mail.send("subject", "body")

    assert not caught.value.permanent


async def test_it_gives_up_on_a_silent_server_after_the_timeout(silent_server: int) -> None:
    mail = EmailChannel("127.0.0.1", silent_server, "starttls", None, None, SENDER, TEAM, 0.2)
    started = time.monotonic()

    with pytest.raises(DeliveryError, match="did not answer within 0.2 s") as caught:
        await mail.send("subject", "body")

    assert not caught.value.permanent
    assert time.monotonic() - started < ARRIVAL_WINDOW_S


def test_it_refuses_settings_that_can_never_work(inbox: Inbox) -> None:
    with pytest.raises(ValueError, match="unknown SMTP security 'ssl'"):
        channel(inbox, security="ssl")
    with pytest.raises(ValueError, match="username and password must be given together"):
        channel(inbox, username="monitor")
    with pytest.raises(ValueError, match="timeout"):
        channel(inbox, timeout_s=0)
    with pytest.raises(ValueError, match="invalid sender address"):
        channel(inbox, sender="monitor")
    assert "secret" not in repr(channel(inbox, username="u", password="secret"))
