"""A contact's page: who the person is on each platform, their whole story across channels in one
timeline, and merging with another contact (the same person elsewhere), with the undo.

Reading needs ``view``; merging and undoing need ``reply`` (as over the API), checked on the
server, with the session's CSRF token. Both run the API's code
(:mod:`crisisdesk.inbox.contacts`) and are audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.core.fields import Id
from crisisdesk.inbox import contact_timeline, contacts
from crisisdesk.inbox.errors import InboxError
from crisisdesk.runtime import Runtime
from crisisdesk.web.i18n import t
from crisisdesk.web.templating import render, request_lang

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Replier = Annotated[Principal, Depends(require(Permission.REPLY))]
MAX_FIND = 100


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def page(
        request: Request,
        user: Principal,
        contact_id: int,
        *,
        find: str = "",
        done: str = "",
        error: str = "",
        status_code: int = 200,
    ) -> HTMLResponse:
        lang = request_lang(request, user)
        with Session(runtime.engine) as session:
            try:
                found, identities = contacts.contact_of(session, contact_id)
            except InboxError as exc:
                return render(request, "error.html", user, message=str(exc), status_code=404)
            entries, cut = contact_timeline.timeline(session, contact_id)
            merged = contact_timeline.merged_from(session, contact_id)
            candidates = contact_timeline.find(session, find, exclude=contact_id) if find.strip() else []
            names = contacts.contact_names(session, [c.id for c in candidates] + [m for m, _ in merged])
        conversations = {e.conversation.id: e.conversation for e in entries}
        return render(
            request,
            "contact.html",
            user,
            nav="inbox",
            status_code=status_code,
            contact=found,
            identities=identities,
            entries=entries,
            cut=cut,
            merged=merged,
            names=names,
            conversations=conversations,
            candidates=candidates,
            find=find[:MAX_FIND],
            error=error,
            done=t(f"contact.done.{done}", lang) if done in ("merged", "unmerged") else "",
        )

    @r.get("/inbox/contacts/{contact_id}", response_class=HTMLResponse)
    def contact(
        request: Request, contact_id: Id, user: Viewer, find: str = "", done: str = ""
    ) -> HTMLResponse:
        return page(request, user, contact_id, find=find[:MAX_FIND], done=done)

    def link(request: Request, user: Principal, contact_id: int, other: str, *, undo: bool) -> Response:
        lang = request_lang(request, user)
        if not other.strip().isdigit() or len(other.strip()) > 12:
            return page(
                request,
                user,
                contact_id,
                error=t("contact.error.bad_other", lang, value=other[:40]),
                status_code=422,
            )
        now = runtime.runner.clock.now()
        try:
            with Session(runtime.engine) as session, session.begin():
                act = contacts.unmerge_contacts if undo else contacts.merge_contacts
                act(session, contact_id, int(other), actor=user.actor, now=now)
        except InboxError as exc:
            return page(
                request,
                user,
                contact_id,
                error=t("inbox.error.refused", lang, detail=str(exc)),
                status_code=exc.status if exc.status in (404, 409) else 422,
            )
        done = "unmerged" if undo else "merged"
        return RedirectResponse(f"/inbox/contacts/{contact_id}?done={done}", status_code=303)

    @r.post("/inbox/contacts/{contact_id}/merge")
    def merge(
        request: Request, contact_id: Id, user: Replier, other: Annotated[str, Form()] = ""
    ) -> Response:
        return link(request, user, contact_id, other, undo=False)

    @r.post("/inbox/contacts/{contact_id}/unmerge")
    def unmerge(
        request: Request, contact_id: Id, user: Replier, other: Annotated[str, Form()] = ""
    ) -> Response:
        return link(request, user, contact_id, other, undo=True)

    return r
