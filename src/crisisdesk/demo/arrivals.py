"""Delivering a replay step's channel items the way the platforms would, and processing them.

For each item the demo plays the platform: a WhatsApp message, a Viber message or a comment on
the Facebook page becomes that platform's webhook body, signed with this run's secret and POSTed
to ``/webhooks/{key}`` of the demo's own web app, which verifies the raw bytes and stores the
delivery before answering, as for a real platform. An article is published on the demo's press
feed, and the ``rss`` channel fetches the feed through its own connector (conditional GET, its
cursor and the new entries stored in one transaction).

Then the step's deliveries are processed (:meth:`Runtime.process_deliveries`, the work of the
channels' background processor) before the replay moves on: the posts go through the pipeline
with their platform times while the stream clock is still at that step, so detection sees them
where they belong, and a run with the same seed gives the same result. The channel's own poller is
not started: it waits at least 30 wall seconds between fetches, which at the demo's pace is hours
of stream time; the demo fetches for it after every step that added an article.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import httpx

from crisisdesk.channels.base import Capability, PollingConnector
from crisisdesk.channels.polling import poll_once
from crisisdesk.core.clock import SystemClock
from crisisdesk.demo.dashboard_channels import ChannelBoard
from crisisdesk.demo.feed import NewsFeed
from crisisdesk.demo.own_channels import ChannelSecrets, DemoChannel, Way
from crisisdesk.demo.payloads import Article, signed_delivery
from crisisdesk.runtime import Runtime


@dataclass(frozen=True)
class Refusal:
    channel: str
    status: int
    reason: str


@dataclass
class Arrivals:
    """Sends to ``webhooks`` (the base URL of the app serving ``/webhooks/{key}``) and ``feed``."""

    runtime: Runtime
    webhooks: str
    credentials: ChannelSecrets
    feed: NewsFeed
    board: ChannelBoard
    #: Deliveries the web app did not accept (none, unless something is broken).
    refused: list[Refusal] = field(default_factory=list)
    _http: httpx.Client | None = None

    def deliver(self, items: Sequence[tuple[DemoChannel, dict[str, Any]]]) -> None:
        """Deliver ``items`` (in stream order), then process every stored delivery."""
        published: list[DemoChannel] = []
        for channel, post in items:
            row = self.board.rows[channel.key]
            if channel.way is Way.FEED:
                self.feed.publish(Article.of(post))
                row.sent += 1
                if channel not in published:
                    published.append(channel)
                continue
            body, headers = signed_delivery(channel, post, self.credentials)
            response = self._client().post(f"/webhooks/{channel.key}", content=body, headers=headers)
            if response.status_code == 200:
                row.sent += 1
            else:
                row.refused += 1
                self.refused.append(Refusal(channel.key, response.status_code, response.text[:200]))
        for channel in published:
            self.fetch(channel)
        self.process()

    def fetch(self, channel: DemoChannel) -> None:
        """One poll of a feed channel, as its poller would make it."""
        connector = self.runtime.connectors().get(channel.key)
        if connector is None or Capability.POLL not in connector.capabilities:
            raise RuntimeError(f"the demo workspace has no polling channel {channel.key}")
        poll_once(cast(PollingConnector, connector), engine=self.runtime.engine, clock=SystemClock())

    def process(self) -> None:
        """Turn every stored delivery into posts now, and bring the board up to date."""
        while (report := self.runtime.process_deliveries()).deliveries:
            self.board.count_posts(report.by_channel)
        self.board.refresh(self.runtime.engine)

    def _client(self) -> httpx.Client:
        if self._http is None:
            # Loopback only: no proxy from the environment between the demo and its own web app.
            self._http = httpx.Client(base_url=self.webhooks, timeout=30.0, trust_env=False)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
