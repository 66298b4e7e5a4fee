"""Improvement actions past their due date and not done: they join the plans' findings (the
settings' Plans page and the monthly reminder, :mod:`crisisdesk.crises.plan_review`), because an
action that a review named and nobody did is a plan that is not current."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.crises.plan_review import Finding
from crisisdesk.reports.models import ImprovementAction


def overdue_improvements(session: Session, *, now: datetime, people: Mapping[str, object]) -> list[Finding]:
    """One finding per overdue action, oldest due first; reminded to its owner when the owner is a
    workspace person (``person:KEY`` or ``KEY``), else to the crisis lead."""
    rows = session.scalars(select(ImprovementAction).where(
        ImprovementAction.done_at.is_(None), ImprovementAction.due_at < now)
        .order_by(ImprovementAction.due_at, ImprovementAction.id))
    out = []
    for a in rows:
        key = a.owner.removeprefix("person:")
        due = a.due_at.date().isoformat()
        out.append(Finding("improvement_overdue", f"/crises/{a.crisis_id}/review", {
            "de": f"Verbesserungsmaßnahme „{a.title}“ aus Krise #{a.crisis_id} ist seit {due} fällig "
                  f"(verantwortlich: {a.owner}).",
            "en": f"Improvement action “{a.title}” from crisis #{a.crisis_id} has been due since {due} "
                  f"(owner: {a.owner})."}, key if key in people else None))
    return out
