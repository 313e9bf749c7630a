"""Email notifications landing in a real local SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from alerts.notify import (
    DeliveryError,
    Dispatcher,
    EmailChannel,
    Notification,
    NotificationKind,
    Severity,
)
from collectors.clock import ManualClock

SENDER = "monitor@example.se"
TEAM = ["ops@example.se", "chef@example.se"]
# How long a delivery to a loopback SMTP server may take, generously.
ARRIVAL_WINDOW_S = 5.0


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    at: float  # time.monotonic() when the DATA was accepted


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it accepts and refuses what it is told to."""

    messages: list[Received] = field(default_factory=list)
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    data_reply: str = "250 Message accepted"
    host: str = "127.0.0.1"
    port: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.data_reply.startswith("250"):
            return self.data_reply
        parsed = cast(EmailMessage, message_from_bytes(envelope.content, policy=default))
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), parsed, time.monotonic())
        )
        return self.data_reply


class _LoopbackController(Controller):
    """aiosmtpd's Controller on port 0: learn the port the OS chose before it self-tests."""

    def _trigger_server(self) -> None:
        server = cast(asyncio.Server, self.server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()


def start_smtp(handler: Inbox, **kwargs: Any) -> _LoopbackController:
    controller = _LoopbackController(handler, hostname="127.0.0.1", port=0, **kwargs)
    controller.start()
    handler.port = controller.port
    return controller


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    controller = start_smtp(handler)
    yield handler
    controller.stop()


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


async def test_it_delivers_three_alerts_firing_within_the_window_as_one_email(
    inbox: Inbox, clock: ManualClock
) -> None:
    dispatcher = Dispatcher(
        {"mail": channel(inbox)}, clock=clock.time, sleep=clock.sleep, group_window_s=2.0
    )
    for i, queue in enumerate(["Kundtjänst", "Växel", "Support"]):
        dispatcher.submit("mail", firing(f"a{i}", queue, 21.0 + i, clock))
        clock.advance(0.5)
    clock.advance(0.4)  # 1.9 s after the first: the window is still open

    assert await dispatcher.run_once() == 0
    assert inbox.messages == []

    clock.advance(0.1)
    started = time.monotonic()
    assert await dispatcher.run_once() == 1

    assert len(inbox.messages) == 1
    got = inbox.messages[0]
    assert started <= got.at <= started + ARRIVAL_WINDOW_S
    assert got.mail_from == SENDER
    assert got.rcpt_tos == TEAM
    assert got.message["Subject"].startswith("[CRITICAL] 3 alerts firing: ")
    body = got.message.get_content()
    assert all(q in body for q in ("Kundtjänst", "Växel", "Support"))
    assert "Value: 23 s (threshold 20 s)" in body
    assert dispatcher.failed == []


async def test_it_writes_the_email_in_swedish(inbox: Inbox, clock: ManualClock) -> None:
    dispatcher = Dispatcher(
        {"mail": channel(inbox)}, clock=clock.time, sleep=clock.sleep, lang="sv"
    )
    dispatcher.submit("mail", firing("a1", "Kundtjänst", 21.5, clock))

    await dispatcher.flush()

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
