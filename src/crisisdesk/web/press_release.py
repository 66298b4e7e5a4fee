"""A published update as a press release to download (HTML or PDF): the update's own words in its
language, dated, with the crisis type's spokespersons as the press contact and the status page's
address for more. Only published updates become press releases: the text is the approved one."""

from __future__ import annotations

from typing import Literal

from fastapi import HTTPException
from fastapi.responses import Response
from sqlalchemy.orm import Session

from crisisdesk.crises import playbook
from crisisdesk.crises.models import Crisis
from crisisdesk.runtime import Runtime
from crisisdesk.updates.models import StakeholderUpdate, UpdateStatus
from crisisdesk.web import review_export
from crisisdesk.web.formatting import Formatter
from crisisdesk.web.templating import render_document


def press_release(runtime: Runtime, crisis_id: int, update_id: int, kind: Literal["html", "pdf"]) -> Response:
    config = runtime.workspace.config
    with Session(runtime.engine) as session:
        update = session.get(StakeholderUpdate, update_id)
        crisis = session.get(Crisis, crisis_id)
        if update is None or crisis is None or update.crisis_id != crisis_id:
            raise HTTPException(404, f"no update {update_id} of crisis {crisis_id}")
        if update.status != UpdateStatus.PUBLISHED:
            raise HTTPException(409, f"update {update_id} is {update.status}: only published updates are "
                                     "press releases")
        ct = playbook.type_of(list(config.crisis_types), crisis.type)
        spokes = ct.spokespersons if ct is not None and ct.spokespersons else ["role:spokesperson"]
        contacts = [{"name": config.people[k].name, "email": config.people[k].email}
                    for k in playbook.people_of(spokes, roles=config.roles) if k in config.people]
        fmt = Formatter(lang="de" if update.lang == "de" else "en", tz=str(config.time_zone))
        page = config.updates.status_page
        status_url = f"{config.escalation.base_url.rstrip('/')}/status/{page.slug}" if page.enabled else ""
        html = render_document("press_release.html", fmt, u=update, contacts=contacts, status_url=status_url,
                               paragraphs=[p.strip() for p in update.body.split("\n\n") if p.strip()])
    name = f"press-release-{crisis_id}-{update_id}-{update.lang}.{kind}"
    if kind == "pdf":
        try:
            body = review_export.to_pdf(html)
        except review_export.ExportUnavailable as exc:
            raise HTTPException(501, str(exc)) from None
        return Response(body, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return Response(html.encode("utf-8"), media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
