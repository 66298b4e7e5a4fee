"""Crises over HTTP (permission view): the list, open first, and one crisis with its situations,
why each joined, and the timeline of their events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import client_ip, require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.api.schemas import errors
from crisisdesk.bus.base import Message
from crisisdesk.core.fields import Id
from crisisdesk.crises import manual
from crisisdesk.crises.service import get_crisis, list_crises
from crisisdesk.runtime import Runtime

Organiser = Annotated[Principal, Depends(require(Permission.CHANGE_SEVERITY))]


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    situation_id: Id


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into: Id


class Changed(BaseModel):
    """The crisis events the change published (``crisis.updated``/``crisis.resolved``)."""

    events: list[dict[str, Any]]


def crises_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["crises"])

    @router.get("/api/v1/crises", dependencies=[Depends(require(Permission.VIEW))], summary="Crises",
                responses=errors())
    def list_(crisis_status: Annotated[str | None, Query(alias="status", pattern="^(open|resolved)$")]
              = None) -> list[dict[str, Any]]:
        """Open crises first, then the newest; each with its severity, monitors and situations."""
        with Session(runtime.engine) as session:
            return list_crises(session, status=crisis_status)

    @router.get("/api/v1/crises/{crisis_id}", dependencies=[Depends(require(Permission.VIEW))],
                responses=errors(e404="No crisis with that id."),
                summary="One crisis with its situations (and why each joined) and their timeline")
    def detail(crisis_id: Id) -> dict[str, Any]:
        with Session(runtime.engine) as session:
            found = get_crisis(session, crisis_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no crisis {crisis_id}")
        return found

    change_errors = errors(e404="No such crisis or situation.", e409="The change would change nothing.",
                           e422="The body is not valid.")

    def apply(change: Any) -> Changed:
        def action(conn: Connection, _detector: object) -> list[Message]:
            with Session(bind=conn) as session:
                events: list[Message] = change(session)
                session.flush()
            return events

        try:
            return Changed(events=runtime.runner.with_detector(action))
        except manual.CrisisChangeError as exc:
            raise HTTPException(exc.status, str(exc)) from None

    @router.post("/api/v1/crises/{crisis_id}/situations", response_model=Changed, responses=change_errors,
                 summary="Move a situation into this crisis (from another, or from none)")
    def move_in(request: Request, crisis_id: Id, body: MoveIn, who: Organiser) -> Changed:
        now = runtime.runner.clock.now()
        return apply(lambda session: manual.move(session, body.situation_id, crisis_id, actor=who.actor,
                                                 now=now, ip=client_ip(request)))

    @router.post("/api/v1/crises", response_model=Changed, responses=change_errors,
                 status_code=status.HTTP_201_CREATED,
                 summary="Split: a new crisis of one situation, taken out of its crisis")
    def split(request: Request, body: MoveIn, who: Organiser) -> Changed:
        now = runtime.runner.clock.now()
        return apply(lambda session: manual.move(session, body.situation_id, None, actor=who.actor, now=now,
                                                 ip=client_ip(request)))

    @router.post("/api/v1/crises/{crisis_id}/merge", response_model=Changed, responses=change_errors,
                 summary="Merge this crisis into another: its situations move, it ends")
    def merge(request: Request, crisis_id: Id, body: MergeIn, who: Organiser) -> Changed:
        now = runtime.runner.clock.now()
        return apply(lambda session: manual.merge(session, crisis_id, body.into, actor=who.actor, now=now,
                                                  ip=client_ip(request)))

    return router
