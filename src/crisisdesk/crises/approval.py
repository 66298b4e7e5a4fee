"""The spokesperson approval gate: while a crisis is open at or above its type's ``approval_from``,
public replies on its conversations leave only from its spokespersons; anyone else's becomes a
draft that waits in the outbox (``awaiting_approval``) until a spokesperson approves (as written
or edited) or rejects it with a comment.

Why it is checked twice: when a reply is queued (the author hears at once that it waits), and
again when the sender claims it (:func:`check_at_claim`), because the crisis may have reached the
approval level in between; a reply already approved is not asked again. A reply is public by the
outbound action the connector was asked for (``reply_public``), never by the platform's name;
private replies follow the team's normal rights.

Who is a spokesperson: the account e-mails the crisis type's ``spokespersons`` resolve to
(:func:`crisisdesk.crises.playbook.spokesperson_emails`); when the type names none that resolve,
everyone with the permission ``approve_replies``. The same people may approve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crisisdesk.accounts.models import User
from crisisdesk.accounts.roles import Permission, Role, permissions_of
from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.channels.models import ApprovalState, OutboxItem, OutboxStatus
from crisisdesk.channels.outgoing import Action
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.crises import playbook
from crisisdesk.crises.models import Crisis, CrisisSituation
from crisisdesk.crises.types import CrisisTypeConfig
from crisisdesk.guidelines import check_reply
from crisisdesk.inbox.models import Contact, Conversation
from crisisdesk.inbox.notices import Notices
from crisisdesk.inbox.situations import about
from crisisdesk.posts.models import Post

#: A crisis without a type (or of a type the workspace no longer has) asks for approval from here.
DEFAULT_APPROVAL_FROM = 3
#: Who hears of a held reply when the crisis's spokespersons name nobody reachable.
FALLBACK_ROLE = "role:crisis_lead"
MAX_COMMENT = 2000


class ApprovalError(CrisisdeskError):
    """An approval that cannot be done; ``status`` is the HTTP answer (403, 404, 409 or 422)."""

    def __init__(self, message: str, *, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Gate:
    """What the gate needs of the workspace: crisis types, roles, people's account e-mails, and
    where notices to approvers go."""

    types: Sequence[CrisisTypeConfig] = ()
    roles: Mapping[str, Sequence[str]] = field(default_factory=dict)
    emails: Mapping[str, str | None] = field(default_factory=dict)
    notices: Notices = field(default_factory=lambda: Notices(deliver=False))

    @classmethod
    def of(cls, config: Any, notices: Notices | None = None) -> Gate:
        """From a workspace configuration (``crisis_types``, ``roles``, ``people``)."""
        return cls(types=list(config.crisis_types), roles=dict(config.roles),
                   emails={key: p.email for key, p in config.people.items()},
                   notices=notices or Notices(deliver=False))

    def type_of(self, crisis: Crisis | None) -> CrisisTypeConfig | None:
        return playbook.type_of(self.types, crisis.type) if crisis is not None else None

    def spokespersons(self, crisis: Crisis | None) -> frozenset[str] | None:
        """The crisis's spokespersons' account e-mails; None: everyone who may approve replies."""
        return playbook.spokesperson_emails(self.type_of(crisis), roles=self.roles, emails=self.emails)

    def may_speak(self, crisis: Crisis | None, email: str | None, can_approve: bool) -> bool:
        """May this account publish on the crisis's conversations directly (and approve others)?"""
        named = self.spokespersons(crisis)
        if named is None:
            return can_approve
        return email is not None and email.lower() in named


def approval_from(ct: CrisisTypeConfig | None) -> int | None:
    return DEFAULT_APPROVAL_FROM if ct is None else ct.approval_from


def crisis_over(session: Session, conversation: Conversation, gate: Gate) -> Crisis | None:
    """The open crisis whose approval gate covers the conversation (the most severe when several):
    one of the conversation's situations belongs to it and its level reached ``approval_from``."""
    situation_ids = [s["id"] for s in about(session, conversation).situations]
    if not situation_ids:
        return None
    of_situations = select(CrisisSituation.crisis_id).where(CrisisSituation.situation_id.in_(situation_ids))
    crises = session.scalars(select(Crisis).where(Crisis.id.in_(of_situations), Crisis.status == "open"))
    gated = [c for c in crises
             if (level := approval_from(gate.type_of(c))) is not None and c.severity >= level]
    return max(gated, key=lambda c: (c.severity, c.id)) if gated else None


def conversation_of(session: Session, item: OutboxItem) -> Conversation | None:
    """The conversation an outbox reply answers (by its post, else by its channel and thread)."""
    post = session.get(Post, item.post_id) if item.post_id is not None else None
    if post is not None and post.conversation_id is not None:
        return session.scalar(select(Conversation).where(Conversation.platform == post.platform,
                                                         Conversation.thread == post.conversation_id))
    if item.thread is None:
        return None
    return session.scalar(select(Conversation).where(Conversation.channel == item.channel,
                                                     Conversation.thread == item.thread))


def _findings(session: Session, conversation: Conversation, text: str,
              ct: CrisisTypeConfig | None) -> list[dict[str, Any]]:
    """The reply check's findings, as the approver sees them (the reply's language, the person's
    name, an apology expected where the crisis type asks for one)."""
    lang = session.scalar(select(Post.lang).where(Post.platform == conversation.platform,
                                                  Post.conversation_id == conversation.thread,
                                                  Post.own.is_not(True))
                          .order_by(Post.created_at.desc(), Post.id.desc()).limit(1))
    contact = session.get(Contact, conversation.contact_id) if conversation.contact_id is not None else None
    result = check_reply(text, lang if lang in ("de", "en") else None,
                         name=contact.name if contact is not None else None,
                         apology_expected=ct.apology if ct is not None else True)
    return [{**f.as_dict(), "lang": result.lang} for f in result.findings]


def _hold(session: Session, item: OutboxItem, conversation: Conversation, crisis: Crisis, gate: Gate, *,
          actor: Actor, now: datetime, at_claim: bool) -> None:
    """Turn a queued public reply into a draft awaiting approval; audit it, put it on the crisis
    timeline and tell the approvers (their notices leave after the caller's commit)."""
    ct = gate.type_of(crisis)
    findings = _findings(session, conversation, item.text or "", ct)
    item.status = OutboxStatus.AWAITING_APPROVAL
    item.approval_state = ApprovalState.PENDING
    item.crisis_id = crisis.id
    item.findings = findings
    session.flush()
    record(session, actor=actor, action=AuditAction.REPLY_HELD, at=now, target_type="outbox",
           target_id=item.id, after={"crisis": crisis.id, "severity": crisis.severity, "conversation":
                                     conversation.id, "author": item.created_by, "at_sending": at_claim,
                                     "findings": [f["code"] for f in findings]})
    playbook.act(session, crisis.id, "reply.submitted", actor=item.created_by, at=now, outbox=item.id,
                 conversation=conversation.id, severity=crisis.severity, at_sending=at_claim,
                 findings=[f["code"] for f in findings])
    _notify(session, gate, crisis, conversation, item, now)


def _notify(session: Session, gate: Gate, crisis: Crisis, conversation: Conversation, item: OutboxItem,
            now: datetime) -> None:
    ct = gate.type_of(crisis)
    people = [p for p in playbook.people_of(ct.spokespersons if ct is not None else [], roles=gate.roles)
              if p in gate.notices.people]
    if not people:
        people = [p for p in playbook.people_of([FALLBACK_ROLE], roles=gate.roles)
                  if p in gate.notices.people]
    targets, _ = gate.notices.people_of([f"person:{p}" for p in people], now)
    gate.notices.send(session, conversation, key=f"approval:{item.id}", targets=targets, at=now,
                      title={"de": f"Freigabe nötig: Antwort von {item.created_by} (Krise #{crisis.id})",
                             "en": f"Approval needed: reply by {item.created_by} (crisis #{crisis.id})"},
                      summary={"de": item.text or "", "en": item.text or ""})


def submit(session: Session, item: OutboxItem, conversation: Conversation, gate: Gate, *, actor: Actor,
           email: str | None, can_approve: bool, now: datetime) -> bool:
    """After a person queued ``item`` on ``conversation``: hold it when the gate applies and the
    person may not speak for the crisis. True when held. A request asked before (the same key)
    keeps what was decided for it."""
    if item.action != Action.REPLY_PUBLIC.value or item.status != OutboxStatus.QUEUED or item.approval_state:
        return False
    crisis = crisis_over(session, conversation, gate)
    if crisis is None or gate.may_speak(crisis, email, can_approve):
        return False
    _hold(session, item, conversation, crisis, gate, actor=actor, now=now, at_claim=False)
    return True


def check_at_claim(session: Session, item: OutboxItem, gate: Gate, now: datetime) -> bool:
    """The sender's second look, in its claiming transaction: True (and the item is held instead of
    sent) when it is a public reply not approved yet, the gate covers its conversation now and its
    author may not speak for the crisis (a rule's or the CLI's reply never may)."""
    if item.action != Action.REPLY_PUBLIC.value or item.approval_state == ApprovalState.APPROVED:
        return False
    conversation = conversation_of(session, item)
    if conversation is None:
        return False
    crisis = crisis_over(session, conversation, gate)
    if crisis is None:
        return False
    user = session.get(User, item.created_by_user_id) if item.created_by_user_id is not None else None
    if user is not None and user.active:
        can = Permission.APPROVE_REPLIES in permissions_of(Role(user.role))
        if gate.may_speak(crisis, user.email, can):
            return False
    taken = session.execute(update(OutboxItem).where(OutboxItem.id == item.id,
                                                     OutboxItem.status == OutboxStatus.QUEUED)
                            .values(status=OutboxStatus.AWAITING_APPROVAL)
                            .execution_options(synchronize_session=False))
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return True  # someone else changed it meanwhile: not ours to send now
    session.refresh(item)
    _hold(session, item, conversation, crisis, gate, actor=Actor.system(), now=now, at_claim=True)
    return True


def _decidable(session: Session, item_id: int, gate: Gate, *, email: str | None,
               can_approve: bool) -> tuple[OutboxItem, Crisis | None]:
    item = session.get(OutboxItem, item_id)
    if item is None or item.approval_state is None:
        raise ApprovalError(f"no reply {item_id} awaiting approval", status=404)
    if item.approval_state != ApprovalState.PENDING:
        raise ApprovalError(f"reply {item_id} was {item.approval_state} already by {item.approved_by}",
                            status=409)
    crisis = session.get(Crisis, item.crisis_id) if item.crisis_id is not None else None
    if not gate.may_speak(crisis, email, can_approve):
        named = gate.spokespersons(crisis)
        who = ", ".join(sorted(named)) if named else "people with the permission approve_replies"
        raise ApprovalError(f"only the spokespersons of crisis #{item.crisis_id} approve its replies: {who}",
                            status=403)
    return item, crisis


def _decide(session: Session, item: OutboxItem, state: ApprovalState, values: dict[str, Any]) -> None:
    """Record the decision only if nobody decided first (two approvers at once: one wins, 409)."""
    done = session.execute(update(OutboxItem).where(OutboxItem.id == item.id,
                                                    OutboxItem.approval_state == ApprovalState.PENDING)
                           .values(approval_state=state, **values)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ApprovalError(f"reply {item.id} was decided meanwhile", status=409)
    session.refresh(item)


def approve(session: Session, item_id: int, gate: Gate, *, actor: Actor, email: str | None, can_approve: bool,
            now: datetime, text: str | None = None) -> OutboxItem:
    """Approve a held reply (with ``text``: as edited); it is queued for sending at once."""
    from crisisdesk.channels.outbox import MAX_TEXT

    item, crisis = _decidable(session, item_id, gate, email=email, can_approve=can_approve)
    edited = text.strip() if text is not None else None
    if edited is not None and not edited:
        raise ApprovalError("an edited reply needs a text", status=422)
    if edited is not None and len(edited) > MAX_TEXT:
        raise ApprovalError(f"text has {len(edited)} characters; at most {MAX_TEXT}", status=422)
    before = item.text
    changed = edited is not None and edited != before
    values: dict[str, Any] = {"status": OutboxStatus.QUEUED, "approved_by": actor.label, "approved_at": now,
                              "next_attempt_at": now}
    if changed:
        values["text"] = edited
    _decide(session, item, ApprovalState.APPROVED, values)
    record(session, actor=actor, action=AuditAction.REPLY_APPROVED, at=now, target_type="outbox",
           target_id=item.id, before={"text": before} if changed else None,
           after={"crisis": item.crisis_id, "edited": changed, **({"text": item.text} if changed else {})})
    if crisis is not None:
        playbook.act(session, crisis.id, "reply.approved", actor=actor.label, at=now, outbox=item.id,
                     author=item.created_by, edited=changed)
    return item


def reject(session: Session, item_id: int, gate: Gate, *, actor: Actor, email: str | None, can_approve: bool,
           now: datetime, comment: str) -> OutboxItem:
    """Reject a held reply with a comment for its author; it is never sent."""
    said = comment.strip()
    if not said:
        raise ApprovalError("a rejection needs a comment for the author", status=422)
    if len(said) > MAX_COMMENT:
        raise ApprovalError(f"comment has {len(said)} characters; at most {MAX_COMMENT}", status=422)
    item, crisis = _decidable(session, item_id, gate, email=email, can_approve=can_approve)
    decision = {"status": OutboxStatus.REJECTED, "approved_by": actor.label, "approved_at": now,
                "approval_comment": said}
    _decide(session, item, ApprovalState.REJECTED, decision)
    record(session, actor=actor, action=AuditAction.REPLY_REJECTED, at=now, target_type="outbox",
           target_id=item.id, after={"crisis": item.crisis_id, "comment": said})
    if crisis is not None:
        playbook.act(session, crisis.id, "reply.rejected", actor=actor.label, at=now, outbox=item.id,
                     author=item.created_by, comment=said)
    return item


def pending(session: Session, *, limit: int = 200) -> list[dict[str, Any]]:
    """The queue: replies awaiting approval, oldest first, with their conversation and crisis."""
    items = list(session.scalars(select(OutboxItem).where(OutboxItem.status == OutboxStatus.AWAITING_APPROVAL,
                                                          OutboxItem.approval_state == ApprovalState.PENDING)
                                 .order_by(OutboxItem.created_at, OutboxItem.id).limit(limit)))
    return [describe(session, item) for item in items]


def describe(session: Session, item: OutboxItem) -> dict[str, Any]:
    conversation = conversation_of(session, item)
    crisis = session.get(Crisis, item.crisis_id) if item.crisis_id is not None else None
    return {"id": item.id, "channel": item.channel, "action": item.action, "text": item.text or "",
            "author": item.created_by, "created_at": item.created_at, "status": item.status,
            "approval_state": item.approval_state, "findings": list(item.findings or []),
            "approved_by": item.approved_by, "approved_at": item.approved_at,
            "comment": item.approval_comment,
            "conversation": None if conversation is None else {
                "id": conversation.id, "subject": conversation.subject, "channel": conversation.channel},
            "crisis": None if crisis is None else {"id": crisis.id, "title": crisis.title,
                                                   "severity": crisis.severity, "type": crisis.type}}


def waiting_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(OutboxItem).where(
        OutboxItem.status == OutboxStatus.AWAITING_APPROVAL,
        OutboxItem.approval_state == ApprovalState.PENDING)) or 0)
