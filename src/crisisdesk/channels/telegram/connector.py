from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import orjson

from crisisdesk.channels.base import Capability, Delivery, PayloadError
from crisisdesk.channels.meta.webhook import header
from crisisdesk.channels.signatures import check_token
from crisisdesk.channels.telegram.config import TelegramConfig
from crisisdesk.channels.telegram.mapping import map_update

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


class TelegramConnector:
    """A bot's updates, one per webhook request, with our secret token in a header."""

    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.WEBHOOK})

    def __init__(self, config: TelegramConfig) -> None:
        self.config = config
        self.bot_id = config.bot_token.get_secret_value().split(":", 1)[0]

    @property
    def key(self) -> str:
        return self.config.key

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        check_token(header(headers, SECRET_HEADER), secret=self.config.secret_token.get_secret_value(),
                    name=SECRET_HEADER)

    def parse(self, body: bytes) -> Delivery:
        try:
            update = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise PayloadError(f"the body is not JSON: {exc}") from None
        return map_update(update, bot_id=self.bot_id, channel=self.key)
