from __future__ import annotations

from typing import ClassVar

from crisisdesk.channels.base import Capability, Delivery, Outbound
from crisisdesk.channels.instagram import sending
from crisisdesk.channels.instagram.config import InstagramConfig
from crisisdesk.channels.instagram.mapping import map_entry
from crisisdesk.channels.meta.connector import MetaConnector
from crisisdesk.channels.meta.sending import GraphCall
from crisisdesk.channels.meta.webhook import Entry


class InstagramConnector(MetaConnector):
    """Comments and direct messages of a professional account, from Meta's ``instagram`` webhooks;
    replies, private replies, hiding and deleting comments through the Graph API."""

    capabilities: ClassVar[frozenset[Capability]] = MetaConnector.capabilities | {
        Capability.REPLY_PUBLIC, Capability.REPLY_PRIVATE, Capability.HIDE, Capability.DELETE,
        Capability.DELIVERY_STATUS}  # Messenger and Instagram DM delivery and read watermarks

    check_fields = ("username", "name", "id")
    envelope_object = "instagram"

    def __init__(self, config: InstagramConfig) -> None:
        super().__init__(config)
        self.account = config

    @property
    def entry_account(self) -> str:
        return self.account.account_id

    def map_entry(self, entry: Entry) -> Delivery:
        return map_entry(entry, account_id=self.account.account_id, channel=self.key)

    def plan(self, outbound: Outbound) -> GraphCall:
        return sending.plan(outbound, account_id=self.account.account_id)
