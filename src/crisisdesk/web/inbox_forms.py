"""The forms of the conversation page: answer, assign, status, priority, tags, internal notes, and
the moderation buttons on what people wrote.

Each POST is checked on the server: the session's CSRF token (``accounts.deps``), then the
permission (``reply`` for answering and changing, ``moderate`` for moderation), whatever the page
showed. A success redirects back to the conversation (post/redirect/get); a refusal shows the
page again with the reason in the reader's language and what was typed still in the form. The
work is done by the API's code: :mod:`crisisdesk.inbox.service` and, for moderation,
:mod:`crisisdesk.inbox.moderation` with the channel outbox.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.models import User
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.channels import outbox
from crisisdesk.channels.attachment_store import upload
from crisisdesk.channels.attachments import AttachmentRejected
from crisisdesk.channels.models import OutboxItem
from crisisdesk.channels.outgoing import NEEDS, Action
from crisisdesk.core.fields import Id
from crisisdesk.crises import approval
from crisisdesk.inbox import moderation, service, sla, thread_view
from crisisdesk.inbox.errors import InboxError
from crisisdesk.inbox.models import ConversationStatus, Priority
from crisisdesk.inbox.service import Change
from crisisdesk.posts.models import Post
from crisisdesk.runtime import Runtime
from crisisdesk.web.i18n import Lang, t
from crisisdesk.web.inbox_pages import Collision, Typed, conversation_page
from crisisdesk.web.templating import request_formatter, request_lang

Replier = Annotated[Principal, Depends(require(Permission.REPLY))]
Moderator = Annotated[Principal, Depends(require(Permission.MODERATE))]
#: An idempotency key as the outbox takes it (printable ASCII, no spaces).
KEY = re.compile(r"^[\x21-\x7e]{8,128}$")
MAX_NOTE = 10_000
MAX_TAGS = 50
MAX_TAG = 64
#: The reply form takes files: the app bounds its body by the attachment limit (api/app.py).
REPLY_PATH = "reply"


def parse_local_time(value: str, zone: str) -> datetime:
    """A ``datetime-local`` field ("2026-12-01T14:30"), a time in the reader's zone, as UTC.
    ValueError when it is not one."""
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC)


def split_tags(value: str) -> list[str]:
    return [tag.strip() for tag in value.split(",") if tag.strip()]


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def now() -> datetime:
        return runtime.runner.clock.now()

    def back(conversation_id: int, done: str, anchor: str) -> RedirectResponse:
        return RedirectResponse(f"/inbox/{conversation_id}?done={done}#{anchor}", status_code=303)

    def refused(request: Request, user: Principal, conversation_id: int, message: str,
                typed: Typed | None = None) -> Response:
        return conversation_page(runtime, request, user, conversation_id, error=message, typed=typed,
                                 status_code=422)

    def explain(exc: InboxError | outbox.OutboxError, lang: Lang) -> str:
        """A refusal the form could not foresee (the service's words, in English, after ours)."""
        return t("inbox.error.refused", lang, detail=str(exc))

    def apply(request: Request, user: Principal, conversation_id: int, what: Change, done: str,
              typed: Typed | None = None) -> Response:
        try:
            with Session(runtime.engine) as session, session.begin():
                conversation = service.get(session, conversation_id)

                def active(user_id: int) -> bool:
                    return bool(session.scalar(select(User.id).where(User.id == user_id, User.active)))

                at = now()
                fields = service.change(session, conversation, what, actor=user.actor, now=at,
                                        user_exists=active)
                sla.refresh(conversation, runtime.sla_policy(), at)
                acted = runtime.rules_after_change(session, conversation, fields, at)
        except InboxError as exc:
            return refused(request, user, conversation_id, explain(exc, request_lang(request, user)), typed)
        if acted:  # committed: the rules' replies and notices leave now
            runtime.outbox_queued_or_notices()
        return back(conversation_id, done, "manage")

    @r.post(f"/inbox/{{conversation_id}}/{REPLY_PATH}")
    def reply(request: Request, conversation_id: Id, user: Replier, text: Annotated[str, Form()] = "",
              visibility: Annotated[str, Form()] = "", key: Annotated[str, Form()] = "",
              seen: Annotated[str | None, Form()] = None, force: Annotated[str, Form()] = "",
              files: Annotated[list[UploadFile] | None, File()] = None) -> Response:
        """Queue the reply; ``seen`` (the newest message the page showed) makes it ask first when a
        colleague's reply went out since, as the API's ``seen``/``force`` do; ``force`` sends anyway."""
        lang = request_lang(request, user)
        typed = Typed(reply=text, visibility=visibility)
        if not text.strip():
            return refused(request, user, conversation_id, t("inbox.error.empty_reply", lang), typed)
        if len(text.strip()) > outbox.MAX_TEXT:
            return refused(request, user, conversation_id,
                           t("inbox.error.long_text", lang, length=len(text), limit=outbox.MAX_TEXT), typed)
        # The form's key: a double click sends the same request once. Without one (a hand-made
        # post), a fresh key: a new request.
        key = key if KEY.match(key) else f"web-reply-{uuid.uuid4().hex}"
        connectors = runtime.connectors()
        try:
            with Session(runtime.engine) as session, session.begin():
                conversation = service.get(session, conversation_id)
                connector = connectors.get(conversation.channel) if conversation.channel else None
                if connector is None:
                    message = t("inbox.error.not_connected", lang)
                    return refused(request, user, conversation_id, message, typed)
                private = visibility == "private" or conversation.public is False
                action = Action.REPLY_PRIVATE if private else Action.REPLY_PUBLIC
                if NEEDS[action] not in connector.capabilities:
                    return refused(request, user, conversation_id,
                                   t(f"inbox.error.cannot_{action.value}", lang), typed)
                uploads = [f for f in files or [] if f.filename]
                ids: list[int] = []
                asked = session.scalar(select(OutboxItem.id).where(OutboxItem.channel == conversation.channel,
                                                                   OutboxItem.idempotency_key == key))
                # Asked first (not for a double click: its first request was sent or asked already).
                newer = None
                if asked is None and seen is not None and force != "1":
                    newer = thread_view.newer_reply_by_someone_else(session, conversation, seen=seen,
                                                                me=user.actor.label)
                if newer is not None:
                    collision = Collision(by=newer["by"] or "", at=newer["at"], text=newer["text"],
                                          had_files=bool(uploads))
                    return conversation_page(runtime, request, user, conversation_id, collision=collision,
                                             typed=Typed(reply=text, visibility=visibility, key=key),
                                             status_code=409)
                if asked is not None:  # a double click: the first request's files, not new uploads
                    ids, uploads = list(outbox.attached_ids(session, asked)), []
                for file in uploads:  # stored with the reply; refused together with it
                    try:
                        ids.append(upload(session, runtime.attachment_store(), file.file,
                                          filename=file.filename, declared_type=file.content_type,
                                          max_bytes=runtime.settings.max_attachment_bytes,
                                          actor=user.actor, now=now()).id)
                    except AttachmentRejected as exc:
                        message = t("inbox.error.attachment", lang, name=file.filename or "", reason=str(exc))
                        return refused(request, user, conversation_id, message, typed)
                at = now()
                item = service.reply(session, conversation, text, private=private, key=key,
                                     connectors=connectors, actor=user.actor, now=at, attachments=tuple(ids))
                held = approval.submit(session, item, conversation, runtime.approval_gate(), actor=user.actor,
                                       email=user.email,
                                       can_approve=user.can(Permission.APPROVE_REPLIES), now=at)
        except InboxError as exc:
            return refused(request, user, conversation_id, explain(exc, lang), typed)
        if held:
            runtime.notices_queued()  # the approvers hear of it
            return back(conversation_id, "held", "thread")
        runtime.outbox_queued()
        return back(conversation_id, "reply", "thread")

    @r.post("/inbox/{conversation_id}/assign")
    def assign(request: Request, conversation_id: Id, user: Replier,
               assignee: Annotated[str, Form()] = "") -> Response:
        lang = request_lang(request, user)
        if assignee == "me" and user.user is not None:
            assignee = str(user.user.id)
        if not assignee.strip():
            target = 0  # nobody
        elif assignee.strip().isdigit():
            target = int(assignee)
            with Session(runtime.engine) as session:
                if session.scalar(select(User.id).where(User.id == target, User.active)) is None:
                    return refused(request, user, conversation_id, t("inbox.error.no_user", lang))
        else:
            return refused(request, user, conversation_id, t("inbox.error.no_user", lang))
        return apply(request, user, conversation_id, Change(assignee_user_id=target), "assigned")

    @r.post("/inbox/{conversation_id}/status")
    def set_status(request: Request, conversation_id: Id, user: Replier, status: Annotated[str, Form()] = "",
               snoozed_until: Annotated[str, Form()] = "") -> Response:
        lang = request_lang(request, user)
        typed = Typed(status=status, snoozed_until=snoozed_until)
        try:
            state = ConversationStatus(status)
        except ValueError:
            message = t("inbox.error.bad_status", lang, value=status)
            return refused(request, user, conversation_id, message, typed)
        until = None
        if state is ConversationStatus.SNOOZED:
            if not snoozed_until.strip():
                message = t("inbox.error.snooze_needs_time", lang)
                return refused(request, user, conversation_id, message, typed)
            try:
                until = parse_local_time(snoozed_until, request_formatter(request, user).tz)
            except ValueError:
                return refused(request, user, conversation_id,
                               t("inbox.error.bad_time", lang, value=snoozed_until), typed)
            if until <= now():
                return refused(request, user, conversation_id, t("inbox.error.snooze_past", lang), typed)
        what = Change(status=state, snoozed_until=until)
        return apply(request, user, conversation_id, what, "status", typed)

    @r.post("/inbox/{conversation_id}/priority")
    def set_priority(request: Request, conversation_id: Id, user: Replier,
                 priority: Annotated[str, Form()] = "") -> Response:
        try:
            level = Priority(priority)
        except ValueError:
            message = t("inbox.error.bad_priority", request_lang(request, user), value=priority)
            return refused(request, user, conversation_id, message)
        return apply(request, user, conversation_id, Change(priority=level), "priority")

    @r.post("/inbox/{conversation_id}/ticket")
    def make_ticket(request: Request, conversation_id: Id, user: Replier) -> Response:
        try:
            with Session(runtime.engine) as session, session.begin():
                conversation = service.get(session, conversation_id)
                at = now()
                fields = [] if conversation.ticket else ["ticket"]
                service.open_ticket(session, conversation, actor=user.actor, now=at)
                sla.refresh(conversation, runtime.sla_policy(), at)
                acted = runtime.rules_after_change(session, conversation, fields, at)
        except InboxError as exc:
            return refused(request, user, conversation_id, explain(exc, request_lang(request, user)))
        if acted:
            runtime.outbox_queued_or_notices()
        return back(conversation_id, "ticket", "manage")

    @r.post("/inbox/{conversation_id}/tags")
    def set_tags(request: Request, conversation_id: Id, user: Replier,
                 tags: Annotated[str, Form()] = "") -> Response:
        lang = request_lang(request, user)
        typed = Typed(tags=tags)
        names = split_tags(tags)
        if len(names) > MAX_TAGS:
            return refused(request, user, conversation_id,
                           t("inbox.error.many_tags", lang, count=len(names), limit=MAX_TAGS), typed)
        long = [n for n in names if len(n) > MAX_TAG]
        if long:
            return refused(request, user, conversation_id,
                           t("inbox.error.long_tag", lang, tag=long[0][:20] + "…", limit=MAX_TAG), typed)
        return apply(request, user, conversation_id, Change(tags=names), "tags", typed)

    @r.post("/inbox/{conversation_id}/notes")
    def note(request: Request, conversation_id: Id, user: Replier,
             text: Annotated[str, Form()] = "") -> Response:
        lang = request_lang(request, user)
        typed = Typed(note=text)
        if not text.strip():
            return refused(request, user, conversation_id, t("inbox.error.empty_note", lang), typed)
        if len(text) > MAX_NOTE:
            return refused(request, user, conversation_id,
                           t("inbox.error.long_text", lang, length=len(text), limit=MAX_NOTE), typed)
        try:
            with Session(runtime.engine) as session, session.begin():
                service.add_note(session, service.get(session, conversation_id), text, actor=user.actor,
                                 now=now(), notices=runtime.notices())
        except InboxError as exc:
            return refused(request, user, conversation_id, explain(exc, lang), typed)
        runtime.notices_queued()
        return back(conversation_id, "note", "timeline")

    @r.post("/inbox/{conversation_id}/retry/{item_id}")
    def retry(request: Request, conversation_id: Id, item_id: Id, user: Replier) -> Response:
        """Send a failed or uncertain reply of this conversation again (``outbox.retry``, audited)."""
        lang = request_lang(request, user)
        try:
            with Session(runtime.engine) as session, session.begin():
                conversation = service.get(session, conversation_id)
                item = session.get(OutboxItem, item_id)
                post = session.get(Post, item.post_id) if item is not None and item.post_id else None
                ours = item is not None and item.channel == conversation.channel and (
                    item.thread == conversation.thread
                    or (post is not None and post.conversation_id == conversation.thread))
                if not ours:
                    return refused(request, user, conversation_id, t("inbox.error.not_in_thread", lang))
                outbox.retry(session, item_id, actor=user.actor, now=now())
        except (InboxError, outbox.OutboxError) as exc:
            return refused(request, user, conversation_id, explain(exc, lang))
        runtime.outbox_queued()
        return back(conversation_id, "retried", f"out-{item_id}")

    @r.post("/inbox/{conversation_id}/moderate")
    def moderate(request: Request, conversation_id: Id, user: Moderator,
                 external_id: Annotated[str, Form()] = "", action: Annotated[str, Form()] = "",
                 key: Annotated[str, Form()] = "") -> Response:
        """A moderation button: the request that ``POST /api/v1/posts/{platform}/{external_id}/moderation``
        makes (:func:`crisisdesk.inbox.moderation.request_for`), checked against this conversation."""
        lang = request_lang(request, user)
        if action not in moderation.MODERATION:
            return refused(request, user, conversation_id, t("inbox.error.bad_action", lang, value=action))
        key = key if KEY.match(key) else f"web-mod-{uuid.uuid4().hex}"
        connectors = runtime.connectors()
        try:
            with Session(runtime.engine) as session, session.begin():
                conversation = service.get(session, conversation_id)
                connector = connectors.get(conversation.channel) if conversation.channel else None
                if connector is None:
                    return refused(request, user, conversation_id, t("inbox.error.not_connected", lang))
                if not moderation.possible(connector, action):
                    what = t(f"inbox.moderate.{action}", lang)
                    return refused(request, user, conversation_id,
                                   t("inbox.error.moderation_impossible", lang, action=what))
                asked = moderation.request_for(session, platform=conversation.platform,
                                               external_id=external_id, name=action, key=key,
                                               connectors=connectors)
                post = session.get(Post, asked.post_id)
                if post is None or post.conversation_id != conversation.thread:
                    return refused(request, user, conversation_id, t("inbox.error.not_in_thread", lang))
                post_id = post.id
                _, created = outbox.enqueue(session, asked, connectors=connectors, actor=user.actor,
                                            now=now())
        except (InboxError, outbox.OutboxError) as exc:
            if isinstance(exc, outbox.OutboxError) and exc.status == 404:
                return refused(request, user, conversation_id, t("inbox.error.not_in_thread", lang))
            return refused(request, user, conversation_id, explain(exc, lang))
        if created:
            runtime.outbox_queued()
        return back(conversation_id, "moderation", f"in-{post_id}")

    return r
