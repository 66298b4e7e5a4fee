"""A crisis's stakeholder updates over HTTP: the plan and what is due, drafts, the approval gate,
publishing in one step, and the press release to download (docs/updates.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import Response
from sqlalchemy.orm import Session

from crisisdesk import runtime_updates as ru
from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.api.schemas import errors
from crisisdesk.core.clock import SystemClock
from crisisdesk.core.fields import Id
from crisisdesk.crises.models import Crisis
from crisisdesk.runtime import Runtime
from crisisdesk.updates import actions, service
from crisisdesk.updates.models import StakeholderUpdate
from crisisdesk.updates.schemas import PlanIn, PlanOut, RejectIn, UpdateChange, UpdateCreate, UpdateOut
from crisisdesk.updates.service import UpdatesError
from crisisdesk.web.press_release import press_release

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Organiser = Annotated[Principal, Depends(require(Permission.CHANGE_SEVERITY))]
Writer = Annotated[Principal, Depends(require(Permission.REPLY))]
Approver = Annotated[Principal, Depends(require(Permission.APPROVE_REPLIES))]


def updates_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["updates"])

    def run(act: Callable[[Session], Any]) -> Any:
        try:
            return ru.change(runtime, act)
        except UpdatesError as exc:
            raise HTTPException(exc.status, str(exc)) from None

    def described(act: Callable[[Session], StakeholderUpdate]) -> dict[str, Any]:
        """Run an action and answer with the update as it left it, in the same transaction."""

        def both(session: Session) -> dict[str, Any]:
            row = act(session)
            return service.describe(row, service.publications_of(session, [row.id])[row.id])

        out: dict[str, Any] = run(both)
        return out

    @router.get(
        "/api/v1/crises/{crisis_id}/updates",
        responses=errors(e404="No crisis with that id."),
        summary="The crisis's update plan, what is due to whom, and its updates with where each went",
    )
    def overview(crisis_id: Id, who: Viewer) -> dict[str, Any]:
        try:
            found = ru.overview(runtime, crisis_id)
        except UpdatesError as exc:
            raise HTTPException(exc.status, str(exc)) from None
        return {
            "plan": PlanOut.model_validate(found["plan"]).model_dump(mode="json"),
            "updates": [UpdateOut.model_validate(u).model_dump(mode="json") for u in found["updates"]],
        }

    @router.put(
        "/api/v1/crises/{crisis_id}/updates/plan",
        response_model=PlanOut,
        responses=errors(e404="No crisis with that id.", e422="The plan is not valid."),
        summary="Replace the crisis's update plan (audiences, channels, cadence, owner, template)",
    )
    def put_plan(crisis_id: Id, body: PlanIn, who: Organiser) -> PlanOut:
        now = runtime.runner.clock.now()
        types = list(runtime.workspace.config.crisis_types)

        def act(session: Session) -> None:
            crisis = session.get(Crisis, crisis_id)
            if crisis is None:
                raise UpdatesError(f"no crisis {crisis_id}", status=404)
            service.set_plan(
                session,
                crisis,
                [a.model_dump(mode="json") for a in body.audiences],
                types,
                actor=who.actor.label,
                now=now,
            )

        run(act)
        return PlanOut.model_validate(ru.overview(runtime, crisis_id)["plan"])

    @router.post(
        "/api/v1/crises/{crisis_id}/updates",
        response_model=UpdateOut,
        status_code=status.HTTP_201_CREATED,
        responses=errors(e404="No crisis with that id.", e422="The audience is not in the plan."),
        summary="Start an update to an audience: a draft prefilled from the crisis record",
    )
    def create(crisis_id: Id, body: UpdateCreate, who: Writer) -> Any:
        gate, now, zone = runtime.approval_gate(), runtime.runner.clock.now(), ru.zone(runtime)
        return described(
            lambda s: actions.create(
                s, crisis_id, body.audience.value, gate, lang=body.lang, actor=who.actor, now=now, zone=zone
            )
        )

    @router.patch(
        "/api/v1/crises/{crisis_id}/updates/{update_id}",
        response_model=UpdateOut,
        responses=errors(
            e404="No such crisis or update.", e409="It is not a draft.", e422="The body is not valid."
        ),
        summary="Change a draft (a rejected update becomes a draft again)",
    )
    def edit(crisis_id: Id, update_id: Id, body: UpdateChange, who: Writer) -> Any:
        now = runtime.runner.clock.now()
        given = body.model_fields_set
        return described(
            lambda s: actions.edit(
                s,
                crisis_id,
                update_id,
                actor=who.actor,
                now=now,
                title=body.title,
                body=body.body,
                channels=body.channels,
                phase=body.phase.value if body.phase else None,
                next_update_at=body.next_update_at,
                clear_next="next_update_at" in given and body.next_update_at is None,
            )
        )

    @router.post(
        "/api/v1/crises/{crisis_id}/updates/{update_id}/submit",
        response_model=UpdateOut,
        responses=errors(e404="No such crisis or update.", e409="It is not a draft."),
        summary="Check the draft against the guidelines and ask a spokesperson to approve it",
    )
    def submit(crisis_id: Id, update_id: Id, who: Writer) -> Any:
        """A spokesperson's own update is approved at once; the checker's findings are kept."""
        gate, now = runtime.approval_gate(), runtime.runner.clock.now()
        return described(
            lambda s: actions.submit(
                s,
                crisis_id,
                update_id,
                gate,
                actor=who.actor,
                email=who.email,
                can_approve=who.can(Permission.APPROVE_REPLIES),
                now=now,
            )
        )

    @router.post(
        "/api/v1/crises/{crisis_id}/updates/{update_id}/approve",
        response_model=UpdateOut,
        responses=errors(
            e403="You are not one of the crisis's spokespersons.",
            e404="No such crisis or update.",
            e409="It is not awaiting approval.",
        ),
        summary="Approve an update (spokespersons of the crisis's type)",
    )
    def approve(crisis_id: Id, update_id: Id, who: Approver) -> Any:
        gate, now = runtime.approval_gate(), runtime.runner.clock.now()
        return described(
            lambda s: actions.approve(
                s, crisis_id, update_id, gate, actor=who.actor, email=who.email, can_approve=True, now=now
            )
        )

    @router.post(
        "/api/v1/crises/{crisis_id}/updates/{update_id}/reject",
        response_model=UpdateOut,
        responses=errors(
            e403="You are not one of the crisis's spokespersons.",
            e404="No such crisis or update.",
            e409="It is not awaiting approval.",
            e422="The comment is missing.",
        ),
        summary="Reject an update with a comment for its author",
    )
    def reject(crisis_id: Id, update_id: Id, body: RejectIn, who: Approver) -> Any:
        gate, now = runtime.approval_gate(), runtime.runner.clock.now()
        return described(
            lambda s: actions.reject(
                s,
                crisis_id,
                update_id,
                gate,
                actor=who.actor,
                email=who.email,
                can_approve=True,
                now=now,
                comment=body.comment,
            )
        )

    @router.post(
        "/api/v1/crises/{crisis_id}/updates/{update_id}/publish",
        response_model=UpdateOut,
        responses=errors(e404="No such crisis or update.", e409="It is not approved."),
        summary="Publish an approved update to each of its channels in one step",
    )
    def publish(crisis_id: Id, update_id: Id, who: Writer) -> Any:
        """Each channel's outcome is in ``publications`` (queued, delivered, partly, failed)."""
        outlets, now = ru.outlets(runtime), runtime.runner.clock.now()

        def published(s: Session) -> StakeholderUpdate:
            actions.publish(s, crisis_id, update_id, outlets, actor=who.actor, now=now, clock=SystemClock())
            return actions.get(s, crisis_id, update_id)

        return described(published)

    @router.get(
        "/api/v1/crises/{crisis_id}/updates/{update_id}/press-release",
        responses={
            **errors(
                e404="No such crisis or update.",
                e409="It is not published.",
                e501="PDF export is not installed on the server (WeasyPrint and Pango).",
            ),
            200: {
                "content": {"application/pdf": {}, "text/html": {}},
                "description": "The press release as a file to download.",
            },
        },
        response_class=Response,
        summary="A published update as a press release (HTML or PDF)",
    )
    def release(
        crisis_id: Id, update_id: Id, who: Viewer, format: Literal["html", "pdf"] = "pdf"
    ) -> Response:
        return press_release(runtime, crisis_id, update_id, format)

    return router
