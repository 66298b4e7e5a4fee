"""One person's whole story: the messages of all their conversations on every channel, in one
timeline, and the contacts merged into them (for the undo).

The conversation view shows one thread; a team taking over a complaint needs what the person said
on the page, in the chat and by e-mail together, in the order it happened. The timeline reuses
the conversation view's messages (:func:`crisisdesk.inbox.thread_view.messages`), each labelled with
its conversation, so an answer on one channel shows next to the question on another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.inbox import thread_view
from crisisdesk.inbox.models import Contact, ContactIdentity, Conversation

#: At most this many conversations and messages are read for one page.
MAX_CONVERSATIONS = 50
MAX_ENTRIES = 500


@dataclass(frozen=True, slots=True)
class Entry:
    conversation: Conversation
    message: dict[str, Any]


def timeline(session: Session, contact_id: int) -> tuple[list[Entry], bool]:
    """The messages in and out of the contact's newest conversations, oldest first; and whether
    the page is cut (more conversations or messages than it shows)."""
    conversations = list(
        session.scalars(
            select(Conversation)
            .where(Conversation.contact_id == contact_id)
            .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
            .limit(MAX_CONVERSATIONS + 1)
        )
    )
    cut = len(conversations) > MAX_CONVERSATIONS
    entries = [Entry(c, m) for c in conversations[:MAX_CONVERSATIONS]
               for m in thread_view.messages(session, c)]
    entries.sort(key=lambda e: (e.message["at"], e.conversation.id, e.message["id"]))
    if len(entries) > MAX_ENTRIES:
        entries, cut = entries[-MAX_ENTRIES:], True
    return entries, cut


def merged_from(session: Session, contact_id: int) -> list[tuple[int, int]]:
    """The contacts merged into this one by hand, with how many identities each brought: what
    an undo can give back."""
    rows = session.execute(
        select(ContactIdentity.merged_from, func.count())
        .where(ContactIdentity.contact_id == contact_id, ContactIdentity.merged_from.is_not(None))
        .group_by(ContactIdentity.merged_from)
        .order_by(ContactIdentity.merged_from)
    ).all()
    return [(int(other), int(n)) for other, n in rows if other is not None]


def find(session: Session, text: str, *, exclude: int, limit: int = 20) -> list[Contact]:
    """Contacts whose name contains ``text`` (case-insensitive): candidates to merge with."""
    pattern = f"%{text.strip().lower()}%"
    return list(
        session.scalars(
            select(Contact)
            .where(func.lower(Contact.name).like(pattern), Contact.id != exclude)
            .order_by(Contact.name, Contact.id)
            .limit(limit)
        )
    )
