"""A crisis's after-action review over HTTP (permission view): the record and its figures as JSON,
the same numbers the review page shows (:func:`crisisdesk.reports.review.build_review`; the
definitions are in docs/reviews.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import Response
from sqlalchemy.orm import Session

from crisisdesk import runtime_updates as ru
from crisisdesk.accounts.deps import client_ip, require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.api.schemas import errors
from crisisdesk.core.fields import Id
from crisisdesk.reports import questionnaire
from crisisdesk.reports.actions import ReviewError, add_improvement, save_notes, set_improvement
from crisisdesk.reports.review import build_review
from crisisdesk.reports.schemas import (
    AskedOut,
    DoneIn,
    ImprovementIn,
    ImprovementOut,
    NotesIn,
    NotesOut,
    QuestionnaireIn,
    QuestionnaireOut,
)
from crisisdesk.runtime import Runtime
from crisisdesk.web.crisis_review_pages import exported
from crisisdesk.web.formatting import Formatter

Organiser = Annotated[Principal, Depends(require(Permission.CHANGE_SEVERITY))]
Worker = Annotated[Principal, Depends(require(Permission.ACKNOWLEDGE))]
Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
def reviews_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["reviews"])

    @router.get(
        "/api/v1/crises/{crisis_id}/review",
        dependencies=[Depends(require(Permission.VIEW))],
        responses=errors(e404="No crisis with that id."),
        summary="The crisis's after-action review: key moments, times, curves, channels, the team",
    )
    def review(crisis_id: Id) -> dict[str, Any]:
        """Built from the record each time it is asked for; ``final`` is false while the crisis is
        open (the figures of what has not happened yet are null, never zero)."""
        with Session(runtime.engine) as session:
            found = build_review(session, crisis_id, now=runtime.runner.clock.now())
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no crisis {crisis_id}")
        return found

    @router.get(
        "/api/v1/crises/{crisis_id}/review/export",
        dependencies=[Depends(require(Permission.VIEW))],
        responses={
            **errors(
                e404="No crisis with that id.",
                e501="PDF export is not installed on the server (WeasyPrint and Pango).",
            ),
            200: {
                "content": {"application/pdf": {}, "text/html": {}},
                "description": "The review as a file to download.",
            },
        },
        response_class=Response,
        summary="The after-action review as a document: one HTML file or a PDF, German or English",
    )
    def export(
        crisis_id: Id, format: Literal["html", "pdf"] = "pdf", lang: Literal["de", "en"] = "en"
    ) -> Response:
        """The same sections as the review page, with the charts; times in the workspace's zone."""
        fmt = Formatter(lang=lang, tz=str(runtime.workspace.config.time_zone))
        return exported(runtime, crisis_id, fmt, format)

    def change(fn: Any) -> dict[str, Any]:
        try:
            with Session(runtime.engine) as session, session.begin():
                out: dict[str, Any] = fn(session)
                return out
        except ReviewError as exc:
            raise HTTPException(exc.status, str(exc)) from None

    @router.put(
        "/api/v1/crises/{crisis_id}/review/notes",
        response_model=NotesOut,
        responses=errors(e404="No crisis with that id.", e422="The body is not valid."),
        summary="Write the review's notes: strengths, weaknesses, internal and external views",
    )
    def put_notes(request: Request, crisis_id: Id, body: NotesIn, who: Organiser) -> dict[str, Any]:
        """Fields left out stay as they are. On the crisis timeline and in the audit log."""
        now = runtime.runner.clock.now()
        values = body.model_dump(exclude_unset=True)
        return change(
            lambda s: save_notes(s, crisis_id, values, actor=who.actor, now=now, ip=client_ip(request))
        )

    @router.post(
        "/api/v1/crises/{crisis_id}/review/actions",
        response_model=ImprovementOut,
        status_code=status.HTTP_201_CREATED,
        responses=errors(e404="No crisis with that id.", e422="The body is not valid."),
        summary="Add an improvement action with its owner and due date",
    )
    def add_action(request: Request, crisis_id: Id, body: ImprovementIn, who: Organiser) -> dict[str, Any]:
        now = runtime.runner.clock.now()
        return change(
            lambda s: add_improvement(
                s,
                crisis_id,
                title=body.title,
                owner=body.owner,
                due_at=body.due_at,
                links_to=body.links_to,
                actor=who.actor,
                now=now,
                ip=client_ip(request),
            )
        )

    @router.post(
        "/api/v1/crises/{crisis_id}/review/actions/{action_id}",
        response_model=ImprovementOut,
        responses=errors(e404="No such crisis or improvement action.", e422="The body is not valid."),
        summary="Mark an improvement action done, or open it again",
    )
    def tick_action(
        request: Request, crisis_id: Id, action_id: Id, body: DoneIn, who: Worker
    ) -> dict[str, Any]:
        now = runtime.runner.clock.now()
        return change(
            lambda s: set_improvement(
                s, crisis_id, action_id, done=body.done, actor=who.actor, now=now, ip=client_ip(request)
            )
        )

    @router.post(
        "/api/v1/crises/{crisis_id}/review/questionnaire",
        response_model=AskedOut,
        responses=errors(e404="No crisis with that id."),
        summary="Send the team's questionnaire now (to those not asked before)",
    )
    def ask(crisis_id: Id, who: Organiser) -> dict[str, Any]:
        """The service asks by itself once the crisis has ended; this asks earlier. The team: the
        people who acted for the crisis and those its playbook involves (docs/reviews.md)."""
        try:
            return {"asked": ru.ask_team(runtime, crisis_id, who.actor)}
        except ReviewError as exc:
            raise HTTPException(exc.status, str(exc)) from None

    @router.put(
        "/api/v1/crises/{crisis_id}/review/questionnaire/answer",
        response_model=QuestionnaireOut,
        responses=errors(e403="Only a person answers (not a service token).", e404="No crisis with that id.",
                         e422="The body is not valid."),
        summary="Answer the team's questionnaire (your answers replace earlier ones)",
    )
    def answer(crisis_id: Id, body: QuestionnaireIn, who: Viewer) -> dict[str, Any]:
        if who.user is None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only a person answers the questionnaire")
        person, now = who.user.email, runtime.runner.clock.now()
        return change(lambda s: questionnaire.answer(s, crisis_id, person, body.model_dump(), actor=who.actor,
                                                     now=now))

    return router
