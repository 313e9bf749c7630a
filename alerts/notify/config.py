"""Notification channels as configured: a JSON list in the settings, validated here.

``[{"name": "ops-mail", "kind": "email", "recipients": ["ops@example.se"]},
{"name": "ops-teams", "kind": "webhook", "url": "https://…", "format": "teams"}]``.
Email channels share the SMTP server of the settings; a webhook's ``format`` is
``generic`` (our JSON document; ``json`` is accepted too), ``teams`` or ``slack``.
Which alerts go to a channel is decided per rule (``warning_channels``/``critical_channels``).

Errors never echo a webhook URL's path or query: that is where its secret lives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from alerts.notify.email import validate_recipients
from alerts.notify.webhook import WebhookFormat, safe_url
from specs.errors import SpecError

# The same names rules may route to (alerts.model); a channel name is also a storage key.
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_FORMATS = {
    "generic": WebhookFormat.JSON,
    "json": WebhookFormat.JSON,
    "teams": WebhookFormat.TEAMS,
    "slack": WebhookFormat.SLACK,
}
_FIELDS = {"email": ("name", "kind", "recipients"), "webhook": ("name", "kind", "url", "format")}


class ChannelKind(StrEnum):
    """How a channel delivers (stored with the channel's state)."""

    EMAIL = "email"  # through the SMTP server of the settings
    WEBHOOK = "webhook"  # an HTTP POST through the project's HTTP seam


@dataclass(frozen=True)
class EmailChannelSpec:
    name: str
    recipients: tuple[str, ...]

    @property
    def kind(self) -> ChannelKind:
        return ChannelKind.EMAIL


@dataclass(frozen=True)
class WebhookChannelSpec:
    name: str
    url: str
    format: WebhookFormat = WebhookFormat.JSON

    @property
    def kind(self) -> ChannelKind:
        return ChannelKind.WEBHOOK

    def __repr__(self) -> str:  # never the secret path
        return f"WebhookChannelSpec({self.name!r}, {safe_url(self.url)}, {self.format.value})"


ChannelSpec = EmailChannelSpec | WebhookChannelSpec


def validate_channel(mapping: Any) -> ChannelSpec:
    """One channel from a decoded JSON object; raises ``SpecError`` naming the field.

    Unknown keys are refused (a misspelt ``recipient`` must not silently mean nobody).
    """
    if not isinstance(mapping, Mapping):
        raise SpecError("channel", f"must be an object, not {type(mapping).__name__}")
    name = mapping.get("name")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise SpecError(
            "name", f"{name!r} is not a name (letters, digits, '_', '.', '-'; at most 64)"
        )
    kind = mapping.get("kind")
    if kind not in _FIELDS:
        raise SpecError("kind", f"{kind!r} is not one of email, webhook")
    unknown = sorted(str(key) for key in mapping if key not in _FIELDS[kind])
    if unknown:
        known = ", ".join(_FIELDS[kind])
        raise SpecError(unknown[0], f"unknown field (known for {kind} channels: {known})")
    if kind == ChannelKind.EMAIL:
        return EmailChannelSpec(name, _recipients(mapping.get("recipients")))
    return WebhookChannelSpec(
        name, _webhook_url(mapping.get("url")), _format(mapping.get("format", "generic"))
    )


def parse_channels_json(text: str) -> list[ChannelSpec]:
    """A JSON list of channels; raises ``SpecError`` naming the index and field
    (``channels[2].url``); a name used twice is refused."""
    try:
        items = json.loads(text or "[]")
    except ValueError as exc:
        raise SpecError("channels", f"not valid JSON: {exc}") from None
    if not isinstance(items, list):
        raise SpecError("channels", f"must be a JSON list, not {type(items).__name__}")
    specs: list[ChannelSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        where = f"channels[{index}]"
        try:
            spec = validate_channel(item)
        except SpecError as exc:
            field = "" if exc.field == "channel" else f".{exc.field}"
            raise SpecError(f"{where}{field}", exc.message) from None
        if spec.name in seen:
            raise SpecError(
                f"{where}.name", f'duplicate name "{spec.name}" (also channels[{seen[spec.name]}])'
            )
        seen[spec.name] = index
        specs.append(spec)
    return specs


def _recipients(value: Any) -> tuple[str, ...]:
    if value is None:
        raise SpecError("recipients", "required: a list of email addresses")
    if not isinstance(value, str | list) or not all(isinstance(v, str) for v in value):
        raise SpecError("recipients", "must be a list of email addresses")
    try:
        return validate_recipients(value)
    except ValueError as exc:
        raise SpecError("recipients", str(exc)) from None


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
