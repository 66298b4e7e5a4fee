"""Admin pages: users and roles, and the audit log with its export."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from crisisdesk.accounts import actions, service
from crisisdesk.accounts.deps import accounts_config, require
from crisisdesk.accounts.errors import AccountError
from crisisdesk.accounts.roles import Permission, Role
from crisisdesk.accounts.schemas import Principal, UserRead, UserUpdate
from crisisdesk.audit.schemas import AuditFilter
from crisisdesk.audit.service import AuditAction, query
from crisisdesk.core.fields import Id
from crisisdesk.core.zones import zone_names
from crisisdesk.runtime import Runtime
from crisisdesk.web.i18n import t
from crisisdesk.web.preferences_pages import parse_zone_field
from crisisdesk.web.templating import render, request_lang

Admin = Annotated[Principal, Depends(require(Permission.MANAGE_USERS))]
Auditor = Annotated[Principal, Depends(require(Permission.VIEW_AUDIT))]


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/admin/users", response_class=HTMLResponse)
    def users(request: Request, user: Admin, flash: str = "", error: str = "") -> HTMLResponse:
        with Session(runtime.engine) as session:
            rows = [UserRead.model_validate(u) for u in service.list_users(session)]
        return render(request, "admin_users.html", user, nav="users", rows=rows, roles=list(Role),
                      zones=zone_names(), workspace_zone=runtime.workspace.config.time_zone,
                      flash=flash or error, flash_error=bool(error))

    @r.post("/admin/users")
    def create(request: Request, user: Admin, email: Annotated[str, Form()], name: Annotated[str, Form()],
               role: Annotated[Role, Form()], password: Annotated[str, Form()]) -> Response:
        config = accounts_config(request)
        try:
            with Session(runtime.engine) as session, session.begin():
                actions.create_user(session, email=email, name=name, role=role, password=password,
                                    actor=user.actor, clock=config.clock, ip=user.ip, hasher=config.hasher)
        except AccountError as exc:
            return RedirectResponse(f"/admin/users?error={quote(str(exc))}", status_code=303)
        return RedirectResponse(f"/admin/users?flash={quote(email)}", status_code=303)

    @r.post("/admin/users/{user_id}")
    def update(request: Request, user_id: Id, user: Admin, role: Annotated[Role | None, Form()] = None,
               active: Annotated[str, Form()] = "", time_zone: Annotated[str | None, Form()] = None
               ) -> Response:
        config = accounts_config(request)
        changes = UserUpdate(role=role, active={"yes": True, "no": False}.get(active))
        if time_zone is not None:  # the field was on the form: empty means the workspace's zone
            try:
                changes.time_zone = parse_zone_field(time_zone)
            except ValueError:
                message = t("prefs.bad_zone", request_lang(request, user), zone=time_zone)
                return RedirectResponse(f"/admin/users?error={quote(message)}", status_code=303)
        try:
            with Session(runtime.engine) as session, session.begin():
                actions.update_user(session, service.get_user(session, user_id), changes, actor=user.actor,
                                    clock=config.clock, ip=user.ip)
        except AccountError as exc:
            return RedirectResponse(f"/admin/users?error={quote(str(exc))}", status_code=303)
        return RedirectResponse("/admin/users", status_code=303)

    @r.get("/admin/audit", response_class=HTMLResponse)
    def audit(request: Request, user: Auditor, action: str | None = None, actor: str | None = None,
              before: Id | None = None) -> HTMLResponse:
        filters = AuditFilter(action=action or None, actor=actor or None)
        with Session(runtime.engine) as session:
            page = query(session, filters, limit=100, before_id=before)
        return render(request, "audit.html", user, nav="audit", page=page, action=action or "",
                      actor=actor or "", actions=[a.value for a in AuditAction])

    return r
