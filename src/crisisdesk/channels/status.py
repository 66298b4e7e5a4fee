"""What the channels page shows of each channel: its health, what arrived, what was kept unparsed,
and what went out through it recently."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from crisisdesk.channels.health_alerts import open_alerts
from crisisdesk.channels.health_facts import ChannelHealthView, HealthSubject, health_of
from crisisdesk.channels.models import ChannelDelivery, OutboxItem, UnparsedItem
from crisisdesk.channels.service import ChannelCounts, channel_counts

#: How many of the latest unparsed parts and outbox items the page lists per channel.
LATEST = 10


@dataclass(frozen=True, slots=True)
class UnparsedBrief:
    what: str
    at: datetime
    delivery_id: int


@dataclass(frozen=True, slots=True)
class OutboxBrief:
    id: int
    action: str
    status: str
    delivery_state: str | None
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    subject: HealthSubject
    health: ChannelHealthView
    counts: ChannelCounts
    #: Posts the channel's deliveries brought since ``today`` (the reader's midnight).
    items_today: int
    unparsed: list[UnparsedBrief] = field(default_factory=list)
    outbox: list[OutboxBrief] = field(default_factory=list)
    #: The open alerts of the channel: (situation id, problem).
    alerts: list[tuple[int, str]] = field(default_factory=list)


def items_since(conn: Connection, channel: str, start: datetime) -> int:
    """Posts carried by the channel's deliveries received since ``start`` (from each processed
    delivery's counts: one range of the (channel, received_at) index, no join with the posts)."""
    total = conn.execute(select(func.sum(ChannelDelivery.counts["posts"].as_integer())).where(
        ChannelDelivery.channel == channel, ChannelDelivery.received_at >= start)).scalar_one()
    return int(total or 0)


def channel_status(conn: Connection, subjects: Sequence[HealthSubject], *, now: datetime,
                   today: datetime) -> list[ChannelStatus]:
    """Every channel's page entry, in the order of ``subjects`` (the configuration's)."""
    health = health_of(conn, subjects, now)
    alerts = open_alerts(conn)
    out = []
    for subject in subjects:
        key = subject.key
        unparsed = [UnparsedBrief(r.what, r.at, r.delivery_id) for r in conn.execute(
            select(UnparsedItem.what, UnparsedItem.at, UnparsedItem.delivery_id)
            .where(UnparsedItem.channel == key).order_by(UnparsedItem.id.desc()).limit(LATEST))]
        outbox = [OutboxBrief(r.id, r.action, r.status, r.delivery_state, r.last_error, r.created_at)
                  for r in conn.execute(
                      select(OutboxItem.id, OutboxItem.action, OutboxItem.status, OutboxItem.delivery_state,
                             OutboxItem.last_error, OutboxItem.created_at)
                      .where(OutboxItem.channel == key).order_by(OutboxItem.id.desc()).limit(LATEST))]
        mine = sorted((a.situation, a.problem) for (channel, _), a in alerts.items() if channel == key)
        out.append(ChannelStatus(subject, health[key], channel_counts(conn, key),
                                 items_since(conn, key, today), unparsed, outbox, mine))
    return out
