"""``/api/v1/conversations`` and ``/api/v1/contacts``: the inbox over HTTP.

Lists by view with counts and keyset pages, one conversation with its messages (inbound posts and
our outbound replies with their delivery state) and timeline, answering it (queued in the channel
outbox, sent by ``crisisdesk serve``), and the team's moves: status, priority, assignee, tags and
internal notes. Reading needs ``view``; answering and changing need ``reply``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.models import User
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.api.responses import errors
from crisisdesk.core.fields import MAX_ID, Id, StrictId, Text, only_booleans
from crisisdesk.crises import approval
from crisisdesk.inbox import contacts, listing, moves, service, sla, thread_view
from crisisdesk.inbox import performance as perf
from crisisdesk.inbox.errors import InboxError
from crisisdesk.inbox.listing import Filters, View
from crisisdesk.inbox.models import Conversation, ConversationEvent, ConversationStatus, Priority
from crisisdesk.inbox.service import Change
from crisisdesk.inbox.situations import about
from crisisdesk.inbox.teams import teams_of
from crisisdesk.inbox.texts import fill, values_for
from crisisdesk.runtime import Runtime

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Replier = Annotated[Principal, Depends(require(Permission.REPLY))]


class ConversationOut(BaseModel):
    id: int
    platform: str
    thread: str
    channel: str | None
    contact_id: int | None
    public: bool | None
    subject: str
    status: ConversationStatus
    snoozed_until: datetime | None
    priority: Priority
    assignee_user_id: int | None
    team: str | None
    tags: list[str]
    created_at: datetime
    last_message_at: datetime
    last_inbound_at: datetime | None
    last_outbound_at: datetime | None
    waiting_since: datetime | None
    first_response_at: datetime | None
    messages: int = Field(description="Inbound messages so far.")
    negative: int
    insults: int
    ticket: str | None = Field(description="The ticket number (\"2026-0142\"); null: not a ticket.")
    ticket_opened_at: datetime | None
    first_response_due: datetime | None = Field(description="SLA: our first answer is due then.")
    next_response_due: datetime | None = Field(description="SLA: our answer to the person's latest "
                                               "messages is due then.")
    resolution_due: datetime | None = Field(description="SLA: the ticket should be resolved by then.")
    sla_due: datetime | None = Field(description="The earliest of the three.")
    sla_breached: list[str] = Field(description="The SLA targets overdue now: first_response, "
                                    "next_response, resolution.")

    @classmethod
    def of(cls, c: Conversation, now: datetime | None = None) -> ConversationOut:
        values = {name: getattr(c, name) for name in cls.model_fields if name != "sla_breached"}
        return cls.model_validate(values | {"sla_breached": sla.breached(c, now or datetime.now(UTC))})


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next: str | None = Field(description="Pass as `after` for the next page; null: the last page.")
    counts: dict[str, int] = Field(description="Conversations per view (same status).")


class AuthorOut(BaseModel):
    id: str
    handle: str | None
    name: str | None
    followers: int | None


class MessageOut(BaseModel):
    id: str
    direction: str = Field(description="in: from the person; out: our reply.")
    elsewhere: bool = Field(default=False, description="Outbound: sent outside crisisdesk (in the "
                            "platform's own app or another tool) and reported by the platform; it has "
                            "a post_id, no outbox_id.")
    at: datetime
    text: str
    external_id: str | None = Field(description="The platform's id (outbound: once sent).")
    post_id: int | None = None
    kind: str | None = None
    url: str | None = None
    author: AuthorOut | None = None
    sentiment: str | None = None
    insult: str | None = None
    complaint_types: list[str] = Field(default_factory=list)
    outbox_id: int | None = None
    action: str | None = None
    private: bool | None = None
    status: str | None = Field(default=None, description="Outbound: queued, sending, sent, failed, "
                               "uncertain; awaiting_approval (held: a crisis's spokesperson approves "
                               "public replies first) or rejected (see approval_comment).")
    delivery_state: str | None = None
    error: str | None = None
    by: str | None = None
    attachments: list[dict[str, Any]] = Field(default_factory=list, description="Outbound: the files sent "
                                              "with it (id, filename, content_type, size, download).")
    approval_state: str | None = Field(default=None, description="Outbound, held by a crisis's approval "
                                       "gate: pending, approved or rejected; null: it needed none.")
    crisis_id: int | None = Field(default=None, description="The crisis whose approval gate held it.")
    approval_comment: str | None = Field(default=None, description="Why a spokesperson rejected it.")
    approved_by: str | None = Field(default=None, description="Who approved or rejected it.")


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    kind: str
    actor: str
    body: dict[str, Any]
    text: str | None


class ConversationDetail(ConversationOut):
    private_window_closes_at: datetime | None = Field(
        default=None, description="The platform takes free-form private messages until then (Meta: 24 "
        "hours after the person's last message); null: no such limit.")
    messages: list[MessageOut] = Field(description="Inbound and outbound, oldest first.")  # type: ignore[assignment]
    message_count: int = Field(description="Inbound messages so far.")
    events: list[EventOut] = Field(description="Assignments, status changes, notes, oldest first.")
    monitors: list[str] = Field(default_factory=list, description="The monitors its messages matched.")
    situations: list[dict[str, Any]] = Field(default_factory=list, description=(
        "The situations its messages belong to (id, monitor, cause, severity, status, opened_at), newest "
        "first."))
    complaint_types: list[str] = Field(default_factory=list, description="Of its messages.")
    moved_to_private: int | None = Field(default=None, description="A rule moved it to private: the "
                                         "person's private conversation (null: not moved, or the person "
                                         "has not answered privately yet; see moved).")
    moved_from_public: int | None = Field(default=None, description="The public conversation a rule moved "
                                          "to this private one.")
    moved: bool = Field(default=False, description="A rule moved it to private (timeline: moved_to_private).")


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text | None = Field(default=None, min_length=1, max_length=65_536)
    saved_reply: str | None = Field(default=None, description="A saved reply's name instead of a text: "
                                    "filled in for this conversation, in the person's language.")
    private: bool = Field(default=False, strict=True,
                          description="Answer privately (a DM, Meta's private reply).")
    attachments: list[StrictId] = Field(default_factory=list, max_length=10, description="Uploaded files "
                                  "(POST /api/v1/attachments) to send with the reply, where the channel can.")
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=128, pattern=r"^[\x21-\x7e]+$")
    seen: str | None = Field(default=None, max_length=40, description="The newest message id on your screen "
                             "(\"in:12\", \"out:5\"): if a colleague answered after it, the answer is 409 "
                             "(send again with force to answer anyway).")
    force: bool = Field(default=False, strict=True)


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ConversationStatus | None = None
    snoozed_until: datetime | None = None
    priority: Priority | None = None
    assignee_user_id: int | None = Field(default=None, ge=0, le=MAX_ID, strict=True,
                                         description="0 unassigns.")
    team: str | None = Field(default=None, max_length=64, description="Empty unassigns the team.")
    tags: list[str] | None = Field(default=None, max_length=50)
    ticket: Annotated[Literal[True], BeforeValidator(only_booleans)] | None = Field(
        default=None, description="true: make the conversation a ticket "
                                         "(numbered, with SLA due times); a ticket stays one.")


class SavedReplyOut(BaseModel):
    name: str
    title: str | None
    de: str | None
    en: str | None
    filled: str | None = Field(description="Filled in for the conversation asked about, in its language.")


class PresenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    typing: bool = Field(default=False, strict=True)
    draft: str | None = Field(default=None, max_length=65_536, description="What I am writing (shown to "
                              "colleagues so that nobody answers twice).")


class PresenceOut(BaseModel):
    user_id: int
    name: str
    typing: bool
    draft: str | None


class ContactLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    other: StrictId = Field(description="The other contact's id.")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text = Field(min_length=1, max_length=10_000)


def _detail(session: Session, c: Conversation, connectors: Any, now: datetime) -> ConversationDetail:
    base = ConversationOut.of(c, now).model_dump()
    found = about(session, c)
    events = service.events(session, c.id)
    return ConversationDetail.model_validate({
        **base, "message_count": base["messages"], "messages": thread_view.messages(session, c),
        "monitors": found.monitors, "situations": found.situations, "complaint_types": found.complaint_types,
        "private_window_closes_at": service.window_closes_at(c, connectors),
        "events": [EventOut.model_validate(e) for e in events], **moves.links(events)})


def _saved(session: Session, conversation: Conversation, name: str, principal: Principal,
           replies: Any = None) -> str:
    found = next((r for r in (replies or []) if r.name == name), None)
    if found is None:
        raise InboxError(f"no saved reply {name!r}", status=422)
    agent = principal.user.name if principal.user is not None else None
    lang = service.language_of(session, conversation)
    return fill(found.text, lang, values_for(session, conversation, agent=agent, lang=lang))


def conversations_router(runtime: Runtime, *, queued: Any = None) -> APIRouter:
    router = APIRouter(tags=["inbox"])

    def fail(exc: InboxError) -> HTTPException:
        return HTTPException(exc.status, str(exc))

    @router.get("/api/v1/conversations", response_model=ConversationPage, responses=errors(400, 404),
                summary="Conversations of a view, newest activity first")
    def conversations_page(principal: Viewer, view: View = View.ALL,
                state: Annotated[ConversationStatus | None, Query(alias="status")] = ConversationStatus.OPEN,
                channel: str | None = None, monitor: str | None = None, contact_id: Id | None = None,
                situation: Id | None = None,
                q: Annotated[str | None, Query(max_length=200)] = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50,
                after: str | None = None) -> ConversationPage:
        user_id = principal.user.id if principal.user is not None else None
        now = runtime.runner.clock.now()
        due = listing.due_before(now, runtime.workspace.config.inbox.sla.warn_before_minutes)
        filters = Filters(view=view, status=state, channel=channel, monitor=monitor, contact_id=contact_id,
                          q=q, situation=situation, due_before=due)
        email = principal.email
        teams = teams_of(runtime.workspace.config.inbox.teams, email)
        with Session(runtime.engine) as session:
            try:
                rows, cursor = listing.list_conversations(session, filters, user_id=user_id, limit=limit,
                                                          after=after, teams=teams)
            except InboxError as exc:
                raise fail(exc) from None
            counts = listing.view_counts(session, user_id=user_id, status=state, teams=teams, due=due)
            return ConversationPage(items=[ConversationOut.of(r, now) for r in rows], next=cursor,
                                    counts=counts)

    @router.get("/api/v1/conversations/{conversation_id}", response_model=ConversationDetail,
                responses=errors(404), summary="One conversation: its messages in and out, and its timeline")
    def one(conversation_id: Id, principal: Viewer) -> ConversationDetail:
        with Session(runtime.engine) as session:
            try:
                return _detail(session, service.get(session, conversation_id), runtime.connectors(),
                               runtime.runner.clock.now())
            except InboxError as exc:
                raise fail(exc) from None

    @router.post("/api/v1/conversations/{conversation_id}/messages", response_model=MessageOut,
                 status_code=status.HTTP_202_ACCEPTED, responses=errors(404, 409),
                 summary="Answer the conversation through its channel (sent in the background)")
    def answer(conversation_id: Id, body: ReplyIn, principal: Replier) -> MessageOut:
        """202 either way: ``status`` is ``queued`` (it leaves in the background) or, for a public
        reply on a conversation of a crisis whose approval gate applies and an author who is not
        its spokesperson, ``awaiting_approval`` (with ``crisis_id``): it leaves once a spokesperson
        approves it (``/api/v1/approvals``)."""
        key = body.idempotency_key or f"reply-{uuid.uuid4().hex}"
        if (body.text is None) == (body.saved_reply is None):
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "give either text or saved_reply")
        try:
            with Session(runtime.engine) as session, session.begin():
                conversation = service.get(session, conversation_id)
                if body.seen is not None and not body.force:
                    newer = thread_view.newer_reply_by_someone_else(session, conversation, seen=body.seen,
                                                                me=principal.actor.label)
                    if newer is not None:
                        raise InboxError(f"{newer['by']} answered meanwhile ({newer['at']:%H:%M} UTC): "
                                         f"{newer['text'][:200]!r}; send with force to answer anyway",
                                         status=409)
                text = body.text or _saved(session, conversation, str(body.saved_reply), principal,
                                           runtime.workspace.config.inbox.saved_replies)
                now = runtime.runner.clock.now()
                item = service.reply(session, conversation, text, private=body.private, key=key,
                                     connectors=runtime.connectors(), actor=principal.actor,
                                     now=now, attachments=tuple(body.attachments))
                held = approval.submit(session, item, conversation, runtime.approval_gate(),
                                       actor=principal.actor,
                                       email=principal.email,
                                       can_approve=principal.can(Permission.APPROVE_REPLIES), now=now)
                files = thread_view.files_of(session, item)
                out = MessageOut.model_validate(thread_view.outbound_message(item, files))
        except InboxError as exc:
            raise fail(exc) from None
        if held:
            runtime.notices_queued()  # the approvers hear of it
        elif queued is not None:
            queued()
        return out

    @router.patch("/api/v1/conversations/{conversation_id}", response_model=ConversationOut,
                  responses=errors(404),
                  summary="Change status, priority, assignee, team or tags; make it a ticket")
    def edit(conversation_id: Id, body: ChangeIn, principal: Replier) -> ConversationOut:
        what = Change(status=body.status, snoozed_until=body.snoozed_until, priority=body.priority,
                      assignee_user_id=body.assignee_user_id, team=body.team, tags=body.tags)
        try:
            with Session(runtime.engine) as session, session.begin():
                conversation = service.get(session, conversation_id)

                def active(user_id: int) -> bool:
                    return bool(session.scalar(select(User.id).where(User.id == user_id, User.active)))

                now = runtime.runner.clock.now()
                fields = []
                if body.ticket and conversation.ticket is None:
                    service.open_ticket(session, conversation, actor=principal.actor, now=now)
                    fields.append("ticket")
                fields += service.change(session, conversation, what, actor=principal.actor, now=now,
                                         user_exists=active)
                sla.refresh(conversation, runtime.sla_policy(), now)
                acted = runtime.rules_after_change(session, conversation, fields, now)
                session.flush()
                out = ConversationOut.of(conversation, now)
        except InboxError as exc:
            raise fail(exc) from None
        if acted:  # committed: the rules' replies and notices leave now
            runtime.outbox_queued_or_notices()
        return out

    @router.post("/api/v1/conversations/{conversation_id}/notes", response_model=EventOut,
                 status_code=status.HTTP_201_CREATED, responses=errors(404),
                 summary="An internal note (never sent to the person)")
    def note(conversation_id: Id, body: NoteIn, principal: Replier) -> EventOut:
        try:
            with Session(runtime.engine) as session, session.begin():
                conversation = service.get(session, conversation_id)
                service.add_note(session, conversation, body.text, actor=principal.actor,
                                 now=runtime.runner.clock.now(), notices=runtime.notices())
                session.flush()
                last = session.scalar(select(ConversationEvent)
                                      .where(ConversationEvent.conversation_id == conversation_id)
                                      .order_by(ConversationEvent.id.desc()))
                out = EventOut.model_validate(last)
        except InboxError as exc:
            raise fail(exc) from None
        runtime.notices_queued()
        return out

    @router.get("/api/v1/contacts/{contact_id}", responses=errors(404),
                summary="A contact: their identities on each platform and all their conversations")
    def contact(contact_id: Id, principal: Viewer) -> dict[str, Any]:
        with Session(runtime.engine) as session:
            try:
                found, identities = contacts.contact_of(session, contact_id)
            except InboxError as exc:
                raise fail(exc) from None
            rows, _ = listing.list_conversations(session, Filters(status=None, contact_id=contact_id),
                                                 user_id=None, limit=200)
            return {"id": found.id, "name": found.name,
                    "identities": [{"platform": a.platform, "id": a.external_id, "handle": a.handle,
                                    "name": a.name} for a in identities],
                    "conversations": [ConversationOut.of(r).model_dump() for r in rows]}

    @router.put("/api/v1/conversations/{conversation_id}/presence", response_model=list[PresenceOut],
                responses=errors(404), summary="I have it open (typing?): who else has")
    def presence(conversation_id: Id, body: PresenceIn, principal: Viewer) -> list[PresenceOut]:
        if principal.user is None:
            return []
        with Session(runtime.engine) as session:
            try:
                service.get(session, conversation_id)
            except InboxError as exc:
                raise fail(exc) from None
        others = runtime.presence.beat(conversation_id, principal.user.id, principal.user.name,
                                       typing=body.typing, draft=body.draft)
        return [PresenceOut(user_id=p.user_id, name=p.name, typing=p.typing, draft=p.draft) for p in others]

    @router.get("/api/v1/inbox/performance", responses=errors(400),
                summary="Response and resolution times, replies per person and channel, open workload")
    def performance(principal: Viewer, days: Annotated[int, Query(ge=1, le=365)] = 7,
                    period: Annotated[perf.Period | None, Query(description="today (since midnight in the "
                                      "workspace's time zone), 7d or 30d; instead of days")] = None,
                    ) -> dict[str, Any]:
        now = runtime.runner.clock.now()
        since, until = (now - timedelta(days=days), now) if period is None else perf.window(
            period, now=now, zone=runtime.workspace.config.time_zone)
        with Session(runtime.engine) as session:
            return perf.report(session, since=since, until=until)

    @router.get("/api/v1/inbox/saved-replies", response_model=list[SavedReplyOut], responses=errors(404),
                summary="Saved replies; with conversation_id, filled in for that conversation")
    def saved_replies(principal: Viewer, conversation_id: Id | None = None) -> list[SavedReplyOut]:
        replies = runtime.workspace.config.inbox.saved_replies
        with Session(runtime.engine) as session:
            try:
                conversation = service.get(session, conversation_id) if conversation_id is not None else None
            except InboxError as exc:
                raise fail(exc) from None
            out = []
            for r in replies:
                filled = None
                if conversation is not None:
                    filled = _saved(session, conversation, r.name, principal, replies)
                out.append(SavedReplyOut(name=r.name, title=r.title, de=r.text.de, en=r.text.en,
                                         filled=filled))
            return out

    @router.post("/api/v1/contacts/{contact_id}/merge", responses=errors(404, 409),
                 summary="Merge another contact into this one (the same person); undo with /unmerge")
    def merge(contact_id: Id, body: ContactLinkIn, principal: Replier) -> dict[str, int]:
        try:
            with Session(runtime.engine) as session, session.begin():
                moved = contacts.merge_contacts(session, contact_id, body.other, actor=principal.actor,
                                               now=runtime.runner.clock.now())
        except InboxError as exc:
            raise fail(exc) from None
        return {"contact_id": contact_id, "identities_moved": moved}

    @router.post("/api/v1/contacts/{contact_id}/unmerge", responses=errors(404, 409),
                 summary="Undo a merge: the other contact gets its identities and conversations back")
    def unmerge(contact_id: Id, body: ContactLinkIn, principal: Replier) -> dict[str, int]:
        try:
            with Session(runtime.engine) as session, session.begin():
                back = contacts.unmerge_contacts(session, contact_id, body.other, actor=principal.actor,
                                                now=runtime.runner.clock.now())
        except InboxError as exc:
            raise fail(exc) from None
        return {"contact_id": contact_id, "identities_returned": back}

    return router
