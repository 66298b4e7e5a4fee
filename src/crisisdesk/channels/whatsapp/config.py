from __future__ import annotations

from typing import Literal

from pydantic import Field

from crisisdesk.channels.meta.config import MetaChannelConfig


class WhatsAppConfig(MetaChannelConfig):
    """A WhatsApp Business number on the Cloud API (deliveries are routed by phone_number_id)."""

    platform: Literal["whatsapp"] = "whatsapp"
    phone_number_id: str = Field(min_length=1, pattern=r"^\d+$")
