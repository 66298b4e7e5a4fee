from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from crisisdesk.channels.attachments import read_all
from crisisdesk.channels.base import Capability, Delivery, Insights, PlatformError
from crisisdesk.channels.facebook import sending
from crisisdesk.channels.facebook.config import FacebookConfig
from crisisdesk.channels.facebook.mapping import (
    PUBLISHED_FIELDS,
    PUBLISHED_FIELDS_BASIC,
    map_entry,
    map_published,
)
from crisisdesk.channels.meta import insights
from crisisdesk.channels.meta.client import GraphClient
from crisisdesk.channels.meta.connector import MetaConnector
from crisisdesk.channels.meta.media import MESSENGER_TYPES, upload_messenger
from crisisdesk.channels.meta.sending import GraphCall, perform, refuse
from crisisdesk.channels.meta.webhook import Entry
from crisisdesk.channels.outgoing import AttachmentLimits, Outbound, Sent


class FacebookConnector(MetaConnector):
    """A page's feed and Messenger, from Meta's ``page`` webhooks; replies, private replies,
    hiding and deleting comments, and new posts on the page's feed, through the Graph API."""

    capabilities: ClassVar[frozenset[Capability]] = MetaConnector.capabilities | {
        Capability.REPLY_PUBLIC, Capability.REPLY_PRIVATE, Capability.HIDE, Capability.DELETE,
        Capability.DELIVERY_STATUS,  # Messenger and Instagram DM delivery and read watermarks
        Capability.ATTACHMENTS,  # in Messenger chats (attachment_refusal says where not)
        Capability.PUBLISH,  # a post on the page's feed (text)
        Capability.INSIGHTS,  # Page Insights: reach, views, followers
        Capability.OWN_POSTS}  # the page's posts with their reactions, comments and shares
    attachment_limits: ClassVar[AttachmentLimits] = sending.ATTACHMENTS

    check_fields = ("name", "id", "followers_count")
    envelope_object = "page"
    own_posts_edge = "published_posts"
    own_posts_fields = PUBLISHED_FIELDS
    own_posts_fallback_fields = PUBLISHED_FIELDS_BASIC

    def __init__(self, config: FacebookConfig) -> None:
        super().__init__(config)
        self.page = config

    @property
    def entry_account(self) -> str:
        return self.page.page_id

    def map_entry(self, entry: Entry) -> Delivery:
        return map_entry(entry, page_id=self.page.page_id, channel=self.key)

    def map_own_posts(self, items: list[Any]) -> Delivery:
        return map_published(items, page_id=self.page.page_id, channel=self.key)

    def insights(self, first: date, last: date, *, today: date) -> Insights:
        """Page Insights per day: reach is ``page_total_media_view_unique`` (the people who saw the
        page's content; Meta retired ``page_impressions_unique`` for it in 2025), impressions
        ``page_media_view`` (how often it was shown), engagements ``page_post_engagements``
        (reactions, comments, shares and clicks on the page's posts); followers the page's ``followers_count``
        (for ``today``, when the range holds it). Needs the ``read_insights`` and
        ``pages_read_engagement`` permissions."""
        with GraphClient(self.config) as graph:
            return insights.collect(graph, self.page.page_id, first, last, {
                "reach": _series("page_total_media_view_unique"),
                "impressions": _series("page_media_view"),
                "engagements": _series("page_post_engagements")}, today=today)

    def plan(self, outbound: Outbound) -> GraphCall:
        return sending.plan(outbound, page_id=self.page.page_id)

    def attachment_refusal(self, outbound: Outbound) -> str | None:
        return sending.attachment_refusal(outbound, page_id=self.page.page_id)

    def send(self, outbound: Outbound) -> Sent:
        """With files (a Messenger chat): every file uploaded first (nothing reaches the person
        yet), then the text, then one message per file. A file message that fails after the text
        went out is a permanent failure naming what arrived: repeating would send the text twice."""
        if not outbound.attachments:
            return super().send(outbound)
        page = self.page.page_id
        text_call = self.plan(outbound)
        why = sending.attachment_refusal(outbound, page_id=page)
        if why:
            raise refuse(outbound, why)
        files = read_all(outbound.attachments)
        with GraphClient(self.config) as graph:
            uploaded = [(MESSENGER_TYPES[f.kind], upload_messenger(graph, page, f, data))
                        for f, data in files]
        text_sent = perform(self.config, text_call)
        mids = []
        for (kind, attachment_id), (file, _) in zip(uploaded, files, strict=True):
            try:
                mids.append(perform(self.config, sending.attachment_message(
                    outbound, page_id=page, kind=kind, attachment_id=attachment_id)).external_id or "")
            except PlatformError as exc:
                raise PlatformError(f"the text arrived (message {text_sent.external_id}) but {file.filename} "
                                    f"did not: {exc}; it is not sent again (the text would arrive twice)",
                                    code=exc.code, permanent=True, reauthorize=exc.reauthorize) from exc
        return sending.files_sent(text_sent, mids)


def _series(metric: str) -> insights.Reader:
    def read(graph: GraphClient, account: str, first: date, last: date) -> dict[date, int]:
        return insights.daily_series(graph, account, metric, first, last, most_days=PAGE_SPAN_DAYS)
    return read


#: Meta answers at most 90 days of Page Insights per call.
PAGE_SPAN_DAYS = 90
