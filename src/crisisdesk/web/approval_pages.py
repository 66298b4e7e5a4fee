"""The approval queue (``/approvals``): public replies a crisis's approval gate held, each with the
reply check's findings, and the spokesperson's forms to approve it as written, edit and approve it,
or reject it with a comment for its author.

The page and its forms need ``approve_replies`` (the forms also the session's CSRF token); when the
crisis's type names spokespersons, only they decide, whatever the page showed. The work is done
by :mod:`crisisdesk.crises.approval`, as for ``/api/v1/approvals``.
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
from crisisdesk.crises import approval
from crisisdesk.crises.models import Crisis
from crisisdesk.runtime import Runtime
from crisisdesk.web.i18n import MESSAGES, t
from crisisdesk.web.templating import render, request_lang

Approver = Annotated[Principal, Depends(require(Permission.APPROVE_REPLIES))]


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def page(request: Request, user: Approver, *, done: str = "", error: str = "",
             status_code: int = 200) -> HTMLResponse:
        gate = runtime.approval_gate()
        email = user.email
        lang = request_lang(request, user)
        with Session(runtime.engine) as session:
            rows = approval.pending(session)
            for row in rows:
                crisis = session.get(Crisis, row["crisis"]["id"]) if row["crisis"] else None
                named = gate.spokespersons(crisis)
                row["mine"] = gate.may_speak(crisis, email, user.can(Permission.APPROVE_REPLIES))
                row["approvers"] = ", ".join(sorted(named)) if named else t("approval.anyone_approving", lang)
        return render(request, "approvals.html", user, nav="approvals", status_code=status_code, rows=rows,
                      done=t(f"approval.done.{done}", lang) if f"approval.done.{done}" in MESSAGES else "",
                      error=error)

    @r.get("/approvals", response_class=HTMLResponse)
    def queue(request: Request, user: Approver, done: str = "") -> HTMLResponse:
        return page(request, user, done=done)

    def decide(request: Request, user: Principal, item_id: int, act: str, text: str | None,
               comment: str) -> Response:
        lang = request_lang(request, user)
        email = user.email
        can = user.can(Permission.APPROVE_REPLIES)
        now = runtime.runner.clock.now()
        try:
            with Session(runtime.engine) as session, session.begin():
                if act == "approve":
                    approval.approve(session, item_id, runtime.approval_gate(), actor=user.actor, email=email,
                                     can_approve=can, now=now, text=text)
                else:
                    approval.reject(session, item_id, runtime.approval_gate(), actor=user.actor, email=email,
                                    can_approve=can, now=now, comment=comment)
        except approval.ApprovalError as exc:
            key = {403: "approval.error.not_yours", 404: "approval.error.gone", 409: "approval.error.decided",
                   422: "approval.error.comment" if act == "reject" else "approval.error.text"}[exc.status]
            return page(request, user, error=f"{t(key, lang)} ({exc})", status_code=exc.status)
        if act == "approve":
            runtime.outbox_queued()
        return RedirectResponse(f"/approvals?done={'approved' if act == 'approve' else 'rejected'}",
                                status_code=303)

    @r.post("/approvals/{item_id}/approve")
    def approve(request: Request, item_id: Id, user: Approver,
                text: Annotated[str | None, Form()] = None) -> Response:
        """Without ``text``: as written; with it: as edited (an empty edit is refused)."""
        clean = text.replace("\x00", "") if text is not None else None  # PostgreSQL's text holds no NUL
        return decide(request, user, item_id, "approve", clean, "")

    @r.post("/approvals/{item_id}/reject")
    def reject(request: Request, item_id: Id, user: Approver,
               comment: Annotated[str, Form()] = "") -> Response:
        return decide(request, user, item_id, "reject", None, comment.replace("\x00", ""))

    return r
