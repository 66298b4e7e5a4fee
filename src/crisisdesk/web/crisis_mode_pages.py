"""The crisis mode switch on the crisis page (one crisis) and the crises list (workspace-wide).

Switching needs the right to change severities (checked on the server) and a ticked confirmation
box: the pages work without JavaScript, so the confirmation cannot be a dialog alone. The banner
every page shows while a mode is in force comes from :func:`crisisdesk.web.templating.render`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.bus.base import Message
from crisisdesk.channels import outbox
from crisisdesk.core.fields import Id
from crisisdesk.crises.mode import ActiveMode, history, in_force, suggested_from
from crisisdesk.crises.mode_actions import SYSTEM, ModeError, Switched, switch
from crisisdesk.crises.models import Crisis, CrisisMode
from crisisdesk.crises.playbook import type_of
from crisisdesk.runtime import Runtime
from crisisdesk.web.i18n import Lang, t
from crisisdesk.web.templating import request_lang

SeverityChanger = Annotated[Principal, Depends(require(Permission.CHANGE_SEVERITY))]


@dataclass
class Panel:
    """What the switch shows for one crisis (``crisis_id``) or the workspace (None)."""

    crisis_id: int | None
    on: ActiveMode | None
    history: list[CrisisMode]
    held: int = 0
    #: The playbook's suggestion in the reader's language ("" when there is none).
    suggestion: str = ""
    by_crisis: str = SYSTEM


def panel(runtime: Runtime, crisis_id: int | None, lang: Lang) -> Panel:
    with Session(runtime.engine) as session:
        modes = {m.crisis_id: m for m in in_force(session)}
        found = Panel(crisis_id, modes.get(crisis_id), history(session, crisis_id, limit=10))
        hold = runtime.outbox_hold(session)
        found.held = outbox.held(session, hold) if hold is not None else 0
        crisis = session.get(Crisis, crisis_id) if crisis_id is not None else None
        types = runtime.workspace.config.crisis_types
        level = suggested_from(crisis, types) if crisis is not None else None
        ct = type_of(types, crisis.type) if crisis is not None else None
        if crisis is not None and level is not None and ct is not None and found.on is None:
            found.suggestion = t("mode.suggested", lang, type=ct.name.get(lang), level=level,
                                 severity=crisis.severity)
    return found


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def apply(request: Request, user: Principal, crisis_id: int | None, on: bool, confirmed: bool,
              reason: str, back: str) -> Response:
        lang = request_lang(request, user)
        if not confirmed:
            refused = quote(t("mode.confirm_needed", lang))
            return RedirectResponse(f"{back}?mode_error={refused}#crisis-mode", status_code=303)
        config = runtime.workspace.config
        done: list[Switched] = []

        def action(conn: Connection, _detector: object) -> list[Message]:
            with Session(bind=conn) as session:
                done.append(switch(session, crisis_id, on, actor=user.actor, now=runtime.runner.clock.now(),
                                   reason=reason, ip=user.ip, types=config.crisis_types,
                                   zone=config.time_zone))
                session.flush()
            return []

        try:
            runtime.runner.with_detector(action)
        except ModeError as exc:
            return RedirectResponse(f"{back}?mode_error={quote(str(exc))}#crisis-mode", status_code=303)
        if not on:
            runtime.outbox_queued()  # what the mode held may leave now
        said = t("mode.switched_on" if on else "mode.switched_off", lang)
        if on and done[0].raised:
            said += " " + t("mode.raised", lang, count=len(done[0].raised))
        return RedirectResponse(f"{back}?mode_said={quote(said)}#crisis-mode", status_code=303)

    @r.post("/crises/{crisis_id}/mode")
    def crisis_switch(request: Request, crisis_id: Id, user: SeverityChanger, on: Annotated[str, Form()],
                      confirm: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = ""
                      ) -> Response:
        said = reason.replace("\x00", "")[:1000]  # PostgreSQL's text holds no NUL
        return apply(request, user, crisis_id, on == "1", confirm == "yes", said,
                     f"/crises/{crisis_id}")

    @r.post("/crisis-mode")
    def workspace_switch(request: Request, user: SeverityChanger, on: Annotated[str, Form()],
                         confirm: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = ""
                         ) -> Response:
        said = reason.replace("\x00", "")[:1000]
        return apply(request, user, None, on == "1", confirm == "yes", said, "/crises")

    return r
