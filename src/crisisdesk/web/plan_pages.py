"""Settings → Plans: what keeps the crisis plans current — playbooks and the contact list without an
owner or with an overdue review, and people who left but are still named (docs/crises.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.configuration.service import latest
from crisisdesk.crises import plan_review
from crisisdesk.reports.follow_up import overdue_improvements
from crisisdesk.runtime import Runtime
from crisisdesk.web.templating import render

Reader = Annotated[Principal, Depends(require(Permission.MANAGE_MONITORS))]


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/settings/plans", response_class=HTMLResponse)
    def plans(request: Request, user: Reader) -> HTMLResponse:
        config = runtime.workspace.config
        today = runtime.runner.clock.now().date()
        with Session(runtime.engine) as session:
            found = plan_review.findings(plan_review.plans_of(config),
                                         inactive=plan_review.inactive_emails(session), today=today)
            found += overdue_improvements(session, now=runtime.runner.clock.now(), people=config.people)
        with runtime.engine.connect() as conn:
            stored = latest(conn)
        types = [{"key": t.key, "name": t.name.model_dump(), "owner": t.owner, "review_by": t.review_by}
                 for t in config.crisis_types]
        return render(request, "settings_plans.html", user, nav="settings", section="plans", stored=stored,
                      problems=[], saved=None, findings=found, types=types, contacts=config.contacts_review)

    return r
