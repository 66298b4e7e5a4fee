"""Alert notifications: e-mail, Slack, Teams, a signed JSON webhook and Telegram.

Escalation writes deliveries into a durable outbox (``enqueue``) in its own transaction; the
``Dispatcher`` sends them with retries, one target never blocking another. See
docs/notifications.md.
"""

from crisisdesk.notify.base import DeliveryResult, PermanentError, RetryableError, Sender
from crisisdesk.notify.dispatcher import Attempt, Dispatcher, RetryPolicy
from crisisdesk.notify.models import Delivery, DeliveryStatus
from crisisdesk.notify.registry import SENDERS
from crisisdesk.notify.schemas import (
    EmailTarget,
    Notification,
    NotificationKind,
    NotifyConfig,
    SlackTarget,
    SmtpConfig,
    TargetConfig,
    TargetKind,
    TeamsTarget,
    TelegramTarget,
    TopPost,
    WebhookTarget,
    parse_notify_config,
)
from crisisdesk.notify.service import delivery_key, due, enqueue, enqueue_for_targets

__all__ = [
    "SENDERS",
    "Attempt",
    "Delivery",
    "DeliveryResult",
    "DeliveryStatus",
    "Dispatcher",
    "EmailTarget",
    "Notification",
    "NotificationKind",
    "NotifyConfig",
    "PermanentError",
    "RetryPolicy",
    "RetryableError",
    "Sender",
    "SlackTarget",
    "SmtpConfig",
    "TargetConfig",
    "TargetKind",
    "TeamsTarget",
    "TelegramTarget",
    "TopPost",
    "WebhookTarget",
    "delivery_key",
    "due",
    "enqueue",
    "enqueue_for_targets",
    "parse_notify_config",
]
