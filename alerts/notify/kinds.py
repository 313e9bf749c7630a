"""The registry of channel kinds: each kind's module by the name a channel's ``"kind"``
takes in ``TRIO_MONITOR_NOTIFY_CHANNELS``.

A new kind is one module offering what ``channel.ChannelKindModule`` describes, and one
line in ``CHANNEL_KINDS``: configuration, building and the outbox find it here.
"""

from __future__ import annotations

from enum import StrEnum

from alerts.notify import email, webhook
from alerts.notify.channel import ChannelKindModule
from alerts.notify.message import Channel

CHANNEL_KINDS: dict[str, ChannelKindModule] = {
    email.KIND: email,
    webhook.KIND: webhook,
}


class ChannelKind(StrEnum):
    """The kinds shipped here, for code that names one; ``CHANNEL_KINDS`` is the full list
    (a kind added there needs no member here)."""

    EMAIL = email.KIND  # through the SMTP server of the settings
    WEBHOOK = webhook.KIND  # an HTTP POST through the project's HTTP seam


def channel_kind(channel: Channel) -> str:
    """The kind stored with a channel's state: the registry's name for its sender, or the
    lower-cased class name of a channel no kind registers (one built by hand)."""
    for kind, module in CHANNEL_KINDS.items():
        if isinstance(channel, module.SENDER):
            return kind
    return type(channel).__name__.lower()
