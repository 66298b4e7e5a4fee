from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Any, ClassVar

from crisisdesk.channels.base import Capability, Delivery, Insights, Lookup
from crisisdesk.channels.instagram import mentions, sending
from crisisdesk.channels.instagram.config import InstagramConfig
from crisisdesk.channels.instagram.mapping import MEDIA_FIELDS, MEDIA_FIELDS_BASIC, map_entry, map_media
from crisisdesk.channels.meta import insights
from crisisdesk.channels.meta.client import GraphClient
from crisisdesk.channels.meta.connector import MetaConnector
from crisisdesk.channels.meta.sending import GraphCall
from crisisdesk.channels.meta.webhook import Entry
from crisisdesk.channels.outgoing import Outbound


class InstagramConnector(MetaConnector):
    """Comments and direct messages of a professional account, from Meta's ``instagram`` webhooks;
    replies, private replies, hiding and deleting comments through the Graph API."""

    capabilities: ClassVar[frozenset[Capability]] = MetaConnector.capabilities | {
        Capability.REPLY_PUBLIC, Capability.REPLY_PRIVATE, Capability.HIDE, Capability.DELETE,
        Capability.DELIVERY_STATUS,  # Messenger and Instagram DM delivery and read watermarks
        Capability.INSIGHTS,  # Account Insights: reach, views, followers
        Capability.OWN_POSTS,  # the account's media with their likes and comments
        Capability.LOOK_UP}  # @mentions: the webhook names them, the text is fetched

    check_fields = ("username", "name", "id", "followers_count")
    envelope_object = "instagram"
    own_posts_edge = "media"
    own_posts_fields = MEDIA_FIELDS
    own_posts_fallback_fields = MEDIA_FIELDS_BASIC

    def __init__(self, config: InstagramConfig) -> None:
        super().__init__(config)
        self.account = config

    @property
    def entry_account(self) -> str:
        return self.account.account_id

    def map_entry(self, entry: Entry) -> Delivery:
        return map_entry(entry, account_id=self.account.account_id, channel=self.key)

    def map_own_posts(self, items: list[Any]) -> Delivery:
        return map_media(items, account_id=self.account.account_id, channel=self.key)

    def look_up(self, lookup: Lookup, *, now: datetime) -> bytes:
        """A comment or caption that @mentions the account, read from the account node."""
        with GraphClient(self.config) as graph:
            return mentions.fetch(graph, self.account.account_id, lookup, now=now)

    def map_looked_up(self, data: dict[str, Any]) -> Delivery | None:
        if not mentions.is_answer(data):
            return None
        return mentions.map_answer(data, account_id=self.account.account_id, channel=self.key)

    def insights(self, first: date, last: date, *, today: date) -> Insights:
        """Account Insights per day: reach (a daily series, at most 30 days per call), impressions
        from ``views`` (Meta's replacement for the retired ``impressions``; a ``total_value``
        metric, asked day by day), engagements ``total_interactions`` (likes, comments, saves,
        shares and replies; also a total), followers the account's ``followers_count`` (for
        ``today``, when the range holds it). Needs the
        ``instagram_manage_insights`` (or ``instagram_business_manage_insights``) permission."""
        with GraphClient(self.config) as graph:
            return insights.collect(graph, self.account.account_id, first, last, {
                "reach": _reach,
                "impressions": partial(_totals, "views"),
                "engagements": partial(_totals, "total_interactions")},
                today=today)

    def plan(self, outbound: Outbound) -> GraphCall:
        return sending.plan(outbound, account_id=self.account.account_id)


#: Meta answers at most 30 days of Instagram account insights per call.
ACCOUNT_SPAN_DAYS = 30


def _totals(metric: str, graph: GraphClient, account: str, first: date, last: date) -> dict[date, int]:
    return insights.daily_totals(graph, account, metric, first, last)


def _reach(graph: GraphClient, account: str, first: date, last: date) -> dict[date, int]:
    return insights.daily_series(graph, account, "reach", first, last, most_days=ACCOUNT_SPAN_DAYS)
