"""Write the audit log inside the change's own transaction; read it back, page by page or streamed.

``record`` takes whatever the change already runs on (a Core ``Connection`` or an ORM ``Session``)
so the entry commits or rolls back with the change: there is never a change without its entry,
nor an entry for a change that did not happen. Outbound actions (a notification sent, a reply
published) are recorded by the code that performs them, after it knows the outcome.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import Connection, Select, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.audit.models import AuditEntry
from crisisdesk.audit.schemas import AuditEntryRead, AuditFilter, AuditPage


class AuditAction(StrEnum):
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_DISABLED = "user.disabled"
    USER_ENABLED = "user.enabled"
    USER_PASSWORD_CHANGED = "user.password_changed"  # noqa: S105
    TOKEN_CREATED = "token.created"  # noqa: S105
    TOKEN_REVOKED = "token.revoked"  # noqa: S105
    AUTH_LOGIN = "auth.login"
    AUTH_LOGOUT = "auth.logout"
    SITUATION_ACKNOWLEDGED = "situation.acknowledged"
    SITUATION_SEVERITY_CHANGED = "situation.severity_changed"
    SITUATION_RESOLVED = "situation.resolved"
    POST_LABELLED = "post.labelled"
    NOTIFICATION_SENT = "notification.sent"
    CONFIG_CHANGED = "config.changed"
    MODEL_RETRAINED = "model.retrained"
    OUTBOUND_QUEUED = "outbound.queued"
    OUTBOUND_SENT = "outbound.sent"
    OUTBOUND_FAILED = "outbound.failed"
    OUTBOUND_RETRIED = "outbound.retried"
    MODERATION_DECIDED = "moderation.decided"
    CONTACTS_MERGED = "contacts.merged"
    CONTACTS_UNMERGED = "contacts.unmerged"
    CRISIS_CHANGED = "crisis.changed"
    CRISIS_MODE_CHANGED = "crisis.mode_changed"
    REPLY_HELD = "reply.held"
    REPLY_APPROVED = "reply.approved"
    REPLY_REJECTED = "reply.rejected"
    REVIEW_CHANGED = "review.changed"
    UPDATE_CHANGED = "update.changed"
    UPDATE_DECIDED = "update.decided"
    UPDATE_PUBLISHED = "update.published"
    BUS_REPLAYED = "bus.replayed"


#: Every action, documented; a test checks this covers the enum and docs/accounts.md lists each.
ACTION_DESCRIPTIONS: dict[AuditAction, str] = {
    AuditAction.USER_CREATED: "A user was added (after: the new user, without the password).",
    AuditAction.USER_UPDATED: "Name, role, language or time zone changed (before/after: the changed fields).",
    AuditAction.USER_DISABLED: "A user was disabled; their sessions ended and tokens were revoked.",
    AuditAction.USER_ENABLED: "A disabled user may sign in again.",
    AuditAction.USER_PASSWORD_CHANGED: "A password was set (never the password or its hash).",
    AuditAction.TOKEN_CREATED: "An API token was created (name and prefix, never the secret).",
    AuditAction.TOKEN_REVOKED: "An API token was revoked.",
    AuditAction.AUTH_LOGIN: "A user signed in (a new web session).",
    AuditAction.AUTH_LOGOUT: "A user signed out.",
    AuditAction.SITUATION_ACKNOWLEDGED: "A situation was acknowledged (API, web, signed link or CLI).",
    AuditAction.SITUATION_SEVERITY_CHANGED: "A person changed a situation's severity.",
    AuditAction.SITUATION_RESOLVED: "A person resolved a situation.",
    AuditAction.POST_LABELLED: "A person corrected a post's analysis (web, API or CLI).",
    AuditAction.NOTIFICATION_SENT: "A notification left crisisdesk (target, kind, outcome).",
    AuditAction.CONFIG_CHANGED: "The workspace configuration stored in the database was replaced.",
    AuditAction.MODEL_RETRAINED: "A model retrained from label corrections was put in force (held-back "
    "scores before/after, corrections used, whether it was forced although worse).",
    AuditAction.OUTBOUND_QUEUED: "A person or rule asked for a reply, private reply or moderation action "
    "on a channel (channel, action, post, text).",
    AuditAction.OUTBOUND_SENT: "The platform accepted an outbound call (channel, action, its id there, "
    "attempt).",
    AuditAction.OUTBOUND_FAILED: "An outbound call failed for good (the platform's error, permanent or "
    "given up).",
    AuditAction.OUTBOUND_RETRIED: "A person queued a failed or uncertain outbound call again.",
    AuditAction.MODERATION_DECIDED: "A person confirmed or restored an item a rule hid (the rule, the "
    "classifier's score, the decision).",
    AuditAction.CONTACTS_MERGED: "Two contacts were found to be one person and merged (their identities "
    "and conversations).",
    AuditAction.CONTACTS_UNMERGED: "A merge of contacts was undone.",
    AuditAction.CRISIS_CHANGED: "A person moved a situation to another (or a new) crisis, or merged two.",
    AuditAction.CRISIS_MODE_CHANGED: "Crisis mode was switched on or off, for a crisis or the workspace (by "
    "a person, or by crisisdesk when the crisis resolved).",
    AuditAction.REPLY_HELD: "A public reply on a crisis's conversation waits for a spokesperson's approval "
    "(the crisis, its level, the reply check's findings).",
    AuditAction.REPLY_APPROVED: "A spokesperson approved a held reply (edited or not); it is sent now.",
    AuditAction.REPLY_REJECTED: "A spokesperson rejected a held reply, with a comment; it is never sent.",
    AuditAction.REVIEW_CHANGED: "A crisis's after-action review changed: its notes, or an improvement action "
    "added, done or opened again.",
    AuditAction.UPDATE_CHANGED: "A crisis's update plan was edited, or a stakeholder update written, changed "
    "or submitted for approval (with the reply check's findings).",
    AuditAction.UPDATE_DECIDED: "A spokesperson approved or rejected a stakeholder update (and why).",
    AuditAction.UPDATE_PUBLISHED: "A stakeholder update was published (its channels: status page, e-mail "
    "lists, social accounts, press release, internal targets).",
    AuditAction.BUS_REPLAYED: "Dead letters of the distributed mode's bus were put back on their topic "
    "(after: the topic and how many).",
}


@dataclass(frozen=True)
class Actor:
    """Who acts: a user (e-mail snapshot plus id) or a named non-user."""

    label: str
    user_id: int | None = None

    @classmethod
    def user(cls, user_id: int, email: str) -> Actor:
        return cls(email, user_id)

    @classmethod
    def system(cls) -> Actor:
        return cls("system")

    @classmethod
    def service(cls) -> Actor:
        """The shared service token (``CRISISDESK_API_TOKEN``)."""
        return cls("service")

    @classmethod
    def cli(cls, login: str) -> Actor:
        return cls(f"cli:{login}"[:320])

    @classmethod
    def link(cls, name: str) -> Actor:
        """The recipient a signed acknowledgement link was sent to (who followed it)."""
        return cls(f"link:{name}"[:320])


def record(
    conn: Connection | Session,
    *,
    actor: Actor,
    action: AuditAction,
    at: datetime,
    target_type: str | None = None,
    target_id: str | int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """Append one entry in the caller's transaction (the caller commits)."""
    conn.execute(insert(AuditEntry).values(
        at=at, actor=actor.label, actor_user_id=actor.user_id, action=action.value,
        target_type=target_type, target_id=None if target_id is None else str(target_id),
        before=_jsonable(before), after=_jsonable(after), ip=ip,
    ))


def _jsonable(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    # Datetimes and enums become strings now, so both databases store and return the same thing.
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(dict(value), default=str))
    return loaded


def _filtered(filters: AuditFilter) -> Select[AuditEntry]:
    q = select(AuditEntry)
    if filters.actor is not None:
        q = q.where(AuditEntry.actor == filters.actor)
    if filters.actor_user_id is not None:
        q = q.where(AuditEntry.actor_user_id == filters.actor_user_id)
    if filters.action is not None:
        if filters.action.endswith("."):
            q = q.where(AuditEntry.action.startswith(filters.action, autoescape=True))
        else:
            q = q.where(AuditEntry.action == filters.action)
    if filters.target_type is not None:
        q = q.where(AuditEntry.target_type == filters.target_type)
    if filters.target_id is not None:
        q = q.where(AuditEntry.target_id == filters.target_id)
    if filters.since is not None:
        q = q.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        q = q.where(AuditEntry.at < filters.until)
    return q


def query(session: Session, filters: AuditFilter, *, limit: int = 100, before_id: int | None = None
          ) -> AuditPage:
    """Newest first, keyset-paginated by id (stable while new entries arrive)."""
    q = _filtered(filters)
    if before_id is not None:
        q = q.where(AuditEntry.id < before_id)
    rows = session.scalars(q.order_by(AuditEntry.id.desc()).limit(limit + 1)).all()
    entries = [AuditEntryRead.model_validate(r) for r in rows[:limit]]
    more = len(rows) > limit
    return AuditPage(entries=entries, next_before_id=entries[-1].id if more and entries else None)


EXPORT_BATCH = 1000


def iter_entries(engine: Engine, filters: AuditFilter, *, batch: int = EXPORT_BATCH
                 ) -> Iterator[AuditEntryRead]:
    """Every matching entry, oldest first, fetched a batch at a time in short transactions so a
    long download never holds the database."""
    after_id = 0
    while True:
        with Session(engine) as session:
            rows = session.scalars(_filtered(filters).where(AuditEntry.id > after_id)
                                   .order_by(AuditEntry.id).limit(batch)).all()
            entries = [AuditEntryRead.model_validate(r) for r in rows]
        yield from entries
        if len(entries) < batch:
            return
        after_id = entries[-1].id


CSV_COLUMNS = ("id", "at", "actor", "actor_user_id", "action", "target_type", "target_id", "before",
               "after", "ip")


def export_csv(entries: Iterator[AuditEntryRead]) -> Iterator[str]:
    """A header, then one line per entry; before/after as compact JSON in their cells."""
    buf = io.StringIO()
    writer = csv.writer(buf)

    def flush() -> str:
        text = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for n, e in enumerate(entries, 1):
        writer.writerow([
            e.id, e.at.isoformat(), _cell(e.actor), e.actor_user_id if e.actor_user_id is not None else "",
            e.action, _cell(e.target_type or ""), _cell(e.target_id or ""),
            "" if e.before is None else orjson.dumps(e.before).decode(),
            "" if e.after is None else orjson.dumps(e.after).decode(), e.ip or "",
        ])
        if n % 200 == 0:
            yield flush()
    yield flush()


def _cell(value: str) -> str:
    """Defuse spreadsheet formulas: an actor named ``=HYPERLINK(...)`` stays text in Excel."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_jsonl(entries: Iterator[AuditEntryRead]) -> Iterator[bytes]:
    """One JSON object per line, the same fields as the JSON API."""
    for e in entries:
        yield orjson.dumps(e.model_dump(mode="json")) + b"\n"
