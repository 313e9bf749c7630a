"""Alert notifications: rendering, email and webhook channels, and grouped, retried delivery.

Nothing here imports `collectors`: the HTTP seam reaches webhooks as a `WebhookTransport`.
"""

from alerts.notify.dispatch import (
    ChannelState,
    ChannelStatus,
    Dispatcher,
    FailedDelivery,
    TestResult,
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
    render_message,
    render_text,
)
from alerts.notify.webhook import (
    WebhookChannel,
    WebhookFormat,
    WebhookTransport,
    classify_status,
)

__all__ = [
    "Channel",
    "ChannelState",
    "ChannelStatus",
    "DeliveryError",
    "Dispatcher",
    "EmailChannel",
    "FailedDelivery",
    "Lang",
    "Message",
    "Notification",
    "NotificationKind",
    "Severity",
    "SmtpSecurity",
    "TestResult",
    "WebhookChannel",
    "WebhookFormat",
    "WebhookTransport",
    "classify_status",
    "render_message",
    "render_text",
    "validate_recipients",
]
