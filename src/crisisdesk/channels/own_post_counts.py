"""Refreshing the counts of our own recent posts (reactions, comments, shares) for the analytics.

Where a platform's webhooks carry no counts (Meta's), a connector with
:attr:`Capability.OWN_POSTS` lists our posts of the last :data:`REFRESH_DAYS` days with their
counts after each successful credentials check of channel health; ``crisisdesk channels insights
KEY`` does it at once. The answers are stored as deliveries and processed like any other: a known
post whose counts changed is updated (the analytics' rollup moves by the difference), an unknown
one (published in the platform's own app) is stored as ours, an unchanged one changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from typing import cast

from sqlalchemy.engine import Engine

from crisisdesk.channels import service
from crisisdesk.channels.base import Capability, Connector, OwnPostsConnector, PayloadError
from crisisdesk.core.clock import Clock

#: How far back our posts' counts are refreshed: people go on reacting for days.
REFRESH_DAYS = 7


def reads_own_posts(connector: Connector) -> bool:
    return Capability.OWN_POSTS in connector.capabilities


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
    if bodies and stored is not None:
        stored()
    return listed
