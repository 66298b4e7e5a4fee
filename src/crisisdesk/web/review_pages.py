"""The moderation review queue as a page: what inbox rules hid, for a person to confirm (it stays
hidden) or restore (an unhide is queued). The decision runs the API's own code
(:func:`crisisdesk.api.moderation.decide_review`): the audit entry with the rule and the
classifier's score, the label correction ``crisisdesk retrain`` learns from, the unhide through
the outbox. Needs ``moderate``, checked on the server for the page and for each decision.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.api.moderation import decide_review, review_out
from crisisdesk.core.fields import Id
from crisisdesk.inbox.models import ModerationReview, ReviewStatus
from crisisdesk.runtime import Runtime
from crisisdesk.web.i18n import t
from crisisdesk.web.templating import render, request_lang

Moderator = Annotated[Principal, Depends(require(Permission.MODERATE))]
PAGE = 100


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def page(request: Request, user: Principal, state: str, *, done: str = "", error: str = "",
             status_code: int = 200) -> HTMLResponse:
        chosen = ReviewStatus(state) if state in {s.value for s in ReviewStatus} else ReviewStatus.PENDING
        with Session(runtime.engine) as session:
            rows = session.scalars(select(ModerationReview).where(ModerationReview.status == chosen.value)
                                   .order_by(ModerationReview.id.desc()).limit(PAGE))
            reviews = [review_out(session, row) for row in rows]
            counts = dict(session.execute(select(ModerationReview.status, func.count())
                                          .group_by(ModerationReview.status)).all())
        lang = request_lang(request, user)
        return render(request, "inbox_reviews.html", user, nav="inbox", status_code=status_code,
                      reviews=reviews, state=chosen.value, states=[s.value for s in ReviewStatus],
                      counts=counts, error=error,
                      done=t(f"reviews.done.{done}", lang) if done in ("confirm", "restore") else "")

    @r.get("/inbox/reviews", response_class=HTMLResponse)
    def reviews(request: Request, user: Moderator, state: str = "pending", done: str = "") -> HTMLResponse:
        return page(request, user, state, done=done)

    @r.post("/inbox/reviews/{review_id}")
    def decide(request: Request, review_id: Id, user: Moderator,
               decision: Annotated[str, Form()] = "") -> Response:
        lang = request_lang(request, user)
        if decision not in ("confirm", "restore"):
            return page(request, user, "pending", error=t("reviews.error.bad_decision", lang, value=decision),
                        status_code=400)
        try:
            decide_review(runtime, review_id, "confirm" if decision == "confirm" else "restore",
                          actor=user.actor)
        except HTTPException as exc:
            return page(request, user, "pending", error=str(exc.detail), status_code=exc.status_code)
        if decision == "restore":
            runtime.outbox_queued()
        return RedirectResponse(f"/inbox/reviews?done={decision}", status_code=303)

    return r
