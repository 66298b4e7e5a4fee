"""Crisis mode as it stands: which modes are in force, and whether the playbook suggests one.

A mode is in force while nobody switched it off and, for a crisis's mode, while that crisis is
open. The second half is checked here, at every use, rather than by a hook where crises resolve:
crises end in several places (the tracker when their last situation resolves, a merge, a move by
hand) and more will come; a check at use time cannot be forgotten by any of them, holds the
moment the crisis's row says ``resolved`` (even after a crash between the resolve and any hook),
and lets a crisis reopened within minutes keep its mode. The row itself is closed, for the log,
by :func:`crisisdesk.crises.mode_actions.close_ended`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crisisdesk.crises.models import Crisis, CrisisMode
from crisisdesk.crises.types import CrisisTypeConfig


@dataclass(frozen=True, slots=True)
class ActiveMode:
    """One mode in force; the crisis's fields are None for the workspace-wide mode."""

    id: int
    crisis_id: int | None
    on_at: datetime
    on_by: str
    reason: str
    title: str | None = None
    severity: int | None = None
    type: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "crisis_id": self.crisis_id,
                "scope": "crisis" if self.crisis_id else "workspace",
                "on_at": self.on_at.isoformat(), "on_by": self.on_by, "reason": self.reason,
                "crisis": None if self.crisis_id is None else {"id": self.crisis_id, "title": self.title,
                                                               "severity": self.severity, "type": self.type}}


def in_force(session: Session) -> list[ActiveMode]:
    """The modes in force now, oldest first; one per crisis (and one workspace-wide) at most."""
    out: list[ActiveMode] = []
    seen: set[int | None] = set()
    rows = session.execute(
        select(CrisisMode, Crisis).outerjoin(Crisis, Crisis.id == CrisisMode.crisis_id)
        .where(CrisisMode.off_at.is_(None), or_(CrisisMode.crisis_id.is_(None), Crisis.status == "open"))
        .order_by(CrisisMode.on_at, CrisisMode.id)).all()
    for mode, crisis in rows:
        if mode.crisis_id in seen:
            continue  # two people switched on at the same moment: one mode
        seen.add(mode.crisis_id)
        out.append(ActiveMode(mode.id, mode.crisis_id, mode.on_at, mode.on_by, mode.reason or "",
                              crisis.title if crisis else None, crisis.severity if crisis else None,
                              crisis.type if crisis else None))
    return out


def any_in_force(session: Session) -> bool:
    """One small query: whether any mode is in force (the outbox sender asks each round)."""
    found = session.scalar(select(func.count()).select_from(CrisisMode)
                           .outerjoin(Crisis, Crisis.id == CrisisMode.crisis_id)
                           .where(CrisisMode.off_at.is_(None),
                                  or_(CrisisMode.crisis_id.is_(None), Crisis.status == "open")))
    return bool(found)


def history(session: Session, crisis_id: int | None, *, limit: int = 50) -> list[CrisisMode]:
    """The modes of a crisis (None: the workspace-wide ones), newest first."""
    scope = CrisisMode.crisis_id.is_(None) if crisis_id is None else CrisisMode.crisis_id == crisis_id
    return list(session.scalars(select(CrisisMode).where(scope)
                                .order_by(CrisisMode.on_at.desc(), CrisisMode.id.desc()).limit(limit)))


def suggested_from(crisis: Crisis, types: Sequence[CrisisTypeConfig]) -> int | None:
    """The level from which the crisis's type suggests crisis mode, when the open crisis has reached
    it (None: no suggestion). Only a suggestion: a person switches the mode on."""
    if crisis.status != "open" or crisis.type is None:
        return None
    ct = next((t for t in types if t.key == crisis.type), None)
    if ct is None or ct.crisis_mode_from is None or crisis.severity < ct.crisis_mode_from:
        return None
    return ct.crisis_mode_from
