"""What a rule's conditions read of one inbound message, and the conditions as predicates.

A :class:`Message` is built once per message, from a post being stored
(:func:`from_normalized`, in the pipeline) or a stored one (:func:`from_stored`, dry runs); each
rule's conditions are compiled once into predicates (:func:`checks`), so that with hundreds of
rules a message is tried against a handful of cheap calls per rule. Queries of the monitoring
language and situations are not here: :class:`crisisdesk.inbox.rules.RuleEngine` matches the
queries of all rules in one pass and reads the open situations once per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.inbox.calendar import BusinessCalendar
from crisisdesk.inbox.models import Conversation
from crisisdesk.inbox.rules_config import When
from crisisdesk.pipeline.events import NormalizedPost, StoredPost
from crisisdesk.posts.models import Author, Post
from crisisdesk.sources.models import Monitor, MonitorMatch


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


Check = Callable[[Message], bool]


def situation_severity(m: Message, situations: Mapping[str, int]) -> int | None:
    """The severity of the worst open situation of the message's monitors (None: none is open)."""
    if not situations:
        return None
    return max((situations[n] for n in m.monitors if n in situations), default=None)


def checks(w: When, calendar: BusinessCalendar) -> tuple[Check, ...]:
    """The message conditions of ``w`` as predicates, only those given (compiled once per rule:
    with hundreds of rules, each message is tried against a handful of predicates per rule)."""
    out: list[Check] = []
    for wanted, attr in ((w.channel, "channel"), (w.platform, "platform"), (w.kind, "kind"), (w.lang, "lang"),
                         (w.sentiment, "sentiment")):
        if wanted is not None:
            allowed = frozenset(wanted)
            out.append(lambda m, a=attr, ok=allowed: getattr(m, a) in ok)  # type: ignore[misc]
    if w.public is not None:
        out.append(lambda m, v=w.public: m.public is v)  # type: ignore[misc]
    if w.insult is not None:
        out.append(lambda m, v=w.insult: m.insult is v)  # type: ignore[misc]
    if w.insult_score_at_least is not None:
        out.append(lambda m, v=w.insult_score_at_least: (m.insult_score or 0.0) >= v)  # type: ignore[misc]
    if w.complaint_types is not None:
        types = frozenset(w.complaint_types)
        out.append(lambda m: not types.isdisjoint(m.complaint_types))
    if w.monitor is not None:
        monitors = frozenset(w.monitor)
        out.append(lambda m: not monitors.isdisjoint(m.monitors))
    if w.min_followers is not None:
        out.append(lambda m, v=w.min_followers: (m.followers or 0) >= v)  # type: ignore[misc]
    if w.verified is not None:
        out.append(lambda m, v=w.verified: bool(m.verified) is v)  # type: ignore[misc]
    if w.business_hours is not None:
        out.append(lambda m, v=w.business_hours: m.at is not None and calendar.is_open(m.at) is v)  # type: ignore[misc]
    return tuple(out)


ConversationCheck = Callable[[Conversation, frozenset[str]], bool]

#: What :func:`crisisdesk.inbox.service.change` reports as changed, in the words of ``when.changed``.
CHANGED_FIELD = {"assignee_user_id": "assignee"}


def conversation_checks(w: When) -> tuple[ConversationCheck, ...]:
    """The conditions of ``w`` on the conversation as it is now, and on what a change touched
    (the second argument: the ``when.changed`` words of the fields; empty for a new message)."""
    out: list[ConversationCheck] = []
    if w.status is not None:
        statuses = frozenset(w.status)
        out.append(lambda c, _: c.status in statuses)
    if w.priority is not None:
        priorities = frozenset(p.value for p in w.priority)
        out.append(lambda c, _: c.priority in priorities)
    if w.tags is not None:
        tags = frozenset(w.tags)
        out.append(lambda c, _: not tags.isdisjoint(c.tags or ()))
    if w.assigned is not None:
        out.append(lambda c, _, v=w.assigned: (c.assignee_user_id is not None) is v)  # type: ignore[misc]
    if w.ticket is not None:
        out.append(lambda c, _, v=w.ticket: (c.ticket is not None) is v)  # type: ignore[misc]
    if w.changed is not None:
        touched = frozenset(w.changed)
        out.append(lambda _, changed: not touched.isdisjoint(changed))
    return tuple(out)


class _Doc:
    """A stored post as the query matcher reads it."""

    def __init__(self, post: Post, author: Author | None) -> None:
        self.text, self.lang, self.platform, self.kind = post.text, post.lang, post.platform, post.kind
        self.author_handle = author.handle if author else None
        self.author_name = author.name if author else None


def from_stored(session: Session, post: Post, author: Author | None) -> Message:
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
