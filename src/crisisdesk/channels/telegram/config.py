from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from crisisdesk.channels.common_config import ChannelConfigBase
from crisisdesk.notify.schemas import Secret


class TelegramConfig(ChannelConfigBase):
    """A Telegram bot; ``secret_token`` is what Telegram sends back in every webhook delivery."""

    platform: Literal["telegram"] = "telegram"
    bot_token: Secret = Field(description="From @BotFather, e.g. env:TELEGRAM_BOT_TOKEN.")
    secret_token: Secret = Field(description="1–256 characters of A-Z, a-z, 0-9, _ and -.")
    publish_chat: str | None = Field(
        default=None, description="Where the channel publishes our own posts (stakeholder updates): a "
        "public channel's @username or a chat's numeric id (-100…); the bot must be allowed to post there "
        "(an admin of the channel). Without it the channel does not publish.")

    @field_validator("publish_chat", mode="before")
    @classmethod
    def _chat_shape(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is None or not isinstance(value, str):
            return value
        chat = value.strip()
        if not (re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{3,31}", chat) or re.fullmatch(r"-?\d{1,20}", chat)):
            raise ValueError(f"{value!r} is neither a channel's @username nor a numeric chat id")
        return chat

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not re.match(r"^\d+:[\w-]+$", value.get_secret_value()):
            raise ValueError("a bot token looks like 123456:ABC-DEF…")
        return value

    @field_validator("secret_token")
    @classmethod
    def _secret_shape(cls, value: SecretStr) -> SecretStr:
        if not re.match(r"^[A-Za-z0-9_-]{1,256}$", value.get_secret_value()):
            raise ValueError("use 1–256 characters of A-Z, a-z, 0-9, _ and -")
        return value
