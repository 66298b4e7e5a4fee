"""Reading our accounts' insights (reach, impressions, followers) into the analytics.

A connector with :attr:`Capability.INSIGHTS` is asked after each successful credentials check of
channel health (every ``health.check_hours``) for the last :data:`RECENT_DAYS` days, because Meta
fills and corrects its daily numbers for up to 48 hours; ``crisisdesk channels insights KEY
--days N`` fetches a longer past once. What it reports is written with
:func:`crisisdesk.reports.rollup.record_insight` (the latest word per channel and day wins; a figure
it did not give keeps what was known).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import cast

from sqlalchemy.engine import Engine

from crisisdesk.channels.base import Capability, Connector, Insights, InsightsConnector
from crisisdesk.core.clock import Clock
from crisisdesk.reports.rollup import record_insight

log = logging.getLogger(__name__)

#: Days asked after each check: today and the two before it, which Meta may still correct.
RECENT_DAYS = 3


def reads_insights(connector: Connector) -> bool:
    return Capability.INSIGHTS in connector.capabilities


def collect(engine: Engine, connector: Connector, *, clock: Clock, days: int = RECENT_DAYS,
            last: date | None = None) -> Insights:
    """Ask the platform for ``days`` days ending ``last`` (default today, UTC) and record them;
    returns what it said. Raises :class:`PlatformError` when it refused everything."""
    now = clock.now()
    end = last or now.date()
    found = cast(InsightsConnector, connector).insights(end - timedelta(days=days - 1), end, today=now.date())
    with engine.begin() as conn:
        for d in found.days:
            record_insight(conn, connector.key, d.day, now=now, followers=d.followers, reach=d.reach,
                           impressions=d.impressions, engagements=d.engagements)
    for refusal in found.refused:
        log.warning("channel %s: insights: %s", connector.key, refusal)
    return found


def summary(found: Insights) -> str:
    """One line for people: how many days came, and what was refused."""
    text = f"{len(found.days)} day(s) recorded"
    return f"{text}; refused: {'; '.join(found.refused)}" if found.refused else text
