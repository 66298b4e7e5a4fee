from __future__ import annotations

from typing import ClassVar

from crisisdesk.channels.base import Capability, Delivery, Outbound
from crisisdesk.channels.facebook import sending
from crisisdesk.channels.facebook.config import FacebookConfig
from crisisdesk.channels.facebook.mapping import map_entry
from crisisdesk.channels.meta.connector import MetaConnector
from crisisdesk.channels.meta.sending import GraphCall
from crisisdesk.channels.meta.webhook import Entry


class FacebookConnector(MetaConnector):
    """A page's feed and Messenger, from Meta's ``page`` webhooks; replies, private replies,
    hiding and deleting comments through the Graph API."""

    capabilities: ClassVar[frozenset[Capability]] = MetaConnector.capabilities | {
        Capability.REPLY_PUBLIC, Capability.REPLY_PRIVATE, Capability.HIDE, Capability.DELETE,
        Capability.DELIVERY_STATUS}  # Messenger and Instagram DM delivery and read watermarks

    check_fields = ("name", "id")
    envelope_object = "page"

    def __init__(self, config: FacebookConfig) -> None:
        super().__init__(config)
        self.page = config

    @property
    def entry_account(self) -> str:
        return self.page.page_id

    def map_entry(self, entry: Entry) -> Delivery:
        return map_entry(entry, page_id=self.page.page_id, channel=self.key)

    def plan(self, outbound: Outbound) -> GraphCall:
        return sending.plan(outbound, page_id=self.page.page_id)
