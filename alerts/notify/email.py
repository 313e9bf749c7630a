"""The email channel kind: recipients configured per channel, sent over the SMTP server of
the settings (STARTTLS, implicit TLS or plain), with stdlib `smtplib` in a thread.

``{"name": "ops-mail", "kind": "email", "recipients": ["ops@example.se"]}``.

Every failure becomes a `DeliveryError`: refused recipients or sender, refused
credentials, a server without the requested TLS and other 5xx replies are permanent (a
person must fix the settings); timeouts, refused connections and 4xx replies are transient.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from enum import StrEnum
from typing import Any

from alerts.notify.channel import ChannelEnv
from alerts.notify.message import Channel, DeliveryError, Message, one_line
from specs.errors import SpecError

log = logging.getLogger(__name__)

KIND = "email"
FIELDS: tuple[str, ...] = ("recipients",)
DEFAULT_TIMEOUT_S = 10.0

# Deliberately loose (RFC 5322 allows far more): one "@", no spaces or list separators,
# a domain of dot-separated labels. It catches typos like "ops@example,se" or "ops.example".
_ADDRESS_RE = re.compile(r"^[^@\s,;<>()\[\]\"]+@[^@\s,;<>()\[\]\".]+(\.[^@\s,;<>()\[\]\".]+)*$")


class SmtpSecurity(StrEnum):
    """How the SMTP connection is protected."""

    STARTTLS = "starttls"  # plain connect (usually port 587), then upgrade; refused if absent
    TLS = "tls"  # TLS from the first byte (usually port 465)
    NONE = "none"  # no encryption: only for a relay on a trusted network


@dataclass(frozen=True)
class SmtpServer:
    """The SMTP server of the settings, shared by every email channel."""

    host: str
    port: int
    security: SmtpSecurity | str
    username: str | None
    password: str | None = field(repr=False)
    sender: str
    timeout_s: float = DEFAULT_TIMEOUT_S


@dataclass(frozen=True)
class EmailChannelSpec:
    name: str
    recipients: tuple[str, ...]

    @property
    def kind(self) -> str:
        return KIND

    def build(self, env: ChannelEnv) -> EmailChannel:
        """Raises ``ValueError`` without the SMTP server or for settings that cannot work."""
        server = env.smtp
        if server is None:
            raise ValueError(f"email channel {self.name!r} needs the SMTP server")
        return EmailChannel(
            server.host, server.port, server.security, server.username, server.password,
            server.sender, self.recipients, server.timeout_s,
        )  # fmt: skip


def parse_spec(name: str, mapping: Mapping[str, Any]) -> EmailChannelSpec:
    """Raises ``SpecError`` naming ``recipients`` when they are missing or malformed."""
    return EmailChannelSpec(name, _recipients(mapping.get("recipients")))


def _recipients(value: Any) -> tuple[str, ...]:
    if value is None:
        raise SpecError("recipients", "required: a list of email addresses")
    if not isinstance(value, str | list) or not all(isinstance(v, str) for v in value):
        raise SpecError("recipients", "must be a list of email addresses")
    try:
        return validate_recipients(value)
    except ValueError as exc:
        raise SpecError("recipients", str(exc)) from None


class EmailChannel:
    """Sends messages to fixed recipients through one SMTP server.

    Raises `ValueError` at construction for settings that can never work: no recipients,
    a malformed address (named in the message), a bad port or timeout, a username without
    a password.
    """

    def __init__(
        self,
        host: str,
        port: int,
        security: SmtpSecurity | str,
        username: str | None,
        password: str | None,
        sender: str,
        recipients: Sequence[str] | str,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if not host.strip():
            raise ValueError("SMTP host is empty")
        if not 0 < port < 65536:
            raise ValueError(f"SMTP port {port} is out of range 1-65535")
        try:
            self.security = SmtpSecurity(security)
        except ValueError:
            raise ValueError(
                f"unknown SMTP security {security!r}: expected 'starttls', 'tls' or 'none'"
            ) from None
        if not (math.isfinite(timeout_s) and timeout_s > 0):
            raise ValueError(f"SMTP timeout must be a positive number of seconds, not {timeout_s}")
        if bool(username) != bool(password):
            raise ValueError("SMTP username and password must be given together")
        self.host = host.strip()
        self.port = port
        self.username = username or None
        self._password = password or None
        self.sender = validate_address(sender, role="sender")
        self.recipients = validate_recipients(recipients)
        self.timeout_s = timeout_s
        self._ssl_context = ssl_context

    def __repr__(self) -> str:  # never the password
        return (
            f"EmailChannel({self.host}:{self.port}, {self.security.value},"
            f" to={', '.join(self.recipients)})"
        )

    async def deliver(self, message: Message) -> None:
        await self.send(message.subject, message.body)

    async def send(self, subject: str, body: str) -> None:
        """Send one plain-text UTF-8 email to all recipients.

        `timeout_s` bounds each network step (connect, each reply). Raises `DeliveryError`.
        The subject goes through `one_line`: a line break or control character in a
        name can never make the header invalid.
        """
        email = EmailMessage()
        email["Subject"] = one_line(subject)
        email["From"] = self.sender
        email["To"] = ", ".join(self.recipients)
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(domain=self.sender.rsplit("@", 1)[1])
        email.set_content(body)
        await asyncio.to_thread(self._send_blocking, email)

    def _send_blocking(self, email: EmailMessage) -> None:
        where = f"SMTP server {self.host}:{self.port}"
        try:
            refused = self._exchange(email)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _refused(exc.recipients, where, delivered_to=()) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"{where} refused the login of {self.username!r}: {_reply(exc)}", permanent=True
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"{where}: {exc}", permanent=True) from exc
        except smtplib.SMTPSenderRefused as exc:
            raise DeliveryError(
                f"{where} refused the sender {self.sender}: {_reply(exc)}",
                permanent=exc.smtp_code >= 500,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"{where} answered {_reply(exc)}", permanent=exc.smtp_code >= 500
            ) from exc
        except smtplib.SMTPServerDisconnected as exc:
            if isinstance(exc.__context__, TimeoutError):  # smtplib wraps a read timeout
                raise DeliveryError(
                    f"{where} did not answer within {self.timeout_s:g} s", permanent=False
                ) from exc
            raise DeliveryError(f"{where} closed the connection: {exc}", permanent=False) from exc
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"{where}: TLS certificate not trusted: {exc.verify_message}", permanent=True
            ) from exc
        except ssl.SSLError as exc:
            raise DeliveryError(
                f"{where}: TLS failed ({exc.reason or exc}); is security {self.security.value!r}"
                f" right for port {self.port}?",
                permanent=True,
            ) from exc
        except TimeoutError as exc:
            raise DeliveryError(
                f"{where} did not answer within {self.timeout_s:g} s", permanent=False
            ) from exc
        except smtplib.SMTPException as exc:
            raise DeliveryError(f"{where}: {exc}", permanent=False) from exc
        except OSError as exc:  # refused, unreachable, DNS: may well work later
            raise DeliveryError(
                f"cannot connect to {where}: {exc.strerror or exc}", permanent=False
            ) from exc
        if refused:
            delivered = tuple(r for r in self.recipients if r not in refused)
            raise _refused(refused, where, delivered_to=delivered)
        log.info("email %r sent to %s", email["Subject"], ", ".join(self.recipients))

    def _exchange(self, email: EmailMessage) -> dict[str, tuple[int, bytes]]:
        context = self._ssl_context or ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security is SmtpSecurity.TLS:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        with smtp:
            smtp.ehlo()
            if self.security is SmtpSecurity.STARTTLS:
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(
                        f"SMTP server {self.host}:{self.port} does not offer STARTTLS; choose"
                        " security 'tls' if it expects TLS from the start (usually port 465),"
                        " or 'none' only for a relay on a trusted network",
                        permanent=True,
                    )
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username and self._password:
                smtp.login(self.username, self._password)
            return smtp.send_message(email, from_addr=self.sender, to_addrs=self.recipients)


SENDER: type[Channel] = EmailChannel


def validate_address(address: str, *, role: str = "recipient") -> str:
    """`address` stripped, or `ValueError` naming it when it is not name@domain."""
    cleaned = address.strip()
    if not _ADDRESS_RE.match(cleaned):
        raise ValueError(f"invalid {role} address {address!r}: expected name@domain")
    return cleaned


def validate_recipients(recipients: Sequence[str] | str) -> tuple[str, ...]:
    """Recipients as a tuple without duplicates. A string is split on commas/semicolons.

    Raises `ValueError` naming the first bad address, or when there is none at all.
    """
    if isinstance(recipients, str):
        recipients = [r for r in re.split(r"[,;]", recipients) if r.strip()]
    cleaned: list[str] = []
    for address in recipients:
        valid = validate_address(address)
        if valid.lower() not in (c.lower() for c in cleaned):
            cleaned.append(valid)
    if not cleaned:
        raise ValueError("an email channel needs at least one recipient")
    return tuple(cleaned)


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else ""
    return f"{exc.smtp_code} {' '.join(text.split())}".strip()


def _refused(
    refused: dict[str, tuple[int, bytes]], where: str, *, delivered_to: tuple[str, ...]
) -> DeliveryError:
    """Permanent when any refusal is 5xx (bad address), or when others got the message (a
    retry would send it to them twice); 4xx only, to nobody (e.g. greylisting), is not."""
    details = "; ".join(
        f"{rcpt}: {code} {reason.decode('utf-8', 'replace').strip()}"
        for rcpt, (code, reason) in refused.items()
    )
    message = f"{where} refused recipient(s) {details}"
    if delivered_to:
        message += f" (delivered to {', '.join(delivered_to)})"
    permanent = bool(delivered_to) or any(code >= 500 for code, _ in refused.values())
    return DeliveryError(message, permanent=permanent)
