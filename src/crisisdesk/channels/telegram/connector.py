from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from crisisdesk.channels.base import Capability, CheckResult, Delivery, PlatformError, load_json
from crisisdesk.channels.outgoing import NEEDS, AttachmentLimits, Outbound, Sent
from crisisdesk.channels.signatures import check_token, header
from crisisdesk.channels.telegram.client import BotApi
from crisisdesk.channels.telegram.config import TelegramConfig
from crisisdesk.channels.telegram.mapping import map_update
from crisisdesk.channels.telegram.sending import ATTACHMENTS, attachment_refusal, send

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


class TelegramConnector:
    """A bot's updates, one per webhook request, with our secret token in a header; it replies in
    the chat, deletes messages and bans members of groups (see :mod:`.sending`).

    Publishing needs a place to publish: only a channel whose configuration names a
    ``publish_chat`` can. As with X, the two are two classes with fixed capabilities;
    ``TelegramConnector(config)`` gives the one the configuration can serve."""

    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.WEBHOOK, Capability.REPLY_PUBLIC, Capability.REPLY_PRIVATE, Capability.DELETE,
        Capability.BLOCK, Capability.ATTACHMENTS})
    #: One file per reply, with the text as its caption (sendPhoto / sendDocument).
    attachment_limits: ClassVar[AttachmentLimits] = ATTACHMENTS

    def __new__(cls, config: TelegramConfig) -> TelegramConnector:
        if cls is TelegramConnector and config.publish_chat is not None:
            return super().__new__(TelegramPublishingConnector)
        return super().__new__(cls)

    def __init__(self, config: TelegramConfig) -> None:
        self.config = config
        self.bot_id = config.bot_token.get_secret_value().split(":", 1)[0]

    @property
    def key(self) -> str:
        return self.config.key

    def check(self) -> CheckResult:
        """``getMe`` (the bot), then ``getWebhookInfo``: Telegram's own view of our webhook, whose
        last error is the only place a refused delivery shows on Telegram's side."""
        api = BotApi(self.config)
        try:
            me = api.call("getMe")
            hook = api.call("getWebhookInfo")
        finally:
            api.close()
        details = {"username": f"@{me.get('username')}", "id": str(me.get("id"))}
        if isinstance(hook, dict):
            details["webhook"] = hook.get("url") or "(none set)"
            details["pending_updates"] = str(hook.get("pending_update_count", 0))
            if hook.get("last_error_message"):
                details["last_error"] = str(hook["last_error_message"])
        if self.config.publish_chat:
            details["publishes to"] = self.config.publish_chat
        return CheckResult(f"@{me.get('username')} ({me.get('id')})", details)

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        check_token(header(headers, SECRET_HEADER), secret=self.config.secret_token.get_secret_value(),
                    name=SECRET_HEADER)

    def parse(self, body: bytes) -> Delivery:
        return map_update(load_json(body), bot_id=self.bot_id, channel=self.key)

    def attachment_refusal(self, outbound: Outbound) -> str | None:
        return attachment_refusal(outbound)

    def send(self, outbound: Outbound) -> Sent:
        if NEEDS[outbound.action] not in self.capabilities:
            raise PlatformError(f"a Telegram bot cannot {outbound.action.value}", permanent=True)
        api = BotApi(self.config)
        try:
            return send(api, outbound, bot_id=self.bot_id, publish_chat=self.config.publish_chat)
        finally:
            api.close()


class TelegramPublishingConnector(TelegramConnector):
    """A bot with a ``publish_chat``: it also publishes our posts there (``sendMessage``)."""

    capabilities: ClassVar[frozenset[Capability]] = TelegramConnector.capabilities | {Capability.PUBLISH}
