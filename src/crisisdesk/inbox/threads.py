"""Keeping conversations current as posts are stored: inside the pipeline's own transaction.

Every stored post with a thread (``conversation_id``) belongs to the conversation of its platform
and thread; the first post of a thread opens it, later ones move its activity, counts and the
"waiting for our answer since" mark, and reopen it when it was resolved, snoozed or pending. Each
post's author is a platform identity of a contact (created on first sight). Edits of known posts
change nothing here (the message is the same one). Done a batch at a time: a few statements per
batch whatever its size, so an import of a million posts pays little for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crisisdesk.core.text import fold
from crisisdesk.inbox.models import (
    Contact,
    ContactIdentity,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    ConversationWord,
)
from crisisdesk.pipeline.events import PostKey, StoredPost

_conversations = cast(Table, Conversation.__table__)
_identities = cast(Table, ContactIdentity.__table__)
_contacts = cast(Table, Contact.__table__)
_events = cast(Table, ConversationEvent.__table__)
_words = cast(Table, ConversationWord.__table__)
_CHUNK = 500
_WORDS = re.compile(r"\w{2,64}")
#: Words indexed per message at most (a pasted essay must not flood the index).
MAX_WORDS = 300
SUBJECT_CHARS = 140
#: A conversation in one of these states comes back to the lists when the person writes again.
_REOPEN = {ConversationStatus.RESOLVED, ConversationStatus.SNOOZED, ConversationStatus.PENDING}


@dataclass
class _Group:
    platform: str
    thread: str
    channel: str | None = None
    public: bool | None = None
    first: datetime | None = None
    last: datetime | None = None
    subject: str = ""
    messages: int = 0
    negative: int = 0
    insults: int = 0
    author_id: int | None = None
    author_ids: list[int] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)


def _visibility(post: Any) -> bool | None:
    value = getattr(post, "visibility", None)
    return None if value is None else value == "public"


def attach(conn: Connection, stored: Sequence[StoredPost], authors: Mapping[PostKey, tuple[Any, ...]],
           now: datetime) -> dict[int, int]:
    """Put the batch's new posts into their conversations; returns each such post's conversation."""
    groups: dict[tuple[str, str], _Group] = {}
    for s in stored:
        p = s.post
        if s.action != "created" or not p.conversation_id:
            continue
        g = groups.setdefault((p.platform, p.conversation_id), _Group(p.platform, p.conversation_id))
        g.messages += 1
        g.times.append(p.created_at)
        g.channel = g.channel or p.channel
        g.public = g.public if g.public is not None else _visibility(p)
        if g.first is None or p.created_at < g.first:
            g.first = p.created_at
            g.subject = " ".join(p.text.split())[:SUBJECT_CHARS]
        if g.last is None or p.created_at > g.last:
            g.last = p.created_at
        e = p.enrichment or {}
        g.negative += (e.get("sentiment") or {}).get("label") == "negative"
        g.insults += (e.get("insult") or {}).get("label") == "offense"
        row = authors.get((p.author.platform, p.author.external_id)) if p.author else None
        if row is not None:
            g.author_ids.append(int(row[0]))
            if g.first == p.created_at:
                g.author_id = int(row[0])
    if not groups:
        return {}
    contacts = _contacts_of(conn, {a for g in groups.values() for a in g.author_ids}, authors, now)
    existing = _existing(conn, list(groups))
    ids: dict[tuple[str, str], int] = {}
    fresh: list[dict[str, Any]] = []
    for key, g in groups.items():
        assert g.first is not None
        assert g.last is not None
        row = existing.get(key)
        if row is None:
            contact = contacts.get(g.author_id) if g.author_id else None
            fresh.append({"platform": g.platform, "thread": g.thread, "channel": g.channel,
                          "contact_id": contact, "public": g.public, "subject": g.subject,
                          "status": ConversationStatus.OPEN.value, "priority": "normal",
                          "tags": [], "created_at": now, "updated_at": now, "last_message_at": g.last,
                          "last_inbound_at": g.last, "waiting_since": g.first, "messages": g.messages,
                          "negative": g.negative, "insults": g.insults})
            continue
        ids[key] = int(row["id"])
        values: dict[str, Any] = {
            "updated_at": now, "messages": _conversations.c.messages + g.messages,
            "negative": _conversations.c.negative + g.negative,
            "insults": _conversations.c.insults + g.insults,
            "last_message_at": max(row["last_message_at"], g.last),
            "last_inbound_at": max(row["last_inbound_at"] or g.last, g.last),
        }
        # The person waits from their first message after our latest answer: a message that
        # arrives late (platforms do not promise order) but was written before it was answered.
        answered_at = row["last_outbound_at"]
        unanswered = [at for at in g.times if answered_at is None or at > answered_at]
        if unanswered and (row["waiting_since"] is None or min(unanswered) < row["waiting_since"]):
            values["waiting_since"] = min(unanswered)
        if row["contact_id"] is None and g.author_id in contacts:
            values["contact_id"] = contacts[g.author_id]
        if row["channel"] is None and g.channel:
            values["channel"] = g.channel
        if ConversationStatus(row["status"]) in _REOPEN:
            values.update(status=ConversationStatus.OPEN.value, snoozed_until=None, resolved_at=None)
            conn.execute(insert(_events).values(conversation_id=row["id"], at=now, kind="reopened",
                                                actor="system", body={"from": row["status"], "to": "open"}))
        conn.execute(update(_conversations).where(_conversations.c.id == row["id"]).values(**values))
    for start in range(0, len(fresh), _CHUNK):
        returning = (_conversations.c.platform, _conversations.c.thread, _conversations.c.id)
        made = conn.execute(insert(_conversations).returning(*returning), fresh[start:start + _CHUNK])
        ids.update({(platform, thread): int(i) for platform, thread, i in made})
    conversation_of = {s.post_id: ids[(s.post.platform, s.post.conversation_id)] for s in stored
                       if s.action == "created" and s.post.conversation_id}
    _index_words(conn, [(conversation_of[s.post_id], s.post.text) for s in stored
                        if s.post_id in conversation_of])
    return conversation_of


def answered_elsewhere(conn: Connection, stored: Sequence[StoredPost], now: datetime) -> dict[int, int]:
    """Our own new posts that answer a known conversation: a reply typed in the platform's own app
    (a WhatsApp Business app or Messenger echo, the page's comment written on Facebook) answers the
    person as much as one sent from here, so the conversation's "waiting since" clears and its first
    response is set, for the SLA and the response-time figures. Returns each such post's
    conversation. A conversation that does not exist yet is not opened: what we write first is no
    one's question."""
    latest: dict[tuple[str, str], tuple[datetime, list[int]]] = {}
    for s in stored:
        p = s.post
        if s.action != "created" or not p.own or not p.conversation_id:
            continue
        at, ids = latest.get((p.platform, p.conversation_id), (p.created_at, []))
        latest[(p.platform, p.conversation_id)] = (max(at, p.created_at), [*ids, s.post_id])
    if not latest:
        return {}
    existing = _existing(conn, list(latest))
    conversation_of: dict[int, int] = {}
    for key, row in existing.items():
        at, post_ids = latest[key]
        values: dict[str, Any] = {"updated_at": now, "last_message_at": max(row["last_message_at"], at),
                                  "last_outbound_at": max(row["last_outbound_at"] or at, at)}
        waiting = row["waiting_since"]
        if waiting is not None and waiting <= at:
            values["waiting_since"] = None
            if row["first_response_at"] is None:
                values["first_response_at"] = at
        conn.execute(update(_conversations).where(_conversations.c.id == row["id"]).values(**values))
        conversation_of.update(dict.fromkeys(post_ids, int(row["id"])))
    return conversation_of


def words(text: str) -> set[str]:
    """The searchable words of a text: folded (ä = ae, case and accents gone), 2–64 characters."""
    return set(_WORDS.findall(fold(text))[:MAX_WORDS])


def _index_words(conn: Connection, texts: Sequence[tuple[int, str]]) -> None:
    rows = {(w, cid) for cid, text in texts for w in words(text)}
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    ordered = sorted(rows)
    for start in range(0, len(ordered), 2000):
        chunk = [{"word": w, "conversation_id": c} for w, c in ordered[start:start + 2000]]
        conn.execute(dialect.insert(_words).on_conflict_do_nothing(), chunk)


def _existing(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    by_platform: dict[str, list[str]] = {}
    for platform, thread in keys:
        by_platform.setdefault(platform, []).append(thread)
    out: dict[tuple[str, str], Any] = {}
    for platform, threads in by_platform.items():
        for start in range(0, len(threads), _CHUNK):
            rows = conn.execute(select(_conversations).where(
                _conversations.c.platform == platform,
                _conversations.c.thread.in_(threads[start:start + _CHUNK]))).mappings().all()
            out.update({(platform, r["thread"]): r for r in rows})
    return out


def _contacts_of(conn: Connection, author_ids: set[int], authors: Mapping[PostKey, tuple[Any, ...]],
                 now: datetime) -> dict[int, int]:
    """Each author's contact, creating one (named after the author) for an author seen first."""
    if not author_ids:
        return {}
    ids = sorted(author_ids)
    found: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        found.update({int(a): int(c) for a, c in conn.execute(
            select(_identities.c.author_id, _identities.c.contact_id)
            .where(_identities.c.author_id.in_(ids[start:start + _CHUNK])))})
    names = {int(row[0]): row[2] or row[1] for row in authors.values()}  # (id, handle, name, …)
    missing = [a for a in ids if a not in found]
    for start in range(0, len(missing), _CHUNK):
        chunk = missing[start:start + _CHUNK]
        # Ids come back by the author that made the contact: neither database promises RETURNING order.
        rows = [{"name": names.get(a), "first_author_id": a, "created_at": now, "updated_at": now}
                for a in chunk]
        made = conn.execute(insert(_contacts).returning(_contacts.c.first_author_id, _contacts.c.id), rows)
        created = {int(a): int(c) for a, c in made}
        conn.execute(insert(_identities), [{"author_id": a, "contact_id": created[a], "linked": "auto",
                                            "linked_at": now} for a in chunk])
        found.update(created)
    return found
