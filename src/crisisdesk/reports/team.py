"""What the team did during a crisis, for its review: replies sent to its posts and how fast, per
channel; SLA breaches; replies held for approval and the checker's findings; work per person.

A reply is the crisis's when it answers one of its posts (:meth:`Scope.post_ids`); a reply held by
the approval gate carries the crisis it was held for. Response time runs from the post answered
(its time on the platform) to our reply reaching the platform.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.channels.base import Action
from crisisdesk.channels.models import ApprovalState, OutboxItem, OutboxStatus
from crisisdesk.crises.models import CrisisAction, CrisisTask
from crisisdesk.inbox.models import Conversation, ConversationEvent
from crisisdesk.inbox.performance import spread
from crisisdesk.posts.models import Post
from crisisdesk.reports.scope import Scope

REPLIES = (Action.REPLY_PUBLIC.value, Action.REPLY_PRIVATE.value)
#: The system's own entries on the timeline are nobody's work.
SYSTEM = "crisisdesk"


def _replies(session: Session, scope: Scope) -> list[tuple[str, str, datetime, datetime, str]]:
    """Sent replies that answer a crisis post: (channel, action, answered post's time, sent, by)."""
    rows = session.execute(
        select(
            OutboxItem.channel, OutboxItem.action, Post.created_at, OutboxItem.sent_at, OutboxItem.created_by
        )
        .join(Post, Post.id == OutboxItem.post_id)
        .where(
            OutboxItem.post_id.in_(scope.post_ids()),
            OutboxItem.action.in_(REPLIES),
            OutboxItem.status == OutboxStatus.SENT,
            OutboxItem.sent_at.is_not(None),
        )
    )
    return [
        (str(ch), str(a), created, sent, str(by)) for ch, a, created, sent, by in rows if sent is not None
    ]


def responses(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Per channel: replies sent to crisis posts and the time from the post to the reply reaching
    the platform (median, 90th percentile), and how many of the channel's crisis posts got one."""
    by_channel: dict[str, list[float]] = defaultdict(list)
    for channel, _action, created, sent, _by in _replies(session, scope):
        by_channel[channel].append(max(0.0, (sent - created).total_seconds()))
    ours = dict(
        session.execute(
            select(Post.channel, func.count(Post.id))
            .where(Post.id.in_(scope.post_ids()), Post.channel.is_not(None))
            .group_by(Post.channel)
        ).all()
    )
    answered = dict(
        session.execute(
            select(OutboxItem.channel, func.count(func.distinct(OutboxItem.post_id)))
            .where(
                OutboxItem.post_id.in_(scope.post_ids()),
                OutboxItem.action.in_(REPLIES),
                OutboxItem.status == OutboxStatus.SENT,
            )
            .group_by(OutboxItem.channel)
        ).all()
    )
    out = []
    for channel in sorted({*by_channel, *(str(k) for k in ours)}):
        posts = int(ours.get(channel, 0))
        done = int(answered.get(channel, 0))
        out.append(
            {
                "channel": channel,
                "posts": posts,
                "answered": done,
                "response_rate": round(done / posts, 4) if posts else None,
                "response_seconds": spread(by_channel.get(channel, [])),
            }
        )
    return out


def sla_breaches(session: Session, scope: Scope) -> int:
    """Conversations of crisis posts whose SLA was breached during the crisis, each once."""
    e = ConversationEvent
    threads = (
        select(Conversation.id)
        .join(Post, (Post.platform == Conversation.platform) & (Post.conversation_id == Conversation.thread))
        .where(Post.id.in_(scope.post_ids()))
    )
    return int(
        session.scalar(
            select(func.count(func.distinct(e.conversation_id))).where(
                e.kind == "sla.breached",
                e.at >= scope.start,
                e.at <= scope.end,
                e.conversation_id.in_(threads),
            )
        )
        or 0
    )


def said(session: Session, scope: Scope) -> dict[str, Any]:
    """What the team said: replies sent (public, private), replies held for approval and what became
    of them, and the guideline checker's findings on the held ones."""
    sent = Counter(action for _c, action, _p, _s, _b in _replies(session, scope))
    held = session.execute(
        select(OutboxItem.approval_state, OutboxItem.findings).where(OutboxItem.crisis_id == scope.crisis.id)
    ).all()
    states = Counter(str(state) for state, _ in held if state is not None)
    findings: Counter[str] = Counter()
    for _, found in held:
        for f in found or []:
            if isinstance(f, dict) and f.get("code"):
                findings[str(f["code"])] += 1
    return {
        "replies_public": sent.get(Action.REPLY_PUBLIC.value, 0),
        "replies_private": sent.get(Action.REPLY_PRIVATE.value, 0),
        "held_for_approval": len(held),
        "approved": states.get(ApprovalState.APPROVED.value, 0),
        "rejected": states.get(ApprovalState.REJECTED.value, 0),
        "pending": states.get(ApprovalState.PENDING.value, 0),
        "findings": dict(sorted(findings.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def workload(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Per person: replies sent, replies approved or rejected, tasks done, other timeline actions."""
    people: dict[str, Counter[str]] = defaultdict(Counter)
    for _c, _a, _p, _s, by in _replies(session, scope):
        people[by]["replies"] += 1
    for (approver,) in session.execute(
        select(OutboxItem.approved_by).where(
            OutboxItem.crisis_id == scope.crisis.id, OutboxItem.approved_by.is_not(None)
        )
    ):
        people[str(approver)]["approvals"] += 1
    for (doer,) in session.execute(
        select(CrisisTask.done_by).where(
            CrisisTask.crisis_id == scope.crisis.id, CrisisTask.done_by.is_not(None)
        )
    ):
        people[str(doer)]["tasks"] += 1
    counted = {"task.done", "reply.approved", "reply.rejected", "reply.submitted"}
    for actor, kind in session.execute(
        select(CrisisAction.actor, CrisisAction.kind).where(CrisisAction.crisis_id == scope.crisis.id)
    ):
        if kind not in counted:
            people[str(actor)]["actions"] += 1
    people.pop(SYSTEM, None)
    kinds = ("replies", "approvals", "tasks", "actions")
    ranked = sorted(people.items(), key=lambda kv: (-sum(kv[1][k] for k in kinds), kv[0]))
    return [{"person": p, **{k: n[k] for k in kinds}} for p, n in ranked]
