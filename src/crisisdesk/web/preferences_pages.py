"""A person's own preferences: the interface language and the time zone the pages show times in.

The zone is kept on the user (``users.time_zone``); empty means the workspace's ``time_zone``.
Admins set anyone's zone on the users page; both go through ``accounts.actions.update_user``, so
each change is audited as ``user.updated``.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from crisisdesk.accounts import actions, service
from crisisdesk.accounts.deps import accounts_config, require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal, UserUpdate
from crisisdesk.core.zones import check_zone, zone_names
from crisisdesk.runtime import Runtime
from crisisdesk.web.i18n import LANGS, t
from crisisdesk.web.templating import render, request_lang

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]


def parse_zone_field(value: str) -> str | None:
    """A form's time-zone field: empty → None (follow the workspace); else a checked IANA name
    (ValueError naming it otherwise)."""
    return check_zone(value) if value.strip() else None


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/preferences", response_class=HTMLResponse, response_model=None)
    def preferences(request: Request, user: Viewer, flash: str = "", error: str = "") -> Response:
        if user.user is None:  # the shared service token is nobody: no preferences to show
            return RedirectResponse("/", status_code=303)
        return render(request, "preferences.html", user, nav="preferences", zones=zone_names(),
                      workspace_zone=runtime.workspace.config.time_zone, flash=flash or error,
                      flash_error=bool(error))

    @r.post("/preferences")
    def save(request: Request, user: Viewer, lang: Annotated[str, Form()] = "",
             time_zone: Annotated[str, Form()] = "") -> Response:
        if user.user is None:  # the shared service token has no preferences to keep
            return RedirectResponse("/", status_code=303)
        ui = request_lang(request, user)
        try:
            zone = parse_zone_field(time_zone)
        except ValueError:
            return RedirectResponse(f"/preferences?error={quote(t('prefs.bad_zone', ui, zone=time_zone))}",
                                    status_code=303)
        changes = UserUpdate(lang=lang if lang in LANGS else None, time_zone=zone)
        config = accounts_config(request)
        with Session(runtime.engine) as session, session.begin():
            actions.update_user(session, service.get_user(session, user.user.id), changes, actor=user.actor,
                                clock=config.clock, ip=user.ip)
        saved_lang = changes.lang or ui
        return RedirectResponse(f"/preferences?flash={quote(t('prefs.saved', saved_lang))}", status_code=303)

    return r
