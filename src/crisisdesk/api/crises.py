"""Crises over HTTP (permission view): the list, open first, and one crisis with its situations,
why each joined, the timeline of their events, its type and playbook, tasks and actions; changes
(split, merge, move, confirm the type, end it: change_severity; tick a task: acknowledge)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import client_ip, require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.api.schemas import errors
from crisisdesk.bus.base import Message
from crisisdesk.core.fields import Id, StrictId, Text
from crisisdesk.crises import manual
from crisisdesk.crises.playbook import PlaybookError, confirm_type, set_task
from crisisdesk.crises.service import get_crisis, list_crises, playbook_part
from crisisdesk.crises.tracker import CrisisTracker, crisis_event
from crisisdesk.crises.types import CrisisTypeConfig
from crisisdesk.runtime import Runtime

Organiser = Annotated[Principal, Depends(require(Permission.CHANGE_SEVERITY))]
Worker = Annotated[Principal, Depends(require(Permission.ACKNOWLEDGE))]


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    situation_id: StrictId


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into: StrictId


class TypeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=64, description="A key of the workspace's crisis_types.")


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text = Field(default="", max_length=2000, description="Why it ends, for the timeline (optional).")


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    done: bool = Field(strict=True)


class TaskOut(BaseModel):
    id: int
    key: str
    done: bool = Field(strict=True)
    done_by: str | None
    done_at: str | None


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
        return full(crisis_id)

    def full(crisis_id: int) -> dict[str, Any]:
        config = runtime.workspace.config
        with Session(runtime.engine) as session:
            found = get_crisis(session, crisis_id)
            if found is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no crisis {crisis_id}")
            playbook_part(session, found, types=config.crisis_types, roles=config.roles,
                          names={k: p.name for k, p in config.people.items()}, now=runtime.runner.clock.now())
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
        except (manual.CrisisChangeError, PlaybookError) as exc:
            raise HTTPException(exc.status, str(exc)) from None

    @router.post("/api/v1/crises/{crisis_id}/situations", response_model=Changed, responses=change_errors,
                 summary="Move a situation into this crisis (from another, or from none)")
    def move_in(request: Request, crisis_id: Id, body: MoveIn, who: Organiser) -> Changed:
        now = runtime.runner.clock.now()
        return apply(lambda session: manual.move(session, body.situation_id, crisis_id, actor=who.actor,
                                                 now=now, ip=client_ip(request), types=types()))

    @router.post("/api/v1/crises", response_model=Changed, responses=change_errors,
                 status_code=status.HTTP_201_CREATED,
                 summary="Split: a new crisis of one situation, taken out of its crisis")
    def split(request: Request, body: MoveIn, who: Organiser) -> Changed:
        now = runtime.runner.clock.now()
        return apply(lambda session: manual.move(session, body.situation_id, None, actor=who.actor, now=now,
                                                 ip=client_ip(request), types=types()))

    @router.post("/api/v1/crises/{crisis_id}/merge", response_model=Changed, responses=change_errors,
                 summary="Merge this crisis into another: its situations move, it ends")
    def merge(request: Request, crisis_id: Id, body: MergeIn, who: Organiser) -> Changed:
        now = runtime.runner.clock.now()
        return apply(lambda session: manual.merge(session, crisis_id, body.into, actor=who.actor, now=now,
                                                  ip=client_ip(request), types=types()))

    def types() -> list[CrisisTypeConfig]:
        return runtime.workspace.config.crisis_types

    @router.post("/api/v1/crises/{crisis_id}/type", response_model=Changed, summary="Confirm the type",
                 responses=errors(e404="No crisis with that id.", e422="No such crisis type, or the body "
                                  "is not valid."))
    def confirm(request: Request, crisis_id: Id, body: TypeIn, who: Organiser) -> Changed:
        """Confirm (or change) the crisis's type: it stays, its checklist becomes tasks, its severity
        bounds apply; on the crisis timeline and in the audit log."""
        now = runtime.runner.clock.now()

        def change(session: Session) -> list[Message]:
            crisis = confirm_type(session, crisis_id, body.type, types(), actor=who.actor, now=now,
                                  ip=client_ip(request))
            CrisisTracker(types=types()).rate_crisis(session, crisis)
            return [crisis_event(session, crisis, "crisis.updated", now)]

        return apply(change)

    @router.post("/api/v1/crises/{crisis_id}/resolve", response_model=Changed, summary="End the crisis",
                 responses=errors(e404="No crisis with that id.", e409="It has ended already, or some of its "
                                  "situations are still open.", e422="The body is not valid."))
    def resolve(request: Request, crisis_id: Id, body: ResolveIn, who: Organiser) -> Changed:
        """End a crisis once its situations are calm: a crisis someone took charge of (its type
        confirmed) stays open until a person ends it. On the timeline and in the audit log;
        publishes ``crisis.resolved``."""
        now = runtime.runner.clock.now()
        return apply(lambda session: manual.resolve(session, crisis_id, actor=who.actor, now=now,
                                                    note=body.note, ip=client_ip(request)))

    @router.post("/api/v1/crises/{crisis_id}/tasks/{task_id}", response_model=TaskOut,
                 summary="Tick a task off, or open it again",
                 responses=errors(e404="No such crisis or task.", e422="The body is not valid."))
    def task(request: Request, crisis_id: Id, task_id: Id, body: TaskIn, who: Worker) -> TaskOut:
        now = runtime.runner.clock.now()
        try:
            with Session(runtime.engine) as session, session.begin():
                done = set_task(session, crisis_id, task_id, done=body.done, actor=who.actor, now=now,
                                ip=client_ip(request))
                return TaskOut(id=done.id, key=done.key, done=done.done_at is not None, done_by=done.done_by,
                               done_at=done.done_at.isoformat() if done.done_at else None)
        except PlaybookError as exc:
            raise HTTPException(exc.status, str(exc)) from None

    return router
