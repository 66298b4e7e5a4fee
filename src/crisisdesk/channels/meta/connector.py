"""The part every Meta connector shares: handshake, signature, envelope and sending, over one config."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from crisisdesk.channels.base import Capability, CheckResult, Delivery, PlatformError, Unparsed
from crisisdesk.channels.meta import own_posts, webhook
from crisisdesk.channels.meta.client import GraphClient
from crisisdesk.channels.meta.config import MetaChannelConfig
from crisisdesk.channels.meta.sending import GraphCall, perform, refuse
from crisisdesk.channels.meta.webhook import Entry, load_object
from crisisdesk.channels.outgoing import NEEDS, Outbound, Sent

log = logging.getLogger(__name__)

#: Graph fields shown under another name in a check's details (``followers`` is what channel
#: health records for the analytics).
_DETAIL = {"followers_count": "followers"}


class MetaConnector:
    """Subclasses name the envelope's ``object``, the account entries must be for, the mapping,
    and the Graph call each action they can take becomes (:meth:`plan`)."""

    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.WEBHOOK, Capability.HANDSHAKE})
    envelope_object: ClassVar[str]
    #: Messenger, Instagram and WhatsApp: free-form private messages only within 24 hours of the
    #: person's last message (CHANNEL-APIS.md §1.6, §2.3).
    private_reply_window: ClassVar[timedelta] = timedelta(hours=24)

    def __init__(self, config: MetaChannelConfig) -> None:
        self.config = config

    @property
    def key(self) -> str:
        return self.config.key

    @property
    def entry_account(self) -> str | None:
        raise NotImplementedError

    def map_entry(self, entry: Entry) -> Delivery:
        raise NotImplementedError

    #: Graph fields ``check`` reads from the account object, the first one naming the account.
    check_fields: ClassVar[tuple[str, ...]]

    def check(self) -> CheckResult:
        """The account the token opens (``GET /{id}``); raises :class:`PlatformError` otherwise."""
        graph = GraphClient(self.config)
        try:
            found = graph.get(self.entry_account or self.check_id, fields=",".join(self.check_fields))
        finally:
            graph.close()
        details = {_DETAIL.get(f, f): str(found[f]) for f in self.check_fields if f in found}
        name = next((details[f] for f in self.check_fields if f in details and f not in _DETAIL), "?")
        return CheckResult(f"{name} ({found.get('id', '?')})", details)

    @property
    def check_id(self) -> str:
        raise NotImplementedError

    def handshake(self, params: Mapping[str, str]) -> str:
        return webhook.handshake(params, verify_token=self.config.verify_token.get_secret_value())

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        webhook.verify(headers, body, app_secret=self.config.app_secret.get_secret_value())

    def parse(self, body: bytes) -> Delivery:
        """A webhook envelope, a page of our own posts that :meth:`own_posts` read, or an item a
        webhook only named, as a subclass's ``look_up`` read it (:meth:`map_looked_up`)."""
        data = load_object(body)
        if own_posts.is_listing(data):
            return self.map_own_posts(data["data"])
        looked_up = self.map_looked_up(data)
        if looked_up is not None:
            return looked_up
        return webhook.parse_envelope(data, expected_object=self.envelope_object,
                                      account_id=self.entry_account, map_entry=self.map_entry)

    #: The list edge of our posts and the fields asked for (a connector with
    #: :attr:`Capability.OWN_POSTS` names them).
    own_posts_edge: ClassVar[str] = ""
    own_posts_fields: ClassVar[str] = ""
    #: Fields asked again when Meta refuses ``own_posts_fields`` as such (an expanded insights
    #: metric it does not give, a permission the token lacks): the counts without those.
    own_posts_fallback_fields: ClassVar[str | None] = None

    def own_posts(self, since: datetime, *, now: datetime) -> list[bytes]:
        """Our posts since ``since`` with their counts, page by page as Meta answered."""
        edge = f"{self.entry_account}/{self.own_posts_edge}"
        with GraphClient(self.config) as graph:
            try:
                return own_posts.pages(graph, edge, self.own_posts_fields, since, now)
            except PlatformError as exc:
                if self.own_posts_fallback_fields is None or str(exc.code) not in own_posts.FIELD_REFUSALS:
                    raise
                log.warning("channel %s: our posts without their insights: %s", self.key, exc)
                return own_posts.pages(graph, edge, self.own_posts_fallback_fields, since, now)

    def map_looked_up(self, data: dict[str, Any]) -> Delivery | None:
        """An answer this connector's ``look_up`` stored, mapped; None: ``data`` is not one."""
        return None

    def map_own_posts(self, items: list[Any]) -> Delivery:
        """Our posts as :meth:`own_posts` read them (subclasses with :attr:`Capability.OWN_POSTS`)."""
        out = Delivery()
        out.unparsed.extend(Unparsed("a list of posts this channel does not read", item) for item in items)
        return out

    def send(self, outbound: Outbound) -> Sent:
        """One Graph call for ``outbound``; an action this channel cannot take is refused unsent."""
        if NEEDS[outbound.action] not in self.capabilities:
            raise refuse(outbound, f"channel {self.key} cannot do that")
        return perform(self.config, self.plan(outbound))

    def plan(self, outbound: Outbound) -> GraphCall:
        raise NotImplementedError
