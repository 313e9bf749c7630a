"""What every channel kind provides, and what the running process lends it.

A kind is one module (``email.py``, ``webhook.py``) registered in ``kinds.CHANNEL_KINDS``
under the name a configured channel's ``"kind"`` takes. The module offers what
``ChannelKindModule`` describes: the configuration fields it accepts, ``parse_spec`` that
validates them into its spec, and ``SENDER``, the class that delivers. Its spec knows the
channel's name and kind and builds the sender from a ``ChannelEnv``; its ``repr`` never
shows a secret (a webhook URL's path, a password).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from alerts.notify.message import Channel

if TYPE_CHECKING:
    from alerts.notify.email import SmtpServer
    from alerts.notify.webhook import WebhookTransport


@dataclass(frozen=True)
class ChannelEnv:
    """What the process lends the channels it builds: the SMTP server of the settings, and
    an HTTP POST through the project's seam (``alerts`` may not import ``collectors``).
    A kind refuses to build (``ValueError``) without the part it needs."""

    smtp: SmtpServer | None = None
    transport: WebhookTransport | None = None


class ChannelSpec(Protocol):
    """One configured channel, validated: a frozen value, compared by its fields."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str:
        """Its key in ``CHANNEL_KINDS``, stored with the channel's state."""
        ...

    def build(self, env: ChannelEnv) -> Channel:
        """The sender; raises ``ValueError`` for settings that can never work."""
        ...


class ChannelKindModule(Protocol):
    """A channel kind's module, as ``CHANNEL_KINDS`` holds it."""

    # The configuration keys a channel of this kind takes besides "name" and "kind"
    # (any other key is refused: a misspelt one must not silently mean nothing).
    FIELDS: tuple[str, ...]
    # The class that delivers; a built channel's kind is found by it.
    SENDER: type[Channel]

    def parse_spec(self, name: str, mapping: Mapping[str, Any]) -> ChannelSpec:
        """The spec of the channel ``name`` from its decoded JSON object (its keys already
        checked against ``FIELDS``); raises ``SpecError`` naming the field."""
        ...
