"""Alert notifications: rendering, email and webhook channels, channel configuration, and
delivery from the durable outbox.

Nothing here imports `collectors`: the HTTP seam reaches webhooks as a `WebhookTransport`.
"""

from alerts.notify.config import (
    ChannelKind,
    ChannelSpec,
    EmailChannelSpec,
    WebhookChannelSpec,
    parse_channels_json,
    validate_channel,
)
from alerts.notify.email import EmailChannel, SmtpSecurity, validate_recipients
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
    channel_kind,
    make_test_item,
)
from alerts.notify.webhook import (
    WebhookChannel,
    WebhookFormat,
    WebhookTransport,
    classify_status,
)

__all__ = [
    "Channel",
    "ChannelKind",
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
