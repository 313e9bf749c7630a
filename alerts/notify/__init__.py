"""Alert notifications: rendering, channel configuration, one module per channel kind
(``email``, ``webhook``) registered in ``CHANNEL_KINDS``, and delivery from the durable
outbox.

Nothing here imports `collectors`: the HTTP seam reaches channels as a `WebhookTransport`
in the `ChannelEnv` they are built with.
"""

from alerts.notify.channel import ChannelEnv, ChannelKindModule, ChannelSpec
from alerts.notify.config import parse_channels_json, validate_channel
from alerts.notify.email import (
    EmailChannel,
    EmailChannelSpec,
    SmtpSecurity,
    SmtpServer,
    validate_recipients,
)
from alerts.notify.kinds import CHANNEL_KINDS, ChannelKind, channel_kind
from alerts.notify.message import (
    Channel,
    DeliveryError,
    Lang,
    Message,
    Notification,
    NotificationKind,
    Severity,
    from_payload,
    make_test_notification,
    render_message,
    render_text,
    to_payload,
)
from alerts.notify.outbox import (
    ChannelState,
    OutboxNotifier,
    OutboxStatus,
    make_test_item,
)
from alerts.notify.webhook import (
    WebhookChannel,
    WebhookChannelSpec,
    WebhookFormat,
    WebhookTransport,
    classify_status,
)

__all__ = [
    "CHANNEL_KINDS",
    "Channel",
    "ChannelEnv",
    "ChannelKind",
    "ChannelKindModule",
    "ChannelSpec",
    "ChannelState",
    "DeliveryError",
    "EmailChannel",
    "EmailChannelSpec",
    "Lang",
    "Message",
    "Notification",
    "NotificationKind",
    "OutboxNotifier",
    "OutboxStatus",
    "Severity",
    "SmtpSecurity",
    "SmtpServer",
    "WebhookChannel",
    "WebhookChannelSpec",
    "WebhookFormat",
    "WebhookTransport",
    "channel_kind",
    "classify_status",
    "from_payload",
    "make_test_item",
    "make_test_notification",
    "parse_channels_json",
    "render_message",
    "render_text",
    "to_payload",
    "validate_channel",
    "validate_recipients",
]
