"""Notification channels as configured: a JSON list in the settings, validated here.

``[{"name": "ops-mail", "kind": "email", "recipients": ["ops@example.se"]},
{"name": "ops-teams", "kind": "webhook", "url": "https://…", "format": "teams"}]``.
The ``kind`` names a module of ``kinds.CHANNEL_KINDS``, which validates the rest of the
object. Which alerts go to a channel is decided per rule (``warning_channels`` /
``critical_channels``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from alerts.notify.channel import ChannelSpec
from alerts.notify.email import EmailChannelSpec
from alerts.notify.kinds import CHANNEL_KINDS, ChannelKind
from alerts.notify.webhook import WebhookChannelSpec
from specs.errors import SpecError

# The specs of the shipped kinds stay importable from here, where the settings find them.
__all__ = [
    "ChannelKind",
    "ChannelSpec",
    "EmailChannelSpec",
    "WebhookChannelSpec",
    "parse_channels_json",
    "validate_channel",
]

# The same names rules may route to (alerts.model); a channel name is also a storage key.
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


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
    module = CHANNEL_KINDS.get(kind) if isinstance(kind, str) else None
    if module is None:
        raise SpecError("kind", f"{kind!r} is not one of {', '.join(CHANNEL_KINDS)}")
    fields = ("name", "kind", *module.FIELDS)
    unknown = sorted(str(key) for key in mapping if key not in fields)
    if unknown:
        known = ", ".join(fields)
        raise SpecError(unknown[0], f"unknown field (known for {kind} channels: {known})")
    return module.parse_spec(name, mapping)


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
