from __future__ import annotations

from typing import Literal

from pydantic import Field

from crisisdesk.channels.common_config import ChannelConfigBase
from crisisdesk.notify.schemas import Secret


class ViberConfig(ChannelConfigBase):
    """A Viber bot; its auth token also keys the signature of every callback."""

    platform: Literal["viber"] = "viber"
    auth_token: Secret = Field(description="The bot's token, e.g. env:VIBER_AUTH_TOKEN.")
    sender_name: str = Field(default="crisisdesk", min_length=1, max_length=28,
                             description="The name shown on messages the bot sends (28 characters).")
