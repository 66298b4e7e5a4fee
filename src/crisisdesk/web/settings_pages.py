"""Settings: the workspace configuration (monitors, targets, people, roles, policies) edited in the
browser, validated like the file, stored in the database as a new version; export and import.

``/settings`` is the hub: it opens on the monitors, and each kind of item has its own pages with
forms (settings_item_pages.py). This module keeps the whole document: the YAML editor at
``/settings/document`` (saved with POST ``/settings``), the download and the upload. Literal secrets
are masked in all of them, and a document saved with the mask keeps the stored secret."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.configuration.secrets import mask_text
from crisisdesk.configuration.service import export_text, latest, save
from crisisdesk.core.errors import ConfigError
from crisisdesk.runtime import Runtime
from crisisdesk.web.templating import render

Editor = Annotated[Principal, Depends(require(Permission.MANAGE_NOTIFICATIONS))]
Reader = Annotated[Principal, Depends(require(Permission.MANAGE_MONITORS))]


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def page(request: Request, user: Principal, text: str, *, flash: str = "", error: str = "",
             status_code: int = 200) -> HTMLResponse:
        with runtime.engine.connect() as conn:
            stored = latest(conn)
        return render(request, "settings.html", user, nav="settings", section="document", text=text,
                      stored=stored, flash=flash, error=error, status_code=status_code)

    @r.get("/settings")
    def settings(_user: Reader) -> Response:
        """The hub opens on its first section; the document has an address of its own."""
        return RedirectResponse("/settings/monitors", status_code=303)

    @r.get("/settings/document", response_class=HTMLResponse)
    def document(request: Request, user: Reader) -> HTMLResponse:
        return page(request, user, export_text(runtime.engine, runtime.workspace))

    @r.post("/settings", response_class=HTMLResponse)
    def save_settings(request: Request, user: Editor, text: Annotated[str, Form()],
                      note: Annotated[str, Form()] = "") -> HTMLResponse:
        """A refused document comes back in the editor as typed, with every problem and its place."""
        try:
            with runtime.engine.begin() as conn:
                stored, _ = save(conn, text, actor=user.actor, at=runtime.runner.clock.now(),
                                 note=note or None, ip=user.ip,
                                 fallback=runtime.workspace.path.read_text(encoding="utf-8"))
        except ConfigError as exc:
            return page(request, user, text, error=exc.problem, status_code=422)
        runtime.reload_if_changed()  # in force here at once; other processes within a tick
        # What is stored now, masked: a secret just typed is not sent back either.
        return page(request, user, mask_text(stored.text), flash=str(stored.version))

    @r.post("/settings/import", response_class=HTMLResponse)
    async def import_file(request: Request, user: Editor, file: UploadFile) -> HTMLResponse:
        text = (await file.read()).decode("utf-8", errors="replace")
        return save_settings(request, user, text, note=f"import {file.filename or ''}".strip())

    @r.get("/settings/export")
    def export(_user: Reader) -> Response:
        return PlainTextResponse(
            export_text(runtime.engine, runtime.workspace), media_type="application/yaml",
            headers={"Content-Disposition": 'attachment; filename="crisisdesk.yaml"'})

    return r
