"""Crisis mode over HTTP: what is on (permission ``view``), and switching it on or off for a crisis
or the whole workspace (permission ``change_severity``), as the crisis pages do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import client_ip, require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.api.schemas import errors
from crisisdesk.bus.base import Message
from crisisdesk.channels import outbox
from crisisdesk.core.fields import Id, Text
from crisisdesk.crises.mode import ActiveMode, in_force, suggested_from
from crisisdesk.crises.mode_actions import ModeError, Switched, switch
from crisisdesk.crises.models import Crisis
from crisisdesk.runtime import Runtime

Organiser = Annotated[Principal, Depends(require(Permission.CHANGE_SEVERITY))]


class ModeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: bool = Field(strict=True, description="true: switch crisis mode on; false: off.")
    reason: Text = Field(default="", max_length=1000, description="Why (kept on the timeline and in the "
                        "audit log).")


class CrisisRef(BaseModel):
    id: int
    title: str | None
    severity: int | None
    type: str | None


class ModeOut(BaseModel):
    id: int
    crisis_id: int | None = Field(description="null: the workspace-wide mode.")
    scope: Literal["crisis", "workspace"]
    on_at: datetime
    on_by: str
    reason: str
    crisis: CrisisRef | None


class Suggestion(BaseModel):
    """An open crisis whose type suggests crisis mode at its level, and whose mode is not on."""

    crisis: int
    severity: int
    type: str
    from_level: int


class StateOut(BaseModel):
    on: bool = Field(strict=True, description="Whether any crisis mode is in force.")
    modes: list[ModeOut]
    held_outbox: int = Field(description="Outbound items held back until the mode ends (posts we start "
                             "ourselves, marketing rules' answers).")
    suggested: list[Suggestion]


class SwitchedOut(StateOut):
    mode: int = Field(description="The mode switched on or off.")
    switched_on: bool
    raised: list[int] = Field(description="Conversations whose priority switching on raised.")


def _mode_out(m: ActiveMode) -> ModeOut:
    return ModeOut.model_validate(m.as_dict())


def crisis_mode_router(runtime: Runtime, *, released: Callable[[], None] | None = None) -> APIRouter:
    """``released()`` is called after a mode went off (it wakes the outbox sender)."""
    router = APIRouter(tags=["crises"])

    def state(session: Session) -> StateOut:
        modes = in_force(session)
        hold = runtime.outbox_hold(session)
        types = runtime.workspace.config.crisis_types
        on_for = {m.crisis_id for m in modes}
        suggested = []
        for crisis in session.scalars(select(Crisis).where(Crisis.status == "open").order_by(Crisis.id)):
            level = suggested_from(crisis, types)
            if level is not None and crisis.id not in on_for and crisis.type is not None:
                suggested.append(Suggestion(crisis=crisis.id, severity=crisis.severity, type=crisis.type,
                                            from_level=level))
        held = outbox.held(session, hold) if hold is not None else 0
        return StateOut(on=bool(modes), modes=[_mode_out(m) for m in modes], held_outbox=held,
                        suggested=suggested)

    def apply(request: Request, who: Principal, crisis_id: int | None, body: ModeIn) -> SwitchedOut:
        config = runtime.workspace.config
        done: list[Switched] = []

        def action(conn: Connection, _detector: object) -> list[Message]:
            with Session(bind=conn) as session:
                done.append(switch(session, crisis_id, body.on, actor=who.actor,
                                   now=runtime.runner.clock.now(), reason=body.reason, ip=client_ip(request),
                                   types=config.crisis_types, zone=config.time_zone))
                session.flush()
            return []

        try:  # in turn with the pipeline's batches: none sees half a switch
            runtime.runner.with_detector(action)
        except ModeError as exc:
            raise HTTPException(exc.status, str(exc)) from None
        if not body.on and released is not None:
            released()
        with Session(runtime.engine) as session:
            now_state = state(session)
        one = done[0]
        return SwitchedOut(**now_state.model_dump(), mode=one.mode.id, switched_on=one.on, raised=one.raised)

    switch_errors = errors(e404="No crisis with that id.", e409="The mode is on already (or not on), or the "
                           "crisis is resolved.", e422="The body is not valid.")

    @router.get("/api/v1/crisis-mode", dependencies=[Depends(require(Permission.VIEW))],
                response_model=StateOut, responses=errors(),
                summary="What crisis mode is on, what it holds back, what the playbook suggests")
    def get_state() -> StateOut:
        with Session(runtime.engine) as session:
            return state(session)

    @router.post("/api/v1/crises/{crisis_id}/mode", response_model=SwitchedOut, responses=switch_errors,
                 summary="Switch crisis mode on or off for one crisis")
    def crisis_switch(request: Request, crisis_id: Id, body: ModeIn, who: Organiser) -> SwitchedOut:
        return apply(request, who, crisis_id, body)

    @router.post("/api/v1/crisis-mode", response_model=SwitchedOut,
                 responses=errors(e409="The mode is on already (or not on).", e422="The body is not valid."),
                 summary="Switch workspace-wide crisis mode on or off")
    def workspace_switch(request: Request, body: ModeIn, who: Organiser) -> SwitchedOut:
        return apply(request, who, None, body)

    return router
