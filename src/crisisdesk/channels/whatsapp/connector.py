from __future__ import annotations

from typing import ClassVar

from crisisdesk.channels.attachments import read_all
from crisisdesk.channels.base import Capability, Delivery
from crisisdesk.channels.meta.client import GraphClient
from crisisdesk.channels.meta.connector import MetaConnector
from crisisdesk.channels.meta.media import upload_whatsapp
from crisisdesk.channels.meta.sending import GraphCall, perform, refuse
from crisisdesk.channels.meta.webhook import Entry
from crisisdesk.channels.outgoing import AttachmentLimits, Outbound, Sent
from crisisdesk.channels.whatsapp import sending
from crisisdesk.channels.whatsapp.config import WhatsAppConfig
from crisisdesk.channels.whatsapp.mapping import map_entry


class WhatsAppConnector(MetaConnector):
    """One number of a WhatsApp business account, from Meta's ``whatsapp_business_account`` webhooks.

    The entry's id is the business account's, which may own several numbers; messages are routed by
    ``metadata.phone_number_id``, so a delivery for a sibling number is kept aside, not stored.
    It sends text messages (private replies); WhatsApp has no public replies and no moderation.
    """

    capabilities: ClassVar[frozenset[Capability]] = MetaConnector.capabilities | {
        Capability.DELIVERY_STATUS, Capability.REPLY_PRIVATE, Capability.ATTACHMENTS}
    attachment_limits: ClassVar[AttachmentLimits] = sending.ATTACHMENTS
    check_fields = ("display_phone_number", "verified_name", "quality_rating")
    envelope_object = "whatsapp_business_account"

    def __init__(self, config: WhatsAppConfig) -> None:
        super().__init__(config)
        self.number = config

    @property
    def entry_account(self) -> None:
        return None

    @property
    def check_id(self) -> str:
        return self.number.phone_number_id

    def map_entry(self, entry: Entry) -> Delivery:
        return map_entry(entry, phone_number_id=self.number.phone_number_id, channel=self.key)

    def plan(self, outbound: Outbound) -> GraphCall:
        return sending.plan(outbound, phone_number_id=self.number.phone_number_id)

    def attachment_refusal(self, outbound: Outbound) -> str | None:
        return sending.attachment_refusal(outbound)

    def send(self, outbound: Outbound) -> Sent:
        """A text message; with a file: the upload to ``/media``, then one message naming it."""
        if not outbound.attachments:
            return super().send(outbound)
        self.plan(outbound)  # refuses a call that lacks what it needs before anything is uploaded
        why = sending.attachment_refusal(outbound)
        if why:
            raise refuse(outbound, why)
        ((file, data),) = read_all(outbound.attachments[:1])
        with GraphClient(self.config) as graph:
            media_id = upload_whatsapp(graph, self.number.phone_number_id, file, data)
        return perform(self.config, sending.media_message(
            outbound, phone_number_id=self.number.phone_number_id, file=file, media_id=media_id))
