"""Running the inbox rules on every new inbound message of a conversation, in order, each run kept.

Rules run inside the pipeline's transaction, right after the message joined its conversation: the
tags, priority, assignment and ticket they set and the outbox items they queue (automatic replies,
the move to a private conversation, hiding) commit with the message or not at all, and the outbox
sends only after the commit. Their idempotency keys name the rule, the message and the action, so
a message processed twice never answers twice. A dry run (:meth:`RuleEngine.dry_run`) evaluates
the same conditions on stored messages and says what would have happened, changing nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.accounts.models import User
from crisisdesk.audit.service import Actor
from crisisdesk.channels import outbox
from crisisdesk.channels.base import Action, Connector
from crisisdesk.inbox import service
from crisisdesk.inbox.calendar import BusinessCalendar
from crisisdesk.inbox.errors import InboxError
from crisisdesk.inbox.models import (
    Conversation,
    ConversationStatus,
    ModerationReview,
    Priority,
    ReviewStatus,
    RuleRun,
)
from crisisdesk.inbox.rules_config import RuleConfig, Texts, When
from crisisdesk.inbox.texts import fill, values_for
from crisisdesk.pipeline.events import NormalizedPost, StoredPost
from crisisdesk.posts.models import Author, Post
from crisisdesk.sources.matcher import MonitorSet


@dataclass
class Message:
    """What a condition reads of one inbound message (a stored post or one being stored)."""

    post_id: int
    doc: Any  # for the query: text, lang, platform, kind, author_handle, author_name
    channel: str | None
    platform: str
    public: bool | None
    kind: str
    lang: str | None
    sentiment: str | None
    insult: bool
    insult_score: float | None
    complaint_types: list[str]
    monitors: list[str]
    followers: int | None
    verified: bool | None
    #: When the person wrote it (the business_hours condition); None: not known.
    at: datetime | None = None


@dataclass
class Outcome:
    rule: str
    post_id: int
    conversation_id: int
    actions: list[dict[str, Any]] = field(default_factory=list)


def from_normalized(stored: StoredPost) -> Message:
    p: NormalizedPost = stored.post
    e = p.enrichment or {}
    return Message(
        stored.post_id,
        p,
        p.channel,
        p.platform,
        None if p.visibility is None else p.visibility == "public",
        p.kind,
        p.lang,
        (e.get("sentiment") or {}).get("label"),
        (e.get("insult") or {}).get("label") == "offense",
        (e.get("insult") or {}).get("score"),
        list(e.get("complaint_types") or []),
        list(p.monitors),
        p.author.followers if p.author else None,
        p.author.verified if p.author else None,
        p.created_at,
    )


class RuleEngine:
    def __init__(
        self,
        rules: Sequence[RuleConfig],
        *,
        connectors: Callable[[], Mapping[str, Connector]],
        calendar: BusinessCalendar | None = None,
    ) -> None:
        self.rules = [r for r in rules if r.enabled]
        self._connectors = connectors
        self.calendar = calendar or BusinessCalendar()
        self._queries = {
            r.name: MonitorSet.compile([(r.name, r.when.query)]) for r in self.rules if r.when.query
        }

    def __bool__(self) -> bool:
        return bool(self.rules)

    def matches(self, rule: RuleConfig, m: Message) -> bool:
        w: When = rule.when
        checks = (
            (w.channel, m.channel),
            (w.platform, m.platform),
            (w.kind, m.kind),
            (w.lang, m.lang),
            (w.sentiment, m.sentiment),
        )
        if any(wanted is not None and value not in wanted for wanted, value in checks):
            return False
        if w.public is not None and m.public is not w.public:
            return False
        if w.insult is not None and m.insult is not w.insult:
            return False
        if w.insult_score_at_least is not None and (m.insult_score or 0.0) < w.insult_score_at_least:
            return False
        if w.complaint_types is not None and not set(w.complaint_types) & set(m.complaint_types):
            return False
        if w.monitor is not None and not set(w.monitor) & set(m.monitors):
            return False
        if w.min_followers is not None and (m.followers or 0) < w.min_followers:
            return False
        if w.verified is not None and bool(m.verified) is not w.verified:
            return False
        if w.business_hours is not None and (
            m.at is None or self.calendar.is_open(m.at) is not w.business_hours
        ):
            return False
        query = self._queries.get(rule.name)
        return query is None or bool(query.match(m.doc))

    def apply(
        self, session: Session, messages: Sequence[Message], conversation_of: Mapping[int, int], now: datetime
    ) -> list[Outcome]:
        """Run the rules on each message of a conversation; record and return what each did."""
        outcomes: list[Outcome] = []
        for m in messages:
            cid = conversation_of.get(m.post_id)
            if cid is None:
                continue
            for rule in self.rules:
                if not self.matches(rule, m):
                    continue
                conversation = session.get(Conversation, cid)
                if conversation is None:
                    break
                outcome = Outcome(rule.name, m.post_id, cid)
                for i, action in enumerate(rule.then):
                    outcome.actions.append(
                        self._act(
                            session, rule, i, action.kind, getattr(action, action.kind), conversation, m, now
                        )
                    )
                session.add(
                    RuleRun(
                        rule=rule.name,
                        post_id=m.post_id,
                        conversation_id=cid,
                        at=now,
                        actions=outcome.actions,
                    )
                )
                outcomes.append(outcome)
                if rule.stop:
                    break
        session.flush()
        return outcomes

    def _act(
        self,
        session: Session,
        rule: RuleConfig,
        index: int,
        kind: str,
        value: Any,
        conversation: Conversation,
        m: Message,
        now: datetime,
    ) -> dict[str, Any]:
        actor = Actor(f"rule:{rule.name}")
        done: dict[str, Any] = {"action": kind}
        try:
            if kind == "tag":
                service.change(
                    session,
                    conversation,
                    service.Change(tags=[*conversation.tags, value]),
                    actor=actor,
                    now=now,
                )
            elif kind == "priority":
                service.change(
                    session, conversation, service.Change(priority=Priority(value)), actor=actor, now=now
                )
            elif kind == "status":
                service.change(
                    session,
                    conversation,
                    service.Change(status=ConversationStatus(value)),
                    actor=actor,
                    now=now,
                )
            elif kind == "team":
                service.change(session, conversation, service.Change(team=value), actor=actor, now=now)
            elif kind == "assign":
                user_id = session.scalar(
                    select(User.id).where(func.lower(User.email) == str(value).lower(), User.active)
                )
                if user_id is None:
                    raise InboxError(f"no active user {value!r} to assign to")
                service.change(
                    session, conversation, service.Change(assignee_user_id=user_id), actor=actor, now=now
                )
            elif kind == "ticket":
                done["ticket"] = service.open_ticket(session, conversation, actor=actor, now=now)
            elif kind in ("reply", "reply_private", "hide"):
                action = {
                    "reply": Action.REPLY_PRIVATE if m.public is False else Action.REPLY_PUBLIC,
                    "reply_private": Action.REPLY_PRIVATE,
                    "hide": Action.HIDE,
                }[kind]
                text = None if kind == "hide" else render(value, session, conversation, m)
                done["outbox"] = self._queue(session, rule, index, action, conversation, m, text, actor, now)
                if kind == "hide":  # a person confirms or restores what a rule hid
                    session.add(
                        ModerationReview(
                            post_id=m.post_id,
                            conversation_id=conversation.id,
                            rule=rule.name,
                            score=m.insult_score,
                            outbox_id=done["outbox"],
                            status=ReviewStatus.PENDING,
                            created_at=now,
                        )
                    )
            elif kind == "move_to_private":
                done["outbox"] = [
                    self._queue(
                        session,
                        rule,
                        index,
                        Action.REPLY_PUBLIC,
                        conversation,
                        m,
                        render(value.public, session, conversation, m),
                        actor,
                        now,
                        part="public",
                    ),
                    self._queue(
                        session,
                        rule,
                        index,
                        Action.REPLY_PRIVATE,
                        conversation,
                        m,
                        render(value.private, session, conversation, m),
                        actor,
                        now,
                        part="private",
                    ),
                ]
                service.change(
                    session,
                    conversation,
                    service.Change(tags=[*conversation.tags, "moved-to-private"]),
                    actor=actor,
                    now=now,
                )
        except (InboxError, outbox.OutboxError) as exc:
            done.update(ok=False, error=str(exc))
            return done
        done["ok"] = True
        return done

    def _queue(
        self,
        session: Session,
        rule: RuleConfig,
        index: int,
        action: Action,
        conversation: Conversation,
        m: Message,
        text: str | None,
        actor: Actor,
        now: datetime,
        part: str = "",
    ) -> int:
        if conversation.channel is None:
            raise InboxError("the conversation did not arrive through a connected channel")
        key = f"rule-{rule.name}-{m.post_id}-{index}{part}"[:128]
        item, _ = outbox.enqueue(
            session,
            outbox.OutboundRequest(
                channel=conversation.channel, action=action, idempotency_key=key, post_id=m.post_id, text=text
            ),
            connectors=self._connectors(),
            actor=actor,
            now=now,
        )
        return item.id

    def dry_run(
        self, session: Session, rule: RuleConfig, *, since: datetime, limit: int = 500
    ) -> tuple[int, list[dict[str, Any]]]:
        """What ``rule`` would have done on the newest ``limit`` inbound messages of conversations
        received since ``since``: how many were tried, and the ones it matched with its actions."""
        in_thread = (Conversation.platform == Post.platform) & (Conversation.thread == Post.conversation_id)
        rows = session.execute(
            select(Post, Author, Conversation.id)
            .join(Conversation, in_thread)
            .outerjoin(Author, Author.id == Post.author_id)
            .where(Post.ingested_at >= since)
            .order_by(Post.ingested_at.desc(), Post.id.desc())
            .limit(limit)
        ).all()
        engine = RuleEngine([rule], connectors=self._connectors, calendar=self.calendar)
        out = []
        for post, author, cid in rows:
            if engine.matches(rule, from_stored(session, post, author)):
                out.append(
                    {
                        "post_id": post.id,
                        "conversation_id": cid,
                        "text": post.text[:200],
                        "at": post.created_at.isoformat(),
                        "would": [t.kind for t in rule.then],
                    }
                )
        return len(rows), out


class _Doc:
    """A stored post as the query matcher reads it."""

    def __init__(self, post: Post, author: Author | None) -> None:
        self.text, self.lang, self.platform, self.kind = post.text, post.lang, post.platform, post.kind
        self.author_handle = author.handle if author else None
        self.author_name = author.name if author else None


def from_stored(session: Session, post: Post, author: Author | None) -> Message:
    from crisisdesk.sources.models import Monitor, MonitorMatch

    monitors = list(
        session.scalars(
            select(Monitor.name)
            .join(MonitorMatch, MonitorMatch.monitor_id == Monitor.id)
            .where(MonitorMatch.post_id == post.id)
        )
    )
    visibility = getattr(post, "visibility", None)
    return Message(
        post.id,
        _Doc(post, author),
        post.channel,
        post.platform,
        None if visibility is None else visibility == "public",
        post.kind,
        post.lang,
        post.sentiment,
        post.insult == "offense",
        post.insult_score,
        orjson.loads(post.complaint_types) if post.complaint_types else [],
        monitors,
        author.followers if author else None,
        author.verified if author else None,
        post.created_at,
    )


def render(texts: Texts, session: Session, conversation: Conversation, m: Message) -> str:
    """A rule's text for this message's conversation, in the message's language."""
    return fill(texts, m.lang, values_for(session, conversation, agent=None))
