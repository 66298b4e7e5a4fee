"""Which connector serves which platform: an explicit table, checked by a test against the configs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crisisdesk.channels.base import WebhookConnector
from crisisdesk.channels.facebook.connector import FacebookConnector
from crisisdesk.channels.instagram.connector import InstagramConnector
from crisisdesk.channels.telegram.connector import TelegramConnector
from crisisdesk.channels.viber.connector import ViberConnector
from crisisdesk.channels.whatsapp.connector import WhatsAppConnector

CONNECTORS: dict[str, Callable[[Any], WebhookConnector]] = {
    "facebook": FacebookConnector,
    "instagram": InstagramConnector,
    "whatsapp": WhatsAppConnector,
    "telegram": TelegramConnector,
    "viber": ViberConnector,
}


def connector_for(config: Any) -> WebhookConnector:
    """The connector for a validated channel block (its ``platform`` picks the class)."""
    return CONNECTORS[config.platform](config)
