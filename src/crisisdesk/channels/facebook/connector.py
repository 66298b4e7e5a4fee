from __future__ import annotations

from crisisdesk.channels.base import Delivery
from crisisdesk.channels.facebook.config import FacebookConfig
from crisisdesk.channels.facebook.mapping import map_entry
from crisisdesk.channels.meta.connector import MetaConnector
from crisisdesk.channels.meta.webhook import Entry


class FacebookConnector(MetaConnector):
    """A page's feed and Messenger, from Meta's ``page`` webhooks."""

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
