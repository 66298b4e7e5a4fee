"""How the team is doing: response and resolution times, replies per person and channel, and the
open workload per person, over a period (for the inbox's performance page and its API).

Times are measured from the first inbound message of a conversation (its ``created_at`` on the
platform) to our first reply reaching the platform, and to the conversation's resolution.
Medians and 90th percentiles, in seconds; None where nothing was measured. The page and the API
call :func:`report` with the bounds of :func:`window`, so both show the same numbers.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from enum import StrEnum
from statistics import median, quantiles
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.accounts.models import User
from crisisdesk.channels.models import OutboxItem, OutboxStatus
from crisisdesk.channels.outgoing import Action
from crisisdesk.inbox.models import Conversation, ConversationEvent, ConversationStatus
from crisisdesk.posts.models import Post


class Period(StrEnum):
    TODAY = "today"  # since midnight in the workspace's time zone
    DAYS_7 = "7d"
    DAYS_30 = "30d"


def window(period: Period, *, now: datetime, zone: str) -> tuple[datetime, datetime]:
    """The (since, until) of a period ending now; "today" starts at midnight where the team works."""
    if period is Period.TODAY:
        local = now.astimezone(ZoneInfo(zone))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight.astimezone(now.tzinfo), now
    return now - timedelta(days=7 if period is Period.DAYS_7 else 30), now


def sla_breaches(session: Session, *, since: datetime, until: datetime) -> int | None:
    """The tickets whose SLA was breached in the period (each ``sla.breached`` on a conversation's
    timeline is one target missed: :mod:`crisisdesk.inbox.sla_alerts`), counted once each."""
    e = ConversationEvent
    counted = select(func.count(func.distinct(e.conversation_id))).where(
        e.kind == "sla.breached", e.at >= since, e.at <= until
    )
    return int(session.scalar(counted) or 0)


def spread(values: list[float]) -> dict[str, float | int | None]:
    """Count, median and 90th percentile (seconds, to a tenth); None where nothing was measured."""
    if not values:
        return {"n": 0, "median": None, "p90": None}
    p90 = quantiles(values, n=10)[-1] if len(values) > 1 else values[0]
    return {"n": len(values), "median": round(median(values), 1), "p90": round(p90, 1)}


def report(session: Session, *, since: datetime, until: datetime) -> dict[str, Any]:
    first_inbound = (
        select(Post.platform, Post.conversation_id, func.min(Post.created_at).label("first"))
        .group_by(Post.platform, Post.conversation_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Conversation.first_response_at,
            Conversation.resolved_at,
            Conversation.status,
            first_inbound.c.first,
        )
        .join(
            first_inbound,
            (first_inbound.c.platform == Conversation.platform)
            & (first_inbound.c.conversation_id == Conversation.thread),
        )
        .where(Conversation.created_at >= since, Conversation.created_at < until)
    ).all()
    first_response = [
        (r.first_response_at - r.first).total_seconds()
        for r in rows
        if r.first_response_at is not None and r.first_response_at >= r.first
    ]
    resolution = [
        (r.resolved_at - r.first).total_seconds()
        for r in rows
        if r.status == ConversationStatus.RESOLVED and r.resolved_at is not None and r.resolved_at >= r.first
    ]
    replies = session.execute(
        select(OutboxItem.created_by, OutboxItem.channel, func.count())
        .where(
            OutboxItem.action.in_([Action.REPLY_PUBLIC.value, Action.REPLY_PRIVATE.value]),
            OutboxItem.status == OutboxStatus.SENT,
            OutboxItem.sent_at >= since,
            OutboxItem.sent_at < until,
        )
        .group_by(OutboxItem.created_by, OutboxItem.channel)
    ).all()
    workload = session.execute(
        select(User.id, User.name, User.email, func.count(Conversation.id))
        .join(Conversation, Conversation.assignee_user_id == User.id)
        .where(Conversation.status.in_([ConversationStatus.OPEN.value, ConversationStatus.PENDING.value]))
        .group_by(User.id, User.name, User.email)
    ).all()
    unassigned = (
        session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(
                Conversation.status == ConversationStatus.OPEN.value, Conversation.assignee_user_id.is_(None)
            )
        )
        or 0
    )
    waiting = (
        session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(
                Conversation.status == ConversationStatus.OPEN.value, Conversation.waiting_since.is_not(None)
            )
        )
        or 0
    )
    by_person: Counter[str] = Counter()
    by_channel: Counter[str] = Counter()
    for by, channel, n in replies:
        by_person[by] += n
        by_channel[channel] += n
    return {
        "since": since,
        "until": until,
        "conversations": len(rows),
        "first_response_seconds": spread(first_response),
        "resolution_seconds": spread(resolution),
        "replies": [{"by": by, "channel": channel, "count": n} for by, channel, n in replies],
        "replies_by_person": [{"by": k, "count": n} for k, n in sorted(by_person.items(), key=_most)],
        "replies_by_channel": [{"channel": k, "count": n} for k, n in sorted(by_channel.items(), key=_most)],
        "sla_breaches": sla_breaches(session, since=since, until=until),
        "workload": [
            {"user_id": uid, "name": name, "email": email, "open": n} for uid, name, email, n in workload
        ],
        "unassigned_open": int(unassigned),
        "waiting_for_us": int(waiting),
    }


def _most(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def by_channel(session: Session, *, since: datetime, until: datetime) -> dict[str, dict[str, Any]]:
    """Response rate and first-response time per channel (the channel's name, else the platform),
    over the conversations that began in the period, measured as :func:`report` measures them.

    The first inbound message is looked up per conversation (an index search on the posts'
    platform and conversation), so the cost follows the period's conversations, not all posts.
    """
    first = (
        select(func.min(Post.created_at))
        .where(Post.platform == Conversation.platform, Post.conversation_id == Conversation.thread)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Conversation.channel, Conversation.platform, Conversation.first_response_at, first)
        .where(Conversation.created_at >= since, Conversation.created_at < until)
    ).all()
    times: dict[str, list[float]] = {}
    counts: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    for channel, platform, responded, began in rows:
        key = channel or platform
        counts[key] += 1
        times.setdefault(key, [])
        if responded is not None:
            answered[key] += 1
            if began is not None and responded >= began:
                times[key].append((responded - began).total_seconds())
    return {
        key: {"conversations": n, "answered": answered[key], "rate": answered[key] / n,
              "first_response_seconds": spread(times[key])}
        for key, n in counts.items()
    }
