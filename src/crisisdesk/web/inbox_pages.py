"""The inbox: conversations by view with their counts, and one conversation with its thread (what
people wrote and what we answered, with its delivery), the contact's other conversations and the
team's timeline, with the forms to act on it (:mod:`crisisdesk.web.inbox_forms`).

The pages read through the same services as ``/api/v1/conversations`` (:mod:`crisisdesk.inbox.service`):
views, counts, keyset pages and search are the API's, not a second query.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.accounts.service import list_users
from crisisdesk.analysis.complaints import DEFAULT_TAXONOMY
from crisisdesk.channels.base import Capability
from crisisdesk.channels.outgoing import private_reply_window
from crisisdesk.core.fields import Id
from crisisdesk.crises import approval
from crisisdesk.detection.models import Situation
from crisisdesk.guidelines import Code
from crisisdesk.inbox import contacts, listing, moderation, moves, service, sla, sla_alerts, thread_view
from crisisdesk.inbox.errors import InboxError
from crisisdesk.inbox.listing import Filters, View
from crisisdesk.inbox.models import Contact, Conversation, ConversationEvent, ConversationStatus, Priority
from crisisdesk.inbox.situations import about
from crisisdesk.inbox.teams import teams_of
from crisisdesk.inbox.texts import fill, values_for
from crisisdesk.posts.models import Author
from crisisdesk.runtime import Runtime
from crisisdesk.web.formatting import format_timedelta
from crisisdesk.web.i18n import MESSAGES, Lang, t
from crisisdesk.web.templating import render, request_lang

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
PAGE_SIZE = 50
MAX_QUERY = 200
#: The list's status filter: one status, or ``any`` (every status).
STATUSES = [s.value for s in ConversationStatus] + ["any"]
#: How many of the contact's other conversations the page links to.
OTHERS = 20


@dataclass(frozen=True, slots=True)
class Typed:
    """What a person typed into a form that was refused: shown again, so nothing is lost."""

    reply: str = ""
    visibility: str = ""
    note: str = ""
    tags: str | None = None
    status: str = ""
    snoozed_until: str = ""
    #: The reply form's idempotency key, kept when the same reply is offered again (a collision).
    key: str = ""


@dataclass(frozen=True, slots=True)
class Collision:
    """A colleague's reply that went out after the sender's page was rendered
    (:func:`crisisdesk.inbox.thread_view.newer_reply_by_someone_else`): shown instead of sending."""

    by: str
    at: datetime
    text: str
    #: Files came with the refused reply; a confirm button cannot carry them, the form can.
    had_files: bool = False


def _user_names(session: Session) -> dict[int, str]:
    return {u.id: u.name or u.email for u in list_users(session)}


def _label(key: str, lang: Lang, fallback: str) -> str:
    """A value from the data (a status, an event kind) in the reader's language, else as stored."""
    return t(key, lang) if key in MESSAGES else fallback


def _timeline(events: Sequence[ConversationEvent], lang: Lang,
              users: Mapping[int, str]) -> list[dict[str, Any]]:
    """Each event as the page says it: what happened, and the change (from → to) in words."""

    def word(kind: str, value: Any) -> str:
        if value is None or value == [] or value == "":
            return t("inbox.nobody", lang) if kind == "assigned" else "–"
        if kind == "assigned":
            return users.get(value, f"#{value}") if isinstance(value, int) else str(value)
        if kind == "status":
            return _label(f"inbox.status.{value}", lang, str(value))
        if kind == "priority":
            return _label(f"inbox.priority.{value}", lang, str(value))
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)

    out = []
    for e in events:
        body = e.body or {}
        link = None
        if e.kind in (moves.MOVED_TO, moves.MOVED_FROM):  # the other conversation, linked by the page
            other = body.get("conversation_id")
            link = other if isinstance(other, int) else None
            detail = "" if link is not None else t("inbox.moved_waiting", lang)
        elif "from" in body or "to" in body:
            detail = f"{word(e.kind, body.get('from'))} → {word(e.kind, body.get('to'))}"
        else:
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(body.items()))
        out.append({"id": e.id, "at": e.at, "kind": e.kind, "actor": e.actor, "detail": detail, "link": link,
                    "what": _label(f"inbox.event.{e.kind}", lang, e.kind),
                    "note": e.text if e.kind == "note" else None})
    return out


def _since(now: datetime, lang: Lang) -> Callable[[datetime | None], str]:
    """How long ago, in words ("2 Stunden" / "2 hours"), on the service's clock (stream time in a replay)."""

    def since(at: datetime | None) -> str:
        return "" if at is None else format_timedelta(max(now - at, timedelta(0)), lang)

    return since


def _until(now: datetime, lang: Lang) -> Callable[[datetime | None], str]:
    """How long until, in words (a due time)."""

    def until(at: datetime | None) -> str:
        return "" if at is None else format_timedelta(max(at - now, timedelta(0)), lang)

    return until


def _sla(c: Conversation, now: datetime, alerts: Mapping[str, int]) -> list[dict[str, Any]]:
    """The ticket's due times as the page shows them: which, when, overdue, its alert."""
    return [{"kind": kind, "due": due, "overdue": due <= now, "situation": alerts.get(kind)}
            for kind in sla.KINDS if (due := sla.due_of(c, kind)) is not None]


def _complaint_labels(runtime: Runtime, lang: Lang) -> dict[str, str]:
    taxonomy = runtime.workspace.config.analysis.complaint_types or list(DEFAULT_TAXONOMY)
    return {x.name: (x.label_de if lang == "de" else x.label_en) for x in taxonomy}


def _check_context(thread: Sequence[Mapping[str, Any]], contact: Contact | None, identities: Sequence[Author],
                   written_in: str | None) -> dict[str, Any]:
    """What the reply check needs (inbox.js asks ``/api/v1/replies/check`` as the reply is typed):
    the person's name, the reply's language, and whether an apology may be called for: always,
    unless the person's latest message is praise (positive, no complaint type). Erring towards
    "expected" costs a hint the agent can ignore; erring the other way hides a missing apology."""
    named = [a.name or (f"@{a.handle}" if a.handle else "") for a in identities]
    name = (contact.name if contact is not None and contact.name else "") or next((n for n in named if n), "")
    inbound = [m for m in thread if m["direction"] == "in"]
    latest = inbound[-1] if inbound else None
    apology = latest is None or latest.get("sentiment") != "positive" or bool(latest.get("complaint_types"))
    return {"check_name": name, "check_lang": written_in if written_in in ("de", "en") else "",
            "check_apology": apology, "check_codes": [c.value for c in Code]}


def _window(connector: object, closes: datetime | None, now: datetime) -> dict[str, Any] | None:
    """The platform's window for free-form private messages as the reply form shows it: when it
    closes (or closed), and how long it is; None where the platform sets none."""
    length = private_reply_window(connector)
    if closes is None or length is None:
        return None
    # Closed as inbox.service.reply counts it (it refuses a private answer after ``closes``).
    return {"closes": closes, "closed": now > closes, "hours": round(length.total_seconds() / 3600)}


def conversation_page(runtime: Runtime, request: Request, user: Principal, conversation_id: int, *,
                      done: str = "", error: str = "", typed: Typed | None = None,
                      collision: Collision | None = None, status_code: int = 200) -> HTMLResponse:
    """The conversation page; with ``error`` (and what was typed) after a refused form, with
    ``collision`` after a reply held back because a colleague answered meanwhile."""
    lang = request_lang(request, user)
    connectors = runtime.connectors()
    with Session(runtime.engine) as session:
        try:
            c = service.get(session, conversation_id)
        except InboxError:
            return render(request, "error.html", user, nav="inbox", status_code=404,
                          message=t("inbox.error.no_conversation", lang, id=conversation_id))
        thread = thread_view.messages(session, c)
        events = service.events(session, c.id)
        users = _user_names(session)
        assignable = [(u.id, u.name or u.email) for u in list_users(session, active=True)]
        contact: Contact | None = None
        identities: list[Author] = []
        others: list[Conversation] = []
        if c.contact_id is not None:
            contact, identities = contacts.contact_of(session, c.contact_id)
            rows, _ = listing.list_conversations(session, Filters(status=None, contact_id=c.contact_id),
                                                 user_id=None, limit=OTHERS + 1)
            others = [r for r in rows if r.id != c.id][:OTHERS]
        inbound = [m["post_id"] for m in thread if m["direction"] == "in"]
        moderations = moderation.requests_of(session, inbound)
        alerts = sla_alerts.breach_situations(session.connection(), c.id) if c.ticket else {}
        found = about(session, c)
        # The saved replies, filled in for this conversation and this reader (inbox.js inserts them).
        written_in = service.language_of(session, c)
        agent = user.user.name if user.user is not None else None
        values = values_for(session, c, agent=agent, lang=written_in)
        saved = [(r.name, r.title or r.name, fill(r.text, written_in, values))
                 for r in runtime.workspace.config.inbox.saved_replies]
        checking = _check_context(thread, contact, identities, written_in)
        gate = runtime.approval_gate()
        crisis = approval.crisis_over(session, c, gate)
        email = user.email
        if crisis is not None and gate.may_speak(crisis, email, user.can(Permission.APPROVE_REPLIES)):
            crisis = None  # this reader speaks for the crisis: nothing to warn of
    now = runtime.runner.clock.now()
    connector = connectors.get(c.channel) if c.channel is not None else None
    capabilities = connector.capabilities if connector is not None else frozenset()
    replies = {"public": Capability.REPLY_PUBLIC in capabilities and c.public is not False,
               "private": Capability.REPLY_PRIVATE in capabilities,
               "files": Capability.ATTACHMENTS in capabilities}
    window = _window(connector, service.window_closes_at(c, connectors), now) if replies["private"] else None
    render_key = uuid.uuid4().hex
    typed = typed or Typed(tags=", ".join(c.tags or []))
    return render(
        request, "conversation.html", user, nav="inbox", status_code=status_code, c=c, thread=thread,
        timeline=_timeline(events, lang, users), moved=moves.links(events), users=users,
        assignable=assignable, contact=contact,
        identities=identities, others=others, moderations=moderations, connected=connector is not None,
        about=found, approval_needed=crisis,
        replies=replies, moderation_names=list(moderation.MODERATION),
        can_moderate={name: moderation.possible(connector, name) for name in moderation.MODERATION},
        impossible=[t(f"inbox.moderate.{name}", lang) for name in moderation.MODERATION
                    if not moderation.possible(connector, name)],
        action_names={action.value: name for name, action in moderation.MODERATION.items()},
        statuses=[s.value for s in ConversationStatus], priorities=[p.value for p in Priority],
        complaint_label=_complaint_labels(runtime, lang), since=_since(now, lang), until=_until(now, lang),
        sla=_sla(c, now, alerts), saved_replies=saved, reply_key=typed.key or f"web-reply-{render_key}",
        moderation_key=f"web-mod-{render_key[:16]}", window=window, collision=collision,
        me=user.actor.label,
        # The newest message on screen: a reply sent after it by someone else makes the form ask first.
        seen=thread[-1]["id"] if thread else "",
        done=t(f"inbox.done.{done}", lang) if f"inbox.done.{done}" in MESSAGES else "",
        error=error, typed=typed, **checking)


def _query(params: Mapping[str, str], **changes: str) -> str:
    """The list's URL with ``changes`` to its filters (empty ones left out)."""
    merged = {**params, **changes}
    return "/inbox?" + urlencode([(k, v) for k, v in merged.items() if v])


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/inbox", response_class=HTMLResponse)
    def inbox(request: Request, user: Viewer, view: str = "all", status: str = "open", channel: str = "",
              monitor: str = "", q: str = "", after: str = "", situation: str = "") -> HTMLResponse:
        lang = request_lang(request, user)
        problems: list[str] = []
        if view not in {v.value for v in View}:
            problems.append(t("inbox.error.bad_view", lang, value=view))
            view = View.ALL.value
        if status not in STATUSES:
            problems.append(t("inbox.error.bad_status", lang, value=status))
            status = ConversationStatus.OPEN.value
        if len(q) > MAX_QUERY:
            problems.append(t("inbox.error.long_query", lang, limit=MAX_QUERY))
            q = q[:MAX_QUERY]
        state = None if status == "any" else ConversationStatus(status)
        situation_id = int(situation) if situation.isdigit() and len(situation) < 12 else None
        now = runtime.runner.clock.now()
        due = listing.due_before(now, runtime.workspace.config.inbox.sla.warn_before_minutes)
        user_id = user.user.id if user.user is not None else None
        teams = teams_of(runtime.workspace.config.inbox.teams, user.user.email if user.user else None)
        with Session(runtime.engine) as session:
            if situation and (situation_id is None or session.get(Situation, situation_id) is None):
                problems.append(t("inbox.error.bad_situation", lang, value=situation))
                situation, situation_id = "", None
            filters = Filters(view=View(view), status=state, channel=channel or None, monitor=monitor or None,
                              q=q.strip() or None, situation=situation_id, due_before=due)
            try:
                rows, cursor = listing.list_conversations(session, filters, user_id=user_id, limit=PAGE_SIZE,
                                                          after=after or None, teams=teams)
            except InboxError:
                problems.append(t("inbox.error.bad_cursor", lang))
                after = ""
                rows, cursor = listing.list_conversations(session, filters, user_id=user_id, limit=PAGE_SIZE,
                                                          teams=teams)
            counts = listing.view_counts(session, user_id=user_id, status=state, teams=teams, due=due)
            names = contacts.contact_names(session, [c.contact_id for c in rows])
            users = _user_names(session)
        params = {"view": view, "status": status, "channel": channel, "monitor": monitor, "q": q,
                  "situation": situation}
        config = runtime.workspace.config
        partial = request.headers.get("x-partial") == "1" and not problems
        return render(
            request, "inbox_live.html" if partial else "inbox.html", user, nav="inbox",
            status_code=400 if problems else 200, rows=rows, live_url=_query(params, after=after),
            views=[(v.value, counts.get(v.value, 0), _query(params, view=v.value)) for v in View],
            view=view, status=status, statuses=STATUSES, channel=channel, monitor=monitor, q=q,
            situation=situation,
            channels=sorted(ch.key for ch in config.channels),
            monitors=sorted(m.name for m in config.monitors),
            contacts=names, users=users, problems=problems, since=_since(now, lang), until=_until(now, lang),
            now=now,
            older=_query(params, after=cursor) if cursor else "", newest=_query(params) if after else "")

    @r.get("/inbox/{conversation_id}", response_class=HTMLResponse)
    def conversation(request: Request, conversation_id: Id, user: Viewer, done: str = "") -> HTMLResponse:
        return conversation_page(runtime, request, user, conversation_id, done=done)

    return r

