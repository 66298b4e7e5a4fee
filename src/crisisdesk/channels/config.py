"""The ``channels:`` section of ``crisisdesk.yaml``: one block per connected account, by platform."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from crisisdesk.channels.bluesky.config import BlueskyConfig
from crisisdesk.channels.email.config import EmailConfig
from crisisdesk.channels.facebook.config import FacebookConfig
from crisisdesk.channels.instagram.config import InstagramConfig
from crisisdesk.channels.mastodon.config import MastodonConfig
from crisisdesk.channels.rss.config import RssConfig
from crisisdesk.channels.telegram.config import TelegramConfig
from crisisdesk.channels.viber.config import ViberConfig
from crisisdesk.channels.whatsapp.config import WhatsAppConfig
from crisisdesk.channels.x.config import XConfig

ChannelConfig = Annotated[
    FacebookConfig | InstagramConfig | WhatsAppConfig | TelegramConfig | ViberConfig | RssConfig
    | EmailConfig | XConfig | MastodonConfig | BlueskyConfig,
    Field(discriminator="platform"),
]
