"""The crisis's updates page: the plan with what is due (and overdue) to whom, writing an update
from its prefilled draft, the guideline check, the spokesperson's approval, publishing in one
step, and where each update went; and the press release to download. The same actions as
``/api/v1/crises/{id}/updates`` (api/updates.py), through forms."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from crisisdesk import runtime_updates as ru
from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.core.clock import SystemClock
from crisisdesk.core.fields import Id
from crisisdesk.crises.models import Crisis
from crisisdesk.runtime import Runtime
from crisisdesk.updates import actions, service
from crisisdesk.updates.config import Audience, Phase
from crisisdesk.updates.service import UpdatesError
from crisisdesk.web.i18n import t
from crisisdesk.web.press_release import press_release
from crisisdesk.web.templating import render, request_formatter

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Organiser = Annotated[Principal, Depends(require(Permission.CHANGE_SEVERITY))]
Writer = Annotated[Principal, Depends(require(Permission.REPLY))]
Approver = Annotated[Principal, Depends(require(Permission.APPROVE_REPLIES))]
Short = Annotated[str, Form(max_length=2000)]


def _channels(text: str) -> list[str]:
    return [c.strip() for c in text.replace("\n", ",").split(",") if c.strip()]


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def back(crisis_id: int, anchor: str = "", error: str = "") -> Response:
        query = f"?error={quote(error)}" if error else "?saved=1"
        return RedirectResponse(
            f"/crises/{crisis_id}/updates{query}{'#' + anchor if anchor else ''}", status_code=303
        )

    def attempt(crisis_id: int, anchor: str, act: Any) -> Response:
        """Run an action; a refusal a person can fix comes back as the page's message, a missing
        crisis or update as 404."""
        try:
            ru.change(runtime, act)
        except UpdatesError as exc:
            if exc.status == 404:
                raise HTTPException(404, str(exc)) from None
            return back(crisis_id, anchor, str(exc))
        return back(crisis_id, anchor)

    @r.get("/crises/{crisis_id}/updates", response_class=HTMLResponse)
    def page(request: Request, user: Viewer, crisis_id: Id, error: str = "", saved: str = "") -> HTMLResponse:
        try:
            found = ru.overview(runtime, crisis_id)
        except UpdatesError as exc:
            raise HTTPException(exc.status, str(exc)) from None
        fmt = request_formatter(request, user)
        plan = found["plan"]
        return render(
            request,
            "crisis_updates.html",
            user,
            nav="crises",
            c=found["crisis"],
            plan=plan,
            due={d["audience"]: d for d in plan["due"]},
            updates=found["updates"],
            audiences=[a.value for a in Audience],
            phases=[p.value for p in Phase],
            can_write=user.can(Permission.REPLY),
            can_approve=user.can(Permission.APPROVE_REPLIES),
            can_organise=user.can(Permission.CHANGE_SEVERITY),
            flash=error or (t("updates.saved", fmt.lang) if saved else ""),
            flash_error=bool(error),
        )

    @r.post("/crises/{crisis_id}/updates/plan")
    def plan_row(
        crisis_id: Id,
        user: Organiser,
        audience: Annotated[str, Form(max_length=32)],
        channels: Short = "",
        every_hours: Annotated[str, Form(max_length=8)] = "",
        from_severity: Annotated[int, Form(ge=1, le=4)] = 1,
        on_change: Annotated[str, Form()] = "",
        owner: Annotated[str, Form(max_length=255)] = "role:spokesperson",
        op: Annotated[Literal["save", "remove"], Form()] = "save",
    ) -> Response:
        now, types = runtime.runner.clock.now(), list(runtime.workspace.config.crisis_types)

        def act(session: Session) -> None:
            crisis = session.get(Crisis, crisis_id)
            if crisis is None:
                raise UpdatesError(f"no crisis {crisis_id}", status=404)
            rows = [
                a.model_dump(mode="json")
                for a in service.plan_of(service.plan_row(session, crisis, types, now=now))
            ]
            kept = [a for a in rows if a["audience"] != audience]
            if op == "save":
                try:
                    hours = float(every_hours.replace(",", ".")) if every_hours.strip() else None
                except ValueError:
                    raise UpdatesError(
                        f"every_hours {every_hours!r}: a number of hours", status=422
                    ) from None
                old = next((a for a in rows if a["audience"] == audience), {})
                kept.append(
                    {
                        **old,
                        "audience": audience,
                        "channels": _channels(channels),
                        "every_hours": hours,
                        "from_severity": from_severity,
                        "on_change": bool(on_change),
                        "owner": owner.strip(),
                    }
                )
                order = [a.value for a in Audience]
                kept.sort(key=lambda a: order.index(a["audience"]) if a["audience"] in order else 99)
            service.set_plan(session, crisis, kept, types, actor=user.actor.label, now=now)

        return attempt(crisis_id, "h-plan", act)

    @r.post("/crises/{crisis_id}/updates")
    def write(
        crisis_id: Id,
        user: Writer,
        audience: Annotated[str, Form(max_length=32)],
        lang: Annotated[Literal["de", "en"], Form()] = "de",
    ) -> Response:
        gate, now, zone = runtime.approval_gate(), runtime.runner.clock.now(), ru.zone(runtime)
        made: list[int] = []

        def act(session: Session) -> None:
            made.append(
                actions.create(
                    session, crisis_id, audience, gate, lang=lang, actor=user.actor, now=now, zone=zone
                ).id
            )

        answer = attempt(crisis_id, "h-plan", act)
        return back(crisis_id, f"update-{made[0]}") if made else answer

    @r.post("/crises/{crisis_id}/updates/{update_id}")
    def edit(
        crisis_id: Id,
        update_id: Id,
        user: Writer,
        title: Annotated[str, Form(max_length=300)],
        body: Annotated[str, Form(max_length=20_000)],
        channels: Short,
        phase: Annotated[str, Form(max_length=16)],
        op: Annotated[Literal["save", "submit"], Form()] = "save",
    ) -> Response:
        gate, now = runtime.approval_gate(), runtime.runner.clock.now()
        email = user.email

        def act(session: Session) -> None:
            actions.edit(
                session,
                crisis_id,
                update_id,
                actor=user.actor,
                now=now,
                title=title,
                body=body,
                channels=_channels(channels),
                phase=phase,
            )
            if op == "submit":
                actions.submit(
                    session,
                    crisis_id,
                    update_id,
                    gate,
                    actor=user.actor,
                    email=email,
                    can_approve=user.can(Permission.APPROVE_REPLIES),
                    now=now,
                )

        return attempt(crisis_id, f"update-{update_id}", act)

    @r.post("/crises/{crisis_id}/updates/{update_id}/approve")
    def approve(crisis_id: Id, update_id: Id, user: Approver) -> Response:
        gate, now = runtime.approval_gate(), runtime.runner.clock.now()
        email = user.email
        return attempt(
            crisis_id,
            f"update-{update_id}",
            lambda s: actions.approve(
                s, crisis_id, update_id, gate, actor=user.actor, email=email, can_approve=True, now=now
            ),
        )

    @r.post("/crises/{crisis_id}/updates/{update_id}/reject")
    def reject(crisis_id: Id, update_id: Id, user: Approver, comment: Short = "") -> Response:
        gate, now = runtime.approval_gate(), runtime.runner.clock.now()
        email = user.email
        return attempt(
            crisis_id,
            f"update-{update_id}",
            lambda s: actions.reject(
                s,
                crisis_id,
                update_id,
                gate,
                actor=user.actor,
                email=email,
                can_approve=True,
                now=now,
                comment=comment,
            ),
        )

    @r.post("/crises/{crisis_id}/updates/{update_id}/publish")
    def publish(crisis_id: Id, update_id: Id, user: Writer) -> Response:
        outlets, now = ru.outlets(runtime), runtime.runner.clock.now()
        return attempt(
            crisis_id,
            f"update-{update_id}",
            lambda s: actions.publish(
                s, crisis_id, update_id, outlets, actor=user.actor, now=now, clock=SystemClock()
            ),
        )

    @r.get("/crises/{crisis_id}/updates/{update_id}/press-release")
    def release(
        crisis_id: Id, update_id: Id, user: Viewer, format: Literal["html", "pdf"] = "html"
    ) -> Response:
        return press_release(runtime, crisis_id, update_id, format)

    return r
