"""The inbox's lists: which conversations a view holds, filtered and searched, a page at a time
(keyset cursors over the last activity), and the counts of every view in one pass."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import orjson
from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, or_, select
from sqlalchemy.orm import Session

from crisisdesk.inbox.errors import InboxError
from crisisdesk.inbox.models import Conversation, ConversationMention, ConversationStatus, ConversationWord
from crisisdesk.inbox.situations import Window, window
from crisisdesk.inbox.threads import words
from crisisdesk.posts.models import Post
from crisisdesk.sources.models import Monitor, MonitorMatch


class View(StrEnum):
    ALL = "all"
    MINE = "mine"
    UNASSIGNED = "unassigned"
    WAITING = "waiting"  # the person waits for our answer
    NEGATIVE = "negative"
    INSULTS = "insults"
    TEAM = "team"  # assigned to one of my teams
    MENTIONS = "mentions"  # a note @mentions me


@dataclass(frozen=True, slots=True)
class Filters:
    view: View = View.ALL
    status: ConversationStatus | None = ConversationStatus.OPEN
    channel: str | None = None
    monitor: str | None = None
    contact_id: int | None = None
    q: str | None = None
    #: Messages of one situation: its monitor's, written while it was open (see inbox.situations).
    situation: int | None = None


def _view_condition(view: View, user_id: int | None, teams: Sequence[str] = ()) -> ColumnElement[bool] | None:
    c = Conversation
    me = user_id if user_id is not None else -1
    if view is View.TEAM:
        return c.team.in_(list(teams)) if teams else false()
    if view is View.MENTIONS:
        return c.id.in_(select(ConversationMention.conversation_id).where(ConversationMention.user_id == me))
    if view is View.MINE:
        return c.assignee_user_id == (user_id if user_id is not None else -1)
    if view is View.UNASSIGNED:
        return and_(c.assignee_user_id.is_(None), c.team.is_(None))
    if view is View.WAITING:
        return c.waiting_since.is_not(None)
    if view is View.NEGATIVE:
        return c.negative > 0
    if view is View.INSULTS:
        return c.insults > 0
    return None


def _filtered(
    filters: Filters, *, user_id: int | None, teams: Sequence[str] = (), span: Window | None = None
) -> Select[Conversation]:
    c = Conversation
    stmt = select(c)
    if filters.status is not None:
        stmt = stmt.where(c.status == filters.status.value)
    if filters.channel is not None:
        stmt = stmt.where(c.channel == filters.channel)
    if filters.contact_id is not None:
        stmt = stmt.where(c.contact_id == filters.contact_id)
    condition = _view_condition(filters.view, user_id, teams)
    if condition is not None:
        stmt = stmt.where(condition)
    in_thread = and_(Post.platform == c.platform, Post.conversation_id == c.thread)
    if span is not None:
        written = [Post.created_at >= span.start] + ([Post.created_at <= span.end] if span.end else [])
        stmt = stmt.where(
            exists(
                select(Post.id)
                .join(MonitorMatch, MonitorMatch.post_id == Post.id)
                .where(in_thread, MonitorMatch.monitor_id == span.monitor_id, *written)
            )
        )
    if filters.monitor is not None:
        stmt = stmt.where(
            exists(
                select(Post.id)
                .join(MonitorMatch, MonitorMatch.post_id == Post.id)
                .join(Monitor, Monitor.id == MonitorMatch.monitor_id)
                .where(in_thread, Monitor.name == filters.monitor)
            )
        )
    if filters.q:
        terms = sorted(words(filters.q))
        if not terms:
            raise InboxError("q: give at least one word of two letters or more", status=400)
        for term in terms:  # every word of the query, as the start of a word of the conversation
            stmt = stmt.where(
                c.id.in_(
                    select(ConversationWord.conversation_id).where(
                        ConversationWord.word >= term, ConversationWord.word < term + "\U0010ffff"
                    )
                )
            )
    return stmt


def encode_cursor(at: datetime, conversation_id: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([at.astimezone(UTC).isoformat(), conversation_id])).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        at, cid = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not isinstance(cid, int):
            raise ValueError("not a cursor")
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise InboxError("after: not a cursor this list gave out", status=400) from None
    return moment, cid


def list_conversations(
    session: Session,
    filters: Filters,
    *,
    user_id: int | None,
    limit: int = 50,
    after: str | None = None,
    teams: Sequence[str] = (),
) -> tuple[list[Conversation], str | None]:
    """Newest activity first, ``limit`` at a time; the cursor of the next page (None: no more).
    ``teams``: the viewer's teams (the "team" view)."""
    span = window(session, filters.situation) if filters.situation is not None else None
    stmt = _filtered(filters, user_id=user_id, teams=teams, span=span)
    if after is not None:
        at, cid = decode_cursor(after)
        stmt = stmt.where(
            or_(
                Conversation.last_message_at < at,
                and_(Conversation.last_message_at == at, Conversation.id < cid),
            )
        )
    rows = list(
        session.scalars(
            stmt.order_by(Conversation.last_message_at.desc(), Conversation.id.desc()).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    return rows, (encode_cursor(last.last_message_at, last.id) if more and last is not None else None)


def view_counts(
    session: Session, *, user_id: int | None, status: ConversationStatus | None, teams: Sequence[str] = ()
) -> dict[str, int]:
    """How many conversations each view holds (of one status, open by default): one pass."""
    columns = []
    for view in View:
        condition = _view_condition(view, user_id, teams)
        columns.append(func.count() if condition is None else func.sum(case((condition, 1), else_=0)))
    stmt = select(*columns).select_from(Conversation)
    if status is not None:
        stmt = stmt.where(Conversation.status == status.value)
    row = session.execute(stmt).one()
    return {view.value: int(value or 0) for view, value in zip(View, row, strict=True)}
