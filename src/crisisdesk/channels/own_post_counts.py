"""Refreshing the counts of our own posts (reactions, comments, shares, views) for the analytics.

Where a platform's webhooks carry no counts (Meta's), a connector with
:attr:`Capability.OWN_POSTS` lists our posts with their counts after each successful credentials
check of channel health: those of the last :data:`REFRESH_DAYS` days every time (most reactions
come in the first days), and once a day (:data:`HISTORY_EVERY`) those of the last
:data:`HISTORY_DAYS` days, so that the analytics' default period and the one it is compared with
see the late reactions to older posts too. ``crisisdesk channels insights KEY --days N`` reads N
days at once. The answers are stored as deliveries and processed like any other: a known
post whose counts changed is updated (the analytics' rollup moves by the difference), an unknown
one (published in the platform's own app) is stored as ours, an unchanged one changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import select
from sqlalchemy.engine import Engine

from crisisdesk.channels import service
from crisisdesk.channels.base import Capability, Connector, OwnPostsConnector, PayloadError
from crisisdesk.channels.models import ChannelHealth
from crisisdesk.core.clock import Clock

#: How far back our posts' counts are refreshed at every check: people go on reacting for days.
REFRESH_DAYS = 7
#: How far back they are read once every :data:`HISTORY_EVERY`: the analytics' default period (30
#: days) and the period it is compared with, with room to spare.
HISTORY_DAYS = 90
HISTORY_EVERY = timedelta(days=1)


def reads_own_posts(connector: Connector) -> bool:
    return Capability.OWN_POSTS in connector.capabilities


def days_due(engine: Engine, channel: str, now: datetime) -> int:
    """The days a check's refresh reads: :data:`HISTORY_DAYS` when the longer history was never
    read or not for :data:`HISTORY_EVERY`, else :data:`REFRESH_DAYS`."""
    with engine.connect() as conn:
        last = conn.execute(select(ChannelHealth.own_posts_history_at)
                            .where(ChannelHealth.channel == channel)).scalar_one_or_none()
    return HISTORY_DAYS if last is None or now - last >= HISTORY_EVERY else REFRESH_DAYS


def refresh(engine: Engine, connector: Connector, *, clock: Clock, days: int = REFRESH_DAYS,
            stored: Callable[[], None] | None = None) -> int:
    """Read our posts of the last ``days`` days and store the answers for the processor (woken
    by ``stored``); returns how many posts they listed. Raises :class:`PlatformError` when the
    platform refused."""
    now = clock.now()
    bodies = cast(OwnPostsConnector, connector).own_posts(now - timedelta(days=days), now=now)
    listed = 0
    for body in bodies:
        service.store_delivery(engine, channel=connector.key, body=body, now=now)
        with suppress(PayloadError):  # kept and reported by the processor like any delivery
            listed += len(connector.parse(body).posts)
    if days >= HISTORY_DAYS:
        with engine.begin() as conn:
            service.upsert_health(conn, connector.key, {"own_posts_history_at": now, "updated_at": now})
    if bodies and stored is not None:
        stored()
    return listed
