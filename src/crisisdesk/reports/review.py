"""The after-action review of a crisis, built from the record: the key moments, the times people
ask for, the curves, what was said, by whom, and whether the public's mood recovered.

Every figure is computed from what crisisdesk stored while the crisis ran (posts, situations,
escalations, the outbox, tasks, the crisis timeline), never typed in; its definition is in
``docs/reviews.md`` and beside each function here. Times are in seconds; a figure whose moment
never happened (no reply was sent) is None, never zero.

Reach: the review shows the *audience* of the posts (the sum of their authors' followers), an
upper bound that the platforms' own reach figures (where a connector reports them) replace in the
analytics; it is labelled as such everywhere.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crisisdesk.channels.models import OutboxItem, OutboxStatus
from crisisdesk.channels.outgoing import Action
from crisisdesk.crises.models import CrisisMode, CrisisTask
from crisisdesk.detection.models import Situation
from crisisdesk.detection.summary import display_term
from crisisdesk.escalation.models import Escalation
from crisisdesk.posts.models import Author, Post
from crisisdesk.reports import questionnaire, team
from crisisdesk.reports.actions import improvements, notes_of
from crisisdesk.reports.scope import Scope, scope_of
from crisisdesk.sources.models import MonitorMatch
from crisisdesk.updates.config import channel_kind
from crisisdesk.updates.models import StakeholderUpdate, UpdateStatus

#: Sentiment before and after the crisis is read over this long on the same monitors.
AROUND = timedelta(hours=24)
#: The mood recovered when the negative share after is at most this much above the share before.
RECOVERY_MARGIN = 0.05
#: The task of the playbooks' checklists that stands for the holding statement.
HOLDING_TASK = "holding_statement"


def step_for(span: timedelta) -> timedelta:
    """The curves' bucket: an hour up to three days, six hours up to three weeks, else a day."""
    if span <= timedelta(days=3):
        return timedelta(hours=1)
    if span <= timedelta(days=21):
        return timedelta(hours=6)
    return timedelta(days=1)


def _floor(at: datetime, step: timedelta) -> datetime:
    seconds = int(step.total_seconds())
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=at.tzinfo)


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return max(0.0, (later - earlier).total_seconds())


def build_review(session: Session, crisis_id: int, *, now: datetime) -> dict[str, Any] | None:
    """The review's record and figures (None: no such crisis)."""
    scope = scope_of(session, crisis_id, now=now)
    if scope is None:
        return None
    posts = _posts(session, scope)
    sent = team.replies(session, scope)
    milestones = _milestones(session, scope, posts, sent)
    at = {m["key"]: m["at"] for m in milestones}
    detected = at.get("detected")
    alerted = at.get("first_alert")
    figures = {
        "time_to_detect": _seconds(detected, at.get("first_post")),
        "time_to_alert": _seconds(alerted, detected),
        "time_to_acknowledge": _seconds(at.get("acknowledged"), alerted or detected),
        "time_to_first_public_response": _seconds(at.get("first_public_response"), detected),
        "time_to_holding_statement": _seconds(at.get("holding_statement"), detected),
        "time_to_resolution": _seconds(at.get("resolved"), detected),
    }
    c = scope.crisis
    return {
        "crisis": {
            "id": c.id,
            "title": c.title,
            "status": c.status,
            "severity": c.severity,
            "type": c.type,
            "monitors": list(c.monitors),
            "reasons": list(c.reasons or []),
            "opened_at": c.opened_at.isoformat(),
            "resolved_at": c.resolved_at.isoformat() if c.resolved_at else None,
        },
        "window": {"start": scope.start.isoformat(), "end": scope.end.isoformat()},
        "final": c.status == "resolved",
        "situations": [
            {"id": x.id, "cause": x.cause, "severity": x.severity, "opened_at": x.opened_at.isoformat(),
             "resolved_at": x.resolved_at.isoformat() if x.resolved_at else None}
            for x in scope.situations
        ],
        "milestones": [{**m, "at": m["at"].isoformat()} for m in milestones],
        "figures": figures,
        "posts": posts["summary"],
        "curve": posts["curve"],
        "step_seconds": posts["step"],
        "channels": posts["channels"],
        "complaint_types": posts["complaint_types"],
        "terms": _terms(scope),
        "sentiment": _sentiment(session, scope, posts["summary"]),
        "responses": team.responses(session, scope, sent),
        "sla_breaches": team.sla_breaches(session, scope),
        "team": team.said(session, scope, sent),
        "workload": team.workload(session, scope, sent),
        "notes": notes_of(session, crisis_id),
        "improvements": improvements(session, crisis_id, now=now),
        "questionnaire": questionnaire.summary(session, crisis_id),
    }


def _posts(session: Session, scope: Scope) -> dict[str, Any]:
    """One pass over the crisis's posts: the curve, the channels, the complaint types."""
    step = step_for(scope.end - scope.start)
    rows = session.execute(
        select(
            Post.created_at,
            Post.platform,
            Post.sentiment,
            Post.complaint_types,
            Author.followers,
            Post.likes,
            Post.shares,
            Post.replies,
        )
        .outerjoin(Author, Author.id == Post.author_id)
        .where(Post.id.in_(scope.post_ids()), Post.deleted_at.is_(None))
    )
    # volume, negative, audience, engagement, audience of the negative posts
    buckets: dict[datetime, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    channels: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # posts, negative, audience
    kinds: Counter[str] = Counter()
    kinds_by_bucket: dict[datetime, Counter[str]] = defaultdict(Counter)
    first: datetime | None = None
    total = negative = 0
    for created, platform, sentiment, complaint_types, followers, likes, shares, replies in rows:
        first = created if first is None or created < first else first
        neg = int(sentiment == "negative")
        audience = int(followers or 0)
        key = _floor(created, step)
        b = buckets[key]
        b[0] += 1
        b[1] += neg
        b[2] += audience
        b[3] += int(likes or 0) + int(shares or 0) + int(replies or 0)
        b[4] += audience * neg
        ch = channels[platform]
        ch[0] += 1
        ch[1] += neg
        ch[2] += audience
        total += 1
        negative += neg
        for kind in orjson.loads(complaint_types) if complaint_types else []:
            kinds[str(kind)] += 1
            kinds_by_bucket[key][str(kind)] += 1
    curve = [
        {
            "at": at.isoformat(),
            "volume": v[0],
            "negative": v[1],
            "audience": v[2],
            "engagement": v[3],
            "negative_audience": v[4],
            "complaint_types": dict(kinds_by_bucket.get(at, {})),
        }
        for at, v in sorted(buckets.items())
    ]
    return {
        "step": int(step.total_seconds()),
        "first": first,
        "peak": max(sorted(buckets.items()), key=lambda kv: kv[1][0])[0] if buckets else None,
        "summary": {
            "total": total,
            "negative": negative,
            "negative_share": round(negative / total, 4) if total else None,
            "audience": sum(v[2] for v in buckets.values()),
            "engagement": sum(v[3] for v in buckets.values()),
        },
        "curve": curve,
        "channels": [
            {
                "platform": p,
                "posts": v[0],
                "negative": v[1],
                "audience": v[2],
                "negative_share": round(v[1] / v[0], 4),
            }
            for p, v in sorted(channels.items(), key=lambda kv: (-kv[1][0], kv[0]))
        ],
        "complaint_types": [
            {"type": k, "posts": n} for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }


def _milestones(session: Session, scope: Scope, posts: dict[str, Any],
                sent: list[team.Reply]) -> list[dict[str, Any]]:
    """The key moments, in time order; a moment that did not happen is left out."""
    c, sids = scope.crisis, scope.situation_ids
    found: list[tuple[str, datetime | None, dict[str, Any]]] = [
        ("first_post", posts["first"], {}),
        ("detected", min((s.opened_at for s in scope.situations), default=None), {}),
        ("crisis_opened", c.opened_at, {}),
    ]
    if sids:
        alert = session.execute(
            select(Escalation.started_at, Escalation.severity)
            .where(Escalation.situation_id.in_(sids))
            .order_by(Escalation.started_at)
            .limit(1)
        ).first()
        if alert is not None:
            found.append(("first_alert", alert[0], {"severity": alert[1]}))
        ack = session.execute(
            select(Situation.acknowledged_at, Situation.acknowledged_by)
            .where(Situation.id.in_(sids), Situation.acknowledged_at.is_not(None))
            .order_by(Situation.acknowledged_at)
            .limit(1)
        ).first()
        if ack is not None:
            found.append(("acknowledged", ack[0], {"by": ack[1]}))
    found.append(("type_confirmed", c.type_confirmed_at, {"by": c.type_confirmed_by, "type": c.type}))
    public = [(r.sent_at, r.channel, r.by) for r in sent if r.action == Action.REPLY_PUBLIC.value]
    held = session.execute(  # a public reply its approval gate held (and let go) is the crisis's too
        select(OutboxItem.sent_at, OutboxItem.channel, OutboxItem.created_by)
        .where(OutboxItem.crisis_id == c.id, OutboxItem.action == Action.REPLY_PUBLIC.value,
               OutboxItem.status == OutboxStatus.SENT, OutboxItem.sent_at.is_not(None))
        .order_by(OutboxItem.sent_at).limit(1)).first()
    if held is not None and held[0] is not None:
        public.append((held[0], held[1], held[2]))
    if public:
        first = min(public, key=lambda p: p[0])
        found.append(("first_public_response", first[0], {"channel": first[1], "by": first[2]}))
    holding = session.execute(
        select(CrisisTask.done_at, CrisisTask.done_by).where(
            CrisisTask.crisis_id == c.id, CrisisTask.key == HOLDING_TASK, CrisisTask.done_at.is_not(None)
        )
    ).first()
    updates = session.execute(
        select(StakeholderUpdate.published_at, StakeholderUpdate.published_by, StakeholderUpdate.audience,
               StakeholderUpdate.title, StakeholderUpdate.channels)
        .where(StakeholderUpdate.crisis_id == c.id, StakeholderUpdate.status == UpdateStatus.PUBLISHED)
        .order_by(StakeholderUpdate.published_at)).all()
    # the holding statement: the playbook's task ticked, or the first update that went out in public
    public_updates = [u for u in updates if any(channel_kind(ch) != "internal" for ch in u[4] or [])]
    firsts: list[tuple[datetime, str | None]] = []
    if holding is not None and holding[0] is not None:
        firsts.append((holding[0], holding[1]))
    firsts += [(u[0], u[1]) for u in public_updates[:1] if u[0] is not None]
    if firsts:
        first_said = min(firsts, key=lambda f: f[0])
        found.append(("holding_statement", first_said[0], {"by": first_said[1]}))
    for at, by, audience, title, channels in updates:
        found.append(("update", at, {"by": by, "audience": audience, "title": title,
                                     "channels": list(channels or [])}))
    mode = session.execute(
        select(CrisisMode.on_at, CrisisMode.on_by)
        .where(
            or_(CrisisMode.crisis_id == c.id, CrisisMode.crisis_id.is_(None)),
            CrisisMode.on_at >= scope.start,
            CrisisMode.on_at <= scope.end,
        )
        .order_by(CrisisMode.on_at)
        .limit(1)
    ).first()
    if mode is not None:
        found.append(("crisis_mode", mode[0], {"by": mode[1]}))
    found.append(("peak", posts["peak"], {"step_seconds": posts["step"]}))
    found.append(("resolved", c.resolved_at, {}))
    happened = sorted(((k, at, d) for k, at, d in found if at is not None), key=lambda m: m[1])
    return [{"key": k, "at": at, **({"detail": d} if d else {})} for k, at, d in happened]


def _terms(scope: Scope) -> list[dict[str, Any]]:
    """The terms that moved, situation by situation, as people wrote them."""
    out = []
    for s in scope.situations:
        try:
            stored = orjson.loads(s.explanation or "{}")
        except orjson.JSONDecodeError:
            stored = {}
        raw = stored.get("top_terms", []) if isinstance(stored, dict) else []
        terms = [display_term(str(t)) for t in raw if str(t).strip()]
        if terms:
            out.append(
                {"at": s.opened_at.isoformat(), "situation": s.id, "cause": s.cause, "terms": terms[:8]}
            )
    return out


def _negative_share(session: Session, scope: Scope, start: datetime, end: datetime) -> dict[str, Any]:
    """The negative share of the crisis's monitors' posts in [start, end), each post once."""
    ids = (
        select(MonitorMatch.post_id)
        .where(
            MonitorMatch.monitor_id.in_(scope.monitor_ids),
            MonitorMatch.post_created_at >= start,
            MonitorMatch.post_created_at < end,
        )
        .distinct()
    )
    total, negative = session.execute(
        select(func.count(Post.id), func.count(Post.id).filter(Post.sentiment == "negative")).where(
            Post.id.in_(ids)
        )
    ).one()
    return {
        "posts": int(total),
        "negative": int(negative),
        "negative_share": round(int(negative) / int(total), 4) if total else None,
    }


def _sentiment(session: Session, scope: Scope, during: dict[str, Any]) -> dict[str, Any]:
    """Before (the day before its window), during, and after (the day after it ended): did the
    mood recover? After is read only once the crisis has ended and a whole day has been seen."""
    before = _negative_share(session, scope, scope.start - AROUND, scope.start)
    after: dict[str, Any] | None = None
    c = scope.crisis
    if c.resolved_at is not None:
        after = _negative_share(session, scope, scope.end, scope.end + AROUND)
    recovered: bool | None = None
    if after is not None and after["negative_share"] is not None and before["negative_share"] is not None:
        recovered = after["negative_share"] <= before["negative_share"] + RECOVERY_MARGIN
    return {
        "before": before,
        "during": {
            "posts": during["total"],
            "negative": during["negative"],
            "negative_share": during["negative_share"],
        },
        "after": after,
        "recovered": recovered,
        "margin": RECOVERY_MARGIN,
        "around_seconds": int(AROUND.total_seconds()),
    }
