from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from crisisdesk.channels.base import Capability, CheckResult, Delivery, PlatformError, load_json
from crisisdesk.channels.outgoing import NEEDS, Outbound, Sent
from crisisdesk.channels.signatures import check_hmac, header
from crisisdesk.channels.viber.client import ViberApi
from crisisdesk.channels.viber.config import ViberConfig
from crisisdesk.channels.viber.mapping import map_callback
from crisisdesk.channels.viber.sending import send

SIGNATURE_HEADER = "X-Viber-Content-Signature"


class ViberConnector:
    """A bot's callbacks, signed with HMAC-SHA256 of the raw body under the bot's auth token; it
    answers people in their (always private) chat with the bot (see :mod:`.sending`)."""

    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.WEBHOOK, Capability.DELIVERY_STATUS, Capability.REPLY_PRIVATE})

    def __init__(self, config: ViberConfig) -> None:
        self.config = config

    @property
    def key(self) -> str:
        return self.config.key

    def check(self) -> CheckResult:
        """``get_account_info``: the bot's name, its webhook and subscriber count."""
        api = ViberApi(self.config)
        try:
            info = api.call("get_account_info")
        finally:
            api.close()
        details: dict[str, str] = {k: str(info[k]) for k in ("name", "uri", "webhook", "subscribers_count")
                                   if k in info}
        return CheckResult(f"{info.get('name', '?')} ({info.get('id', '?')})", details)

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        check_hmac(header(headers, SIGNATURE_HEADER), key=self.config.auth_token.get_secret_value(),
                   body=body, name=SIGNATURE_HEADER)

    def parse(self, body: bytes) -> Delivery:
        return map_callback(load_json(body), bot=self.key, channel=self.key)

    def send(self, outbound: Outbound) -> Sent:
        if NEEDS[outbound.action] not in self.capabilities:
            raise PlatformError(f"a Viber bot cannot {outbound.action.value}: every Viber chat is private",
                                permanent=True)
        api = ViberApi(self.config)
        try:
            return send(api, outbound, channel=self.key, sender_name=self.config.sender_name)
        finally:
            api.close()
