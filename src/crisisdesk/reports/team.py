"""What the team did during a crisis, for its review: replies sent to its posts and how fast, per
channel; SLA breaches; replies held for approval and the checker's findings; work per person.

A reply is the crisis's when it answers one of its posts (:meth:`Scope.post_ids`); a reply held by
the approval gate carries the crisis it was held for. Response time runs from the post answered
(its time on the platform) to our reply reaching the platform.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.channels.models import ApprovalState, OutboxItem, OutboxStatus
from crisisdesk.channels.outgoing import Action
from crisisdesk.crises.models import CrisisAction, CrisisTask
from crisisdesk.inbox.models import Conversation, ConversationEvent
from crisisdesk.inbox.performance import spread
from crisisdesk.posts.models import Post
from crisisdesk.reports.scope import Scope
from crisisdesk.updates.models import StakeholderUpdate, UpdateStatus

REPLIES = (Action.REPLY_PUBLIC.value, Action.REPLY_PRIVATE.value)
#: The system's own entries on the timeline are nobody's work.
SYSTEM = "crisisdesk"


@dataclass(frozen=True)
class Reply:
    channel: str
    action: str
    post_id: int
    post_at: datetime
    sent_at: datetime
    by: str


def replies(session: Session, scope: Scope) -> list[Reply]:
    """Sent replies that answer a crisis post, oldest first. Only replies to posts written in the
    crisis's time are candidates; which of those posts are the crisis's is asked by post."""
    rows = session.execute(
        select(OutboxItem.channel, OutboxItem.action, Post.id, Post.created_at, OutboxItem.sent_at,
               OutboxItem.created_by)
        .join(Post, Post.id == OutboxItem.post_id)
        .where(OutboxItem.action.in_(REPLIES), OutboxItem.status == OutboxStatus.SENT,
               OutboxItem.sent_at.is_not(None), Post.created_at >= scope.start, Post.created_at <= scope.end)
    ).all()
    mine = scope.holding(session, (int(r[2]) for r in rows))
    out = [Reply(str(ch), str(a), int(pid), created, sent, str(by))
           for ch, a, pid, created, sent, by in rows if int(pid) in mine and sent is not None]
    out.sort(key=lambda r: (r.sent_at, r.post_id))
    return out


def responses(session: Session, scope: Scope, sent: list[Reply]) -> list[dict[str, Any]]:
    """Per channel: replies sent to crisis posts and the time from the post to the reply reaching
    the platform (median, 90th percentile), and how many of the channel's crisis posts got one."""
    by_channel: dict[str, list[float]] = defaultdict(list)
    answered: dict[str, set[int]] = defaultdict(set)
    for r in sent:
        by_channel[r.channel].append(max(0.0, (r.sent_at - r.post_at).total_seconds()))
        answered[r.channel].add(r.post_id)
    ours = {str(k): int(n) for k, n in session.execute(
        select(Post.channel, func.count(Post.id))
        .where(Post.id.in_(scope.post_ids()), Post.channel.is_not(None))
        .group_by(Post.channel))}
    out = []
    for channel in sorted({*by_channel, *ours}):
        posts = ours.get(channel, 0)
        done = len(answered.get(channel, ()))
        out.append({"channel": channel, "posts": posts, "answered": done,
                    "response_rate": round(done / posts, 4) if posts else None,
                    "response_seconds": spread(by_channel.get(channel, []))})
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


def said(session: Session, scope: Scope, sent_replies: list[Reply]) -> dict[str, Any]:
    """What the team said: stakeholder updates published (and sent back), replies sent (public,
    private), replies held for approval and what became of them, and the guideline checker's
    findings on the held replies and the submitted updates."""
    sent = Counter(r.action for r in sent_replies)
    held = session.execute(
        select(OutboxItem.approval_state, OutboxItem.findings).where(OutboxItem.crisis_id == scope.crisis.id)
    ).all()
    states = Counter(str(state) for state, _ in held if state is not None)
    findings: Counter[str] = Counter()
    for _, found in held:
        for f in found or []:
            if isinstance(f, dict) and f.get("code"):
                findings[str(f["code"])] += 1
    updates = session.execute(
        select(StakeholderUpdate.status, StakeholderUpdate.findings).where(
            StakeholderUpdate.crisis_id == scope.crisis.id)).all()
    statuses = Counter(str(status) for status, _ in updates)
    for _, found in updates:
        for f in found or []:
            if isinstance(f, dict) and f.get("code"):
                findings[str(f["code"])] += 1
    return {
        "updates_published": statuses.get(UpdateStatus.PUBLISHED.value, 0),
        "updates_rejected": session.scalar(select(func.count()).select_from(CrisisAction).where(
            CrisisAction.crisis_id == scope.crisis.id, CrisisAction.kind == "update.rejected")) or 0,
        "replies_public": sent.get(Action.REPLY_PUBLIC.value, 0),
        "replies_private": sent.get(Action.REPLY_PRIVATE.value, 0),
        "held_for_approval": len(held),
        "approved": states.get(ApprovalState.APPROVED.value, 0),
        "rejected": states.get(ApprovalState.REJECTED.value, 0),
        "pending": states.get(ApprovalState.PENDING.value, 0),
        "findings": dict(sorted(findings.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def workload(session: Session, scope: Scope, sent: list[Reply]) -> list[dict[str, Any]]:
    """Per person: replies sent, replies approved or rejected, tasks done, other timeline actions."""
    people: dict[str, Counter[str]] = defaultdict(Counter)
    for r in sent:
        people[r.by]["replies"] += 1
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
