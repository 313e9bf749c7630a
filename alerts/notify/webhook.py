"""The webhook channel kind: generic JSON, Microsoft Teams and Slack payloads, posted by an
injected transport.

``{"name": "ops-teams", "kind": "webhook", "url": "https://…", "format": "teams"}``; the
``format`` is ``generic`` (our JSON document; ``json`` is accepted too, and is the
default), ``teams`` or ``slack``. Errors, logs and reprs never show a webhook URL's path or
query: that is where its secret lives.

`alerts` may not import `collectors`, so the project's HTTP seam is passed in as a
`WebhookTransport` (the wiring adapts `collectors.http.HttpSeam` to it). The transport
returns the status of a 2xx/3xx answer, or raises `DeliveryError`; `classify_status`
is the one rule for which statuses are worth another try.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit

from alerts.notify.channel import ChannelEnv
from alerts.notify.message import (
    Channel,
    DeliveryError,
    Item,
    Message,
    Notification,
    NotificationKind,
    Severity,
    more_text,
)
from specs.errors import SpecError

log = logging.getLogger(__name__)

KIND = "webhook"
FIELDS: tuple[str, ...] = ("url", "format")
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
PAYLOAD_VERSION = 1
# Teams cards get unwieldy: list at most this many alerts, then "… and N more".
MAX_LISTED = 40
# Teams refuses a message over 28 KB (the whole POST body); keep a margin under it.
TEAMS_MAX_BYTES = 27 * 1024
# Slack's Block Kit: at most 50 blocks, a section's text at most 3000 characters, a
# header's at most 150.
SLACK_MAX_BLOCKS = 50
SLACK_SECTION_CHARS = 3000
SLACK_HEADER_CHARS = 150
# Statuses about timing rather than about the request itself.
_RETRYABLE_4XX = frozenset({408, 425, 429})
_COLOURS = {"critical": "attention", "warning": "warning", "resolved": "good", "test": "accent"}


class WebhookFormat(StrEnum):
    """The payload shape a webhook receiver expects."""

    JSON = "json"  # our own document: every field of every notification
    TEAMS = "teams"  # a Microsoft Teams message with one Adaptive Card
    SLACK = "slack"  # a Slack incoming-webhook message: fallback text and blocks


_FORMATS = {
    "generic": WebhookFormat.JSON,
    "json": WebhookFormat.JSON,
    "teams": WebhookFormat.TEAMS,
    "slack": WebhookFormat.SLACK,
}


class WebhookTransport(Protocol):
    """POST `body` to `url` with `headers`; return the status of a 2xx/3xx answer.

    Raises `DeliveryError` for everything else (error statuses via `classify_status`,
    timeouts and connection faults as transient). Messages must not contain the URL's
    path or query: webhook URLs carry their secret there.
    """

    async def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> int: ...


def classify_status(status: int, what: str) -> DeliveryError | None:
    """None for 2xx; otherwise the error: 4xx (but 408/425/429) and 3xx are permanent (the
    URL or payload is wrong), 5xx and the rest transient."""
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return DeliveryError(f"{what} redirected (HTTP {status}); update the URL", permanent=True)
    permanent = 400 <= status < 500 and status not in _RETRYABLE_4XX
    return DeliveryError(f"HTTP {status} from {what}", permanent=permanent)


def safe_url(url: str) -> str:
    """The URL for messages and logs: scheme and host only (the path holds the secret)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    rest = "/…" if parts.path not in ("", "/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{rest}"


@dataclass(frozen=True)
class WebhookChannelSpec:
    name: str
    url: str
    format: WebhookFormat = WebhookFormat.JSON

    @property
    def kind(self) -> str:
        return KIND

    def __repr__(self) -> str:  # never the secret path
        return f"WebhookChannelSpec({self.name!r}, {safe_url(self.url)}, {self.format.value})"

    def build(self, env: ChannelEnv) -> WebhookChannel:
        """Raises ``ValueError`` without a transport."""
        if env.transport is None:
            raise ValueError(f"webhook channel {self.name!r} needs a transport")
        return WebhookChannel(self.url, self.format, env.transport)


def parse_spec(name: str, mapping: Mapping[str, Any]) -> WebhookChannelSpec:
    """Raises ``SpecError`` naming ``url`` or ``format``, never echoing the URL's secret."""
    return WebhookChannelSpec(
        name, _webhook_url(mapping.get("url")), _format(mapping.get("format", "generic"))
    )


def _webhook_url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError("url", "required: the webhook's http(s) URL")
    url = value.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise SpecError("url", f"{_shown(url)} is not a valid URL (bad host or port)") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SpecError("url", f"{_shown(url)} is not an http(s) URL with a host")
    if any(ch.isspace() for ch in url):
        raise SpecError("url", f"{_shown(url)} contains spaces")
    return url


def _shown(url: str) -> str:
    """A URL for an error message: no path or query (the secret), quoted."""
    if "://" not in url:
        return "the value"
    try:
        return repr(safe_url(url))
    except ValueError:
        return repr(url.split("://", 1)[0] + "://…")


def _format(value: Any) -> WebhookFormat:
    if not isinstance(value, str) or value not in _FORMATS:
        raise SpecError("format", f"{value!r} is not one of generic, teams, slack")
    return _FORMATS[value]


class WebhookChannel:
    """Posts each message to one webhook URL in one format. Raises `ValueError` for a URL
    that is not http(s) or an unknown format."""

    def __init__(self, url: str, format: WebhookFormat | str, transport: WebhookTransport) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"webhook URL must be http(s)://host/…, not {safe_url(url)!r}")
        try:
            self.format = WebhookFormat(format)
        except ValueError:
            raise ValueError(
                f"unknown webhook format {format!r}: expected 'json', 'teams' or 'slack'"
            ) from None
        self.url = url
        self._transport = transport

    def __repr__(self) -> str:
        return f"WebhookChannel({safe_url(self.url)}, {self.format.value})"

    async def deliver(self, message: Message) -> None:
        """POST the message. Raises `DeliveryError`."""
        body = json.dumps(payload(message, self.format), ensure_ascii=False).encode()
        status = await self._transport(self.url, body, JSON_HEADERS)
        error = classify_status(status, f"POST {safe_url(self.url)}")
        if error is not None:
            raise error
        log.info("webhook %s accepted %r (HTTP %d)", safe_url(self.url), message.subject, status)


SENDER: type[Channel] = WebhookChannel


def payload(message: Message, format: WebhookFormat) -> dict[str, Any]:
    """The JSON document for `format`."""
    if format is WebhookFormat.TEAMS:
        return teams_payload(message)
    if format is WebhookFormat.SLACK:
        return slack_payload(message)
    return json_payload(message)


def json_payload(message: Message) -> dict[str, Any]:
    """Every field of every notification, plus the rendered subject and text."""
    return {
        "version": PAYLOAD_VERSION,
        "source": "trio-monitor",
        "subject": message.subject,
        "text": message.body,
        "lang": message.lang.value,
        "count": len(message.notifications),
        "notifications": [_notification_json(n) for n in message.notifications],
    }


def teams_payload(message: Message) -> dict[str, Any]:
    """A Teams message holding one Adaptive Card (accepted by Teams workflows' "post to a
    channel when a webhook request is received" and by incoming webhooks), under
    ``TEAMS_MAX_BYTES``: as many alerts as fit, then "… and N more" and the link."""
    listed = min(len(message.notifications), MAX_LISTED)
    while True:
        document = _teams_card(message, listed)
        size = len(json.dumps(document, ensure_ascii=False).encode())
        if size <= TEAMS_MAX_BYTES or listed == 0:
            return document
        # Shrink in proportion (items are about the same size), at least by one.
        listed = min(listed - 1, listed * TEAMS_MAX_BYTES // size)


def _teams_card(message: Message, listed: int) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": message.subject,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "color": _colour(message.notifications[0]),
        }
    ]
    for n, item in _listed(message, listed):
        body.append(
            {
                "type": "TextBlock",
                "text": f"[{item.title}]({item.link})" if item.link else item.title,
                "weight": "Bolder",
                "color": _colour(n),
                "wrap": True,
                "spacing": "Medium",
            }
        )
        facts = [{"title": label, "value": value} for label, value in item.facts]
        body.append({"type": "FactSet", "facts": facts})
    more = _more(message, listed)
    if more:
        link = _link(message)
        text = f"[{more}]({link})" if link else more
        body.append({"type": "TextBlock", "text": text, "isSubtle": True, "wrap": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    link = _link(message)
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Trio Monitor", "url": link}]
    return {
        "type": "message",
        "summary": message.subject,
        "text": message.subject,
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def slack_payload(message: Message) -> dict[str, Any]:
    """`text` is the notification/fallback line; `blocks` a header and one section each,
    inside Block Kit's limits: at most 50 blocks (the last "… and N more" with the link),
    each section's text at most 3000 characters."""
    header = _cut(message.subject, SLACK_HEADER_CHARS)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}}
    ]
    # Room is left for the header and the "more" line.
    listed = min(len(message.notifications), MAX_LISTED, SLACK_MAX_BLOCKS - 2)
    for _, item in _listed(message, listed):
        title = _slack_escape(item.title)
        if item.link:
            title = f"<{item.link}|{title}>"
        lines = [f"*{title}*", *(f"{label}: {_slack_escape(v)}" for label, v in item.facts)]
        text = _cut("\n".join(lines), SLACK_SECTION_CHARS)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    more = _more(message, listed)
    if more:
        link = _link(message)
        text = f"<{link}|{_slack_escape(more)}>" if link else _slack_escape(more)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
    return {"text": message.subject, "blocks": blocks}


def _notification_json(n: Notification) -> dict[str, Any]:
    since = datetime.fromtimestamp(n.since_ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")
    return {
        "alert_id": n.alert_id,
        "rule_name": n.rule_name,
        "severity": n.severity.value,
        "kind": n.kind.value,
        "entity": n.entity,
        "value": n.value,
        "threshold": n.threshold,
        "unit": n.unit,
        "since_ms": n.since_ms,
        "since": since,
        "link": n.link,
        # The value counts from a failover of the Trio server (its standby's counters).
        "failover": n.failover,
        "failover_since_ms": n.failover_since_ms,
    }


def _listed(message: Message, listed: int) -> list[tuple[Notification, Item]]:
    return list(zip(message.notifications, message.items, strict=True))[:listed]


def _more(message: Message, listed: int) -> str:
    hidden = len(message.notifications) - listed
    return more_text(hidden, message.lang) if hidden > 0 else ""


def _link(message: Message) -> str:
    return next((n.link for n in message.notifications if n.link), "")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _colour(n: Notification) -> str:
    if n.kind is NotificationKind.RESOLVED:
        return _COLOURS["resolved"]
    if n.kind is NotificationKind.TEST:
        return _COLOURS["test"]
    return _COLOURS["critical" if n.severity is Severity.CRITICAL else "warning"]


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
