"""Reminders when an update is due, and escalation when it is missed (Dispatch's report reminders).

The ticker calls :func:`sweep` every minute. For each open crisis (and each resolved in the last
day, which may still owe its last update) it notes the crisis's state, works out what is due
(cadence.py) and queues a reminder to the audience's owner when an update is due, and a second
one to the crisis lead when it is ``grace`` overdue, which also lands on the crisis timeline.
Every reminder's delivery key names the crisis, audience and due time, so that it leaves once
whatever the number of sweeps, processes or restarts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crisisdesk.core.clock import Clock
from crisisdesk.crises import playbook
from crisisdesk.crises.models import Crisis, CrisisAction
from crisisdesk.crises.types import CrisisTypeConfig
from crisisdesk.notify.schemas import Lang, Notification, NotificationKind, TargetConfig
from crisisdesk.notify.service import enqueue
from crisisdesk.updates import service

LEAD = "role:crisis_lead"
AUDIENCE_WORDS = {
    "customers": {"de": "Kundinnen und Kunden", "en": "customers"},
    "affected": {"de": "Betroffene", "en": "affected people"},
    "employees": {"de": "Mitarbeitende", "en": "employees"},
    "partners": {"de": "Partner", "en": "partners"},
    "press": {"de": "Presse", "en": "press"},
    "authorities": {"de": "Behörden", "en": "authorities"},
    "management": {"de": "Geschäftsleitung", "en": "management"},
}


@dataclass(frozen=True)
class Reach:
    """Who can be reminded: the workspace's people (their targets and language), roles, targets."""

    people: Mapping[str, object]
    roles: Mapping[str, Sequence[str]]
    targets: Mapping[str, TargetConfig]
    types: Sequence[CrisisTypeConfig] = ()
    base_url: str = "http://localhost:8000"
    lang: Lang = "de"
    grace: timedelta = timedelta(minutes=30)

    def targets_of(self, recipients: Sequence[str]) -> dict[str, Lang]:
        """Target name → language, for ``role:``/``person:`` recipients (each target once)."""
        out: dict[str, Lang] = {}
        for key in playbook.people_of(recipients, roles=self.roles):
            person = self.people.get(key)
            language: Lang = getattr(person, "lang", None) or self.lang
            for name in getattr(person, "targets", []) or []:
                if name in self.targets:
                    out.setdefault(name, language)
        return out


def _note(reach: Reach, crisis: Crisis, audience: str, due_at: datetime, lang: Lang, *, missed: bool,
          now: datetime) -> Notification:
    who = AUDIENCE_WORDS.get(audience, {}).get(lang, audience)
    if missed:
        title = {"de": f"Update an {who} überfällig (Krise #{crisis.id})",
                 "en": f"Update to {who} overdue (crisis #{crisis.id})"}[lang]
    else:
        title = {"de": f"Update an {who} fällig (Krise #{crisis.id})",
                 "en": f"Update to {who} due (crisis #{crisis.id})"}[lang]
    summary = {"de": f"{crisis.title}\nFällig seit {due_at:%d.%m.%Y %H:%M} UTC.",
               "en": f"{crisis.title}\nDue since {due_at:%Y-%m-%d %H:%M} UTC."}[lang]
    return Notification(monitor="updates", severity=min(max(crisis.severity, 1), 4),
                        kind=NotificationKind.REMINDER, title=title, summary=summary[:1000],
                        ack_url=f"{reach.base_url.rstrip('/')}/crises/{crisis.id}/updates", lang=lang,
                        occurred_at=now)


def _missed_noted(session: Session, crisis_id: int, key: str) -> bool:
    rows = session.scalars(select(CrisisAction.detail).where(CrisisAction.crisis_id == crisis_id,
                                                             CrisisAction.kind == "update.missed"))
    return any(d.get("key") == key for d in rows)


def sweep(session: Session, reach: Reach, *, now: datetime, clock: Clock) -> list[str]:
    """Queue the reminders due now; returns their delivery keys (new or not)."""
    since = now - timedelta(days=1)
    crises = session.scalars(select(Crisis).where(or_(Crisis.status == "open", Crisis.resolved_at >= since)))
    keys: list[str] = []
    for crisis in crises:
        row = service.plan_row(session, crisis, reach.types, now=now)
        service.observe(row, crisis, now)
        for item in service.due_now(session, crisis, row):
            if item.due is None or item.due.at > now:
                continue
            audience = item.plan.audience.value
            base = f"update:{crisis.id}:{audience}:{item.due.at:%Y%m%dT%H%M}"
            steps = [("due", [item.plan.owner])]
            if item.due.missed(now, reach.grace):
                steps.append(("missed", [LEAD]))
                if not _missed_noted(session, crisis.id, base):
                    playbook.act(session, crisis.id, "update.missed", actor="crisisdesk", at=now, key=base,
                                 audience=audience, due_at=item.due.at.isoformat(), reason=item.due.reason)
            for step, recipients in steps:
                for name, lang in reach.targets_of(recipients).items():
                    key = f"{base}:{step}:{name}"
                    note = _note(reach, crisis, audience, item.due.at, lang, missed=step == "missed", now=now)
                    enqueue(session, key=key, target_name=name, kind=reach.targets[name].kind,
                            notification=note, clock=clock)
                    keys.append(key)
    return keys
