"""What belongs to a crisis for its review: its situations, the posts their monitors matched while
they were open, and the time the review looks at.

A post belongs to a crisis when one of its situations' monitors matched it between the hour
before that situation opened (the rise that opened it, as in :mod:`crisisdesk.inbox.situations`)
and the situation's end (or the crisis's end, or now). A post matched by two monitors counts
once: the review reads posts, not the monitors' rollups, which would count it twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.orm import Session

from crisisdesk.crises.models import Crisis, CrisisSituation
from crisisdesk.detection.models import Situation
from crisisdesk.inbox.situations import LEAD
from crisisdesk.sources.models import MonitorMatch


@dataclass(frozen=True)
class Window:
    monitor_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Scope:
    crisis: Crisis
    situations: list[Situation]
    windows: list[Window]
    #: The first situation's window start and the last one's end: the crisis's time.
    start: datetime
    end: datetime

    @property
    def situation_ids(self) -> list[int]:
        return [s.id for s in self.situations]

    @property
    def monitor_ids(self) -> list[int]:
        return sorted({w.monitor_id for w in self.windows})

    def post_ids(self) -> Select[Any]:
        """The crisis's posts, each once (a sub-select for ``IN``: never a list in memory)."""
        if not self.windows:
            return select(MonitorMatch.post_id).where(false())
        return select(MonitorMatch.post_id).where(self._in_windows()).distinct()

    def holding(self, session: Session, post_ids: Iterable[int]) -> set[int]:
        """Which of ``post_ids`` are the crisis's posts. Looked up by post (its matches through the
        post index, the windows checked here), not with the set of all its posts: the callers ask
        about the few posts the outbox answered, and a correlated EXISTS with the windows was planned
        as a range scan per row by PostgreSQL before its statistics were gathered (65 s for 200,000
        posts, bench/bench_review.py)."""
        ids = sorted(set(post_ids))
        found: set[int] = set()
        m = MonitorMatch
        for i in range(0, len(ids), 900):  # SQLite's bound on parameters
            for monitor, at, pid in session.execute(
                    select(m.monitor_id, m.post_created_at, m.post_id).where(m.post_id.in_(ids[i:i + 900]))):
                if any(w.monitor_id == monitor and w.start <= at <= w.end for w in self.windows):
                    found.add(int(pid))
        return found

    def _in_windows(self) -> ColumnElement[bool]:
        m = MonitorMatch
        return or_(*(and_(m.monitor_id == w.monitor_id, m.post_created_at >= w.start,
                          m.post_created_at <= w.end) for w in self.windows))


def scope_of(session: Session, crisis_id: int, *, now: datetime) -> Scope | None:
    """The crisis's scope (None: no such crisis)."""
    crisis = session.get(Crisis, crisis_id)
    if crisis is None:
        return None
    situations = list(
        session.scalars(
            select(Situation)
            .join(CrisisSituation, CrisisSituation.situation_id == Situation.id)
            .where(CrisisSituation.crisis_id == crisis_id)
            .order_by(Situation.opened_at, Situation.id)
        )
    )
    ended = crisis.resolved_at or now
    windows = [
        Window(s.monitor_id, s.opened_at - LEAD, min(s.resolved_at or ended, ended)) for s in situations
    ]
    windows = [w for w in windows if w.end >= w.start]
    start = min((w.start for w in windows), default=crisis.opened_at)
    end = max((w.end for w in windows), default=ended)
    return Scope(crisis, situations, windows, start, max(end, start))
