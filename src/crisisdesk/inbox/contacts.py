"""Contacts: a person across platforms. Their identities (one author per platform), merging two
contacts found to be one person, and undoing that."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.inbox.errors import InboxError
from crisisdesk.inbox.models import Contact, ContactIdentity, Conversation
from crisisdesk.posts.models import Author, Post


def contact_of(session: Session, contact_id: int) -> tuple[Contact, list[Author]]:
    found = session.get(Contact, contact_id)
    if found is None:
        raise InboxError(f"no contact {contact_id}", status=404)
    identities = list(
        session.scalars(
            select(Author)
            .join(ContactIdentity, ContactIdentity.author_id == Author.id)
            .where(ContactIdentity.contact_id == contact_id)
        )
    )
    return found, identities


def merge_contacts(session: Session, keep_id: int, other_id: int, *, actor: Actor, now: datetime,
                   linked: str = "manual") -> int:
    """Make ``other`` part of ``keep`` (the same person on another platform, or twice on one):
    its identities and conversations move over, remembering where they came from for the undo.
    ``linked``: ``manual`` (a person merged them) or ``auto`` (a platform said they are one).
    Returns how many identities moved."""
    if keep_id == other_id:
        raise InboxError("a contact cannot be merged into itself")
    keep, other = session.get(Contact, keep_id), session.get(Contact, other_id)
    if keep is None or other is None:
        raise InboxError(f"no contact {other_id if keep is not None else keep_id}", status=404)
    identities = list(session.scalars(select(ContactIdentity).where(ContactIdentity.contact_id == other_id)))
    if not identities:
        raise InboxError(f"contact {other_id} has no identities left (merged already?)", status=409)
    for identity in identities:
        identity.contact_id, identity.merged_from, identity.linked, identity.linked_at = (
            keep_id,
            other_id,
            linked,
            now,
        )
    session.execute(
        update(Conversation).where(Conversation.contact_id == other_id).values(contact_id=keep_id)
    )
    keep.updated_at = now
    record(
        session,
        actor=actor,
        action=AuditAction.CONTACTS_MERGED,
        at=now,
        target_type="contact",
        target_id=keep_id,
        after={"merged": other_id, "identities": len(identities), "linked": linked},
    )
    session.flush()
    return len(identities)


def unmerge_contacts(session: Session, keep_id: int, other_id: int, *, actor: Actor, now: datetime) -> int:
    """Undo :func:`merge_contacts`: the identities that came from ``other`` go back, and so do the
    conversations their messages started. Returns how many identities went back."""
    identities = list(
        session.scalars(
            select(ContactIdentity).where(
                ContactIdentity.contact_id == keep_id, ContactIdentity.merged_from == other_id
            )
        )
    )
    if not identities:
        raise InboxError(f"contact {keep_id} holds nothing merged from contact {other_id}", status=409)
    authors = {i.author_id for i in identities}
    for identity in identities:
        identity.contact_id, identity.merged_from, identity.linked, identity.linked_at = (
            other_id,
            None,
            "auto",
            now,
        )
    for conversation in session.scalars(select(Conversation).where(Conversation.contact_id == keep_id)):
        first_author = session.scalar(
            select(Post.author_id)
            .where(Post.platform == conversation.platform, Post.conversation_id == conversation.thread,
                   Post.own.is_not(True))
            .order_by(Post.created_at, Post.id)
            .limit(1)
        )
        if first_author in authors:
            conversation.contact_id = other_id
    record(
        session,
        actor=actor,
        action=AuditAction.CONTACTS_UNMERGED,
        at=now,
        target_type="contact",
        target_id=keep_id,
        after={"restored": other_id, "identities": len(identities)},
    )
    session.flush()
    return len(identities)


def contact_names(session: Session, contact_ids: Sequence[int | None]) -> dict[int, str | None]:
    """The names of these contacts, by id (a list page shows a name per row, read at once)."""
    ids = sorted({i for i in contact_ids if i is not None})
    if not ids:
        return {}
    found = session.execute(select(Contact.id, Contact.name).where(Contact.id.in_(ids)))
    return {row.id: row.name for row in found}
