"""Which connector serves which platform: an explicit table, checked by a test against the configs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crisisdesk.channels.base import Connector
from crisisdesk.channels.bluesky.connector import BlueskyConnector
from crisisdesk.channels.email.connector import EmailConnector
from crisisdesk.channels.facebook.connector import FacebookConnector
from crisisdesk.channels.instagram.connector import InstagramConnector
from crisisdesk.channels.mastodon.connector import MastodonConnector
from crisisdesk.channels.rss.connector import RssConnector
from crisisdesk.channels.telegram.connector import TelegramConnector
from crisisdesk.channels.viber.connector import ViberConnector
from crisisdesk.channels.whatsapp.connector import WhatsAppConnector
from crisisdesk.channels.x.connector import XConnector

CONNECTORS: dict[str, Callable[[Any], Connector]] = {
    "facebook": FacebookConnector,
    "instagram": InstagramConnector,
    "whatsapp": WhatsAppConnector,
    "telegram": TelegramConnector,
    "viber": ViberConnector,
    "rss": RssConnector,
    "email": EmailConnector,
    "x": XConnector,
    "mastodon": MastodonConnector,
    "bluesky": BlueskyConnector,
}


def connector_for(config: Any) -> Connector:
    """The connector for a validated channel block (its ``platform`` picks the class)."""
    return CONNECTORS[config.platform](config)
