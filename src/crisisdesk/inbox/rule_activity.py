"""What the inbox rules did lately, and trying one on past messages: what both the rules API
(``/api/v1/inbox/rules``) and the rules page (``/inbox/rules``) show, from one place so that the
two never disagree about a count.

A dry run tries the rule as if it were enabled: trying a rule that is switched off is the point of
trying it before switching it on (the engine leaves disabled rules out, queries included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.channels.base import Connector
from crisisdesk.inbox.calendar import BusinessCalendar
from crisisdesk.inbox.models import RuleRun
from crisisdesk.inbox.rules import RuleEngine
from crisisdesk.inbox.rules_config import RuleConfig

#: How many of a rule's latest runs are shown.
LATEST = 5


@dataclass(frozen=True)
class Run:
    id: int
    at: datetime
    post_id: int
    conversation_id: int
    actions: list[dict[str, Any]]


@dataclass
class Activity:
    """One rule's recent work: runs are messages it acted on."""

    runs_24h: int = 0
    runs_7d: int = 0
    failed_actions_7d: int = 0
    last_run_at: datetime | None = None
    latest: list[Run] = field(default_factory=list)


def activity(
    session: Session, names: Iterable[str], *, now: datetime, latest: int = LATEST
) -> dict[str, Activity]:
    """Each named rule's counts over the last 24 hours and 7 days, failed actions of the last 7
    days, its last run and its ``latest`` runs, newest first (a rule that never ran: zeros)."""
    wanted = list(dict.fromkeys(names))
    out = {name: Activity() for name in wanted}
    if not wanted:
        return out
    week, day = now - timedelta(days=7), now - timedelta(days=1)
    for run in session.scalars(select(RuleRun).where(RuleRun.rule.in_(wanted), RuleRun.at >= week)):
        a = out[run.rule]
        a.runs_7d += 1
        a.runs_24h += run.at >= day
        a.failed_actions_7d += sum(not action.get("ok") for action in run.actions or [])
    for name, last in session.execute(
        select(RuleRun.rule, func.max(RuleRun.at)).where(RuleRun.rule.in_(wanted)).group_by(RuleRun.rule)
    ):
        out[name].last_run_at = last
    if latest > 0:
        for name in wanted:
            rows = session.scalars(
                select(RuleRun)
                .where(RuleRun.rule == name)
                .order_by(RuleRun.at.desc(), RuleRun.id.desc())
                .limit(latest)
            )
            out[name].latest = [
                Run(r.id, r.at, r.post_id, r.conversation_id, list(r.actions or [])) for r in rows
            ]
    return out


def try_rule(
    session: Session,
    rule: RuleConfig,
    *,
    since: datetime,
    limit: int,
    connectors: Callable[[], Mapping[str, Connector]],
    calendar: BusinessCalendar | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """What ``rule`` would have done on the newest ``limit`` inbound messages since ``since``:
    how many were tried, and the matched ones (post, conversation, text, time, actions by kind).
    Changes nothing."""
    trial = rule.model_copy(update={"enabled": True})
    engine = RuleEngine([trial], connectors=connectors, calendar=calendar)
    return engine.dry_run(session, trial, since=since, limit=limit)
