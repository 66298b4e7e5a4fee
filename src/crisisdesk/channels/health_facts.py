"""Reading what channel health is judged from, and each channel's health as the page shows it.

A handful of indexed queries per channel (deliveries by channel and time, the cursor, the health
row, the outbox's last success): cheap enough to run every minute for every channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from crisisdesk.channels.base import Capability, Connector
from crisisdesk.channels.common_config import ChannelConfigBase
from crisisdesk.channels.health import DAY, ChannelFacts, Finding, HealthConfig, State, evaluate, state_of
from crisisdesk.channels.models import ChannelCursor, ChannelDelivery, ChannelHealth, OutboxItem, OutboxStatus


def _deliveries(conn: Connection, channel: str, start: datetime, end: datetime | None = None) -> int:
    where = [ChannelDelivery.channel == channel, ChannelDelivery.received_at >= start]
    if end is not None:
        where.append(ChannelDelivery.received_at < end)
    return int(conn.execute(select(func.count()).select_from(ChannelDelivery).where(*where)).scalar_one())


def facts_of(conn: Connection, key: str, capabilities: frozenset[Capability], now: datetime) -> ChannelFacts:
    """Everything :func:`crisisdesk.channels.health.evaluate` looks at, for one channel."""
    webhook, polls = Capability.WEBHOOK in capabilities, Capability.POLL in capabilities
    last = conn.execute(select(func.max(ChannelDelivery.received_at))
                        .where(ChannelDelivery.channel == key)).scalar_one()
    recent = _deliveries(conn, key, now - DAY) if last is not None and last >= now - DAY else 0
    yesterday = 0
    if webhook and recent:
        yesterday = _deliveries(conn, key, last - DAY, now - DAY)
    cursor = conn.execute(select(ChannelCursor).where(ChannelCursor.channel == key)).mappings().first()
    health = conn.execute(select(ChannelHealth).where(ChannelHealth.channel == key)).mappings().first()
    sent = conn.execute(select(func.max(OutboxItem.sent_at)).where(
        OutboxItem.channel == key, OutboxItem.status == OutboxStatus.SENT)).scalar_one()
    poll: dict[str, Any] = dict(cursor) if cursor is not None else {}
    word: dict[str, Any] = dict(health) if health is not None else {}
    return ChannelFacts(
        key=key, polls=polls, webhook=webhook, deliveries_24h=recent, last_delivery=last,
        same_time_yesterday=yesterday, failures=int(poll.get("failures") or 0),
        last_ok_at=poll.get("last_ok_at"), last_error=poll.get("last_error"),
        last_error_at=poll.get("last_error_at"), limited_since=poll.get("limited_since"),
        credentials_error=word.get("credentials_error"),
        credentials_error_at=word.get("credentials_error_at"),
        credentials_source=word.get("credentials_source"), checked_ok_at=word.get("checked_ok_at"),
        last_sent_at=sent)


@dataclass(frozen=True, slots=True)
class ChannelHealthView:
    """A channel's health as the page and ``channels list`` show it."""

    key: str
    state: State
    facts: ChannelFacts
    findings: list[Finding]


@dataclass(frozen=True, slots=True)
class HealthSubject:
    """What a channel is to health: its key, whether it is on, what it can do, its thresholds."""

    key: str
    enabled: bool
    capabilities: frozenset[Capability]
    config: HealthConfig
    platform: str = ""

    @classmethod
    def of(cls, channel: ChannelConfigBase, connector: Connector) -> HealthSubject:
        """From a validated channel block (every platform's has a ``platform``) and its connector."""
        return cls(channel.key, channel.enabled, connector.capabilities, channel.health,
                   str(getattr(channel, "platform", "")))


def health_of(conn: Connection, subjects: Sequence[HealthSubject],
              now: datetime) -> dict[str, ChannelHealthView]:
    """Each channel's facts, problems and state (a switched-off channel: no problems, ``disabled``)."""
    out: dict[str, ChannelHealthView] = {}
    for subject in subjects:
        facts = facts_of(conn, subject.key, subject.capabilities, now)
        findings = evaluate(facts, subject.config, now) if subject.enabled else []
        out[subject.key] = ChannelHealthView(subject.key, state_of(findings, enabled=subject.enabled), facts,
                                             findings)
    return out


def checked_at(conn: Connection, keys: Sequence[str]) -> Mapping[str, datetime | None]:
    """When each channel's credentials were last checked (by anyone, in any process)."""
    if not keys:
        return {}
    rows = conn.execute(select(ChannelHealth.channel, ChannelHealth.checked_at)
                        .where(ChannelHealth.channel.in_(list(keys))))
    return {r.channel: r.checked_at for r in rows}
