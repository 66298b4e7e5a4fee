"""The stakeholder updates' part of the composition root: who is reminded, where updates can go,
and the sweep the ticker runs (kept apart from runtime.py, which holds the rest of the wiring)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor
from crisisdesk.core.clock import SystemClock
from crisisdesk.crises.models import Crisis
from crisisdesk.reports import questionnaire
from crisisdesk.updates import publishing, service, subscriptions
from crisisdesk.updates.config import SUBSCRIBERS
from crisisdesk.updates.publishing import Outlets
from crisisdesk.updates.reminders import Reach, sweep
from crisisdesk.updates.service import UpdatesError

if TYPE_CHECKING:
    from crisisdesk.runtime import Runtime


def reach(runtime: Runtime) -> Reach:
    config = runtime.workspace.config
    return Reach(people=config.people, roles=config.roles, targets=config.notify.targets,
                 types=list(config.crisis_types), base_url=config.escalation.base_url,
                 lang="de" if config.detection.language == "de" else "en",
                 grace=timedelta(minutes=config.updates.grace_minutes))


def outlets(runtime: Runtime) -> Outlets:
    config = runtime.workspace.config
    page = config.updates.status_page
    return Outlets(connectors=runtime.connectors(), reach=reach(runtime),
                   lists=frozenset({SUBSCRIBERS, *config.updates.email_lists}), slug=page.slug,
                   status_page=page.enabled, config=config.updates)


def zone(runtime: Runtime) -> ZoneInfo:
    return ZoneInfo(str(runtime.workspace.config.time_zone))


def remind_updates(runtime: Runtime, now: datetime | None = None) -> list[str]:
    """Queue the reminders of due and missed updates, and follow the publications on their way
    (the ticker calls this every minute)."""
    clock, at = SystemClock(), now or runtime.runner.clock.now()
    with Session(runtime.engine) as session, session.begin():
        publishing.refresh_queued(session, now=at)
        keys = sweep(session, reach(runtime), now=at, clock=clock) if runtime.deliver else []
        if runtime.deliver:
            keys += [f"questionnaire:{c}" for c in ask_teams(runtime, session, at)]
    if keys:
        runtime.notices_queued()
    return keys


def overview(runtime: Runtime, crisis_id: int) -> dict[str, Any]:
    """The crisis's plan with what is due, and its updates with where each went (the publications
    of social posts and internal targets brought up to date first)."""
    now = runtime.runner.clock.now()
    with Session(runtime.engine) as session, session.begin():
        crisis = session.get(Crisis, crisis_id)
        if crisis is None:
            raise UpdatesError(f"no crisis {crisis_id}", status=404)
        row = service.plan_row(session, crisis, list(runtime.workspace.config.crisis_types), now=now)
        service.observe(row, crisis, now)
        grace = reach(runtime).grace
        due = [{"audience": d.plan.audience.value, "at": d.due.at if d.due else None,
                "reason": d.due.reason if d.due else None, "missed": bool(d.due and d.due.missed(now, grace)),
                "last_published_at": d.last.published_at if d.last else None}
               for d in service.due_now(session, crisis, row)]
        updates = service.updates_of(session, crisis_id)
        pubs = service.publications_of(session, [u.id for u in updates])
        publishing.refresh(session, [p for ps in pubs.values() for p in ps], now=now)
        return {"crisis": {"id": crisis.id, "title": crisis.title, "status": crisis.status,
                           "severity": crisis.severity, "type": crisis.type},
                "plan": {"source": row.source, "audiences": service.plan_of(row), "due": due},
                "updates": [service.describe(u, pubs[u.id]) for u in updates]}


def change(runtime: Runtime, act: Callable[[Session], Any]) -> Any:
    """Run one update action in its own transaction; what it queued leaves after commit."""
    with Session(runtime.engine) as session, session.begin():
        out = act(session)
    runtime.notices_queued()
    runtime.update_mails_queued()
    if runtime.outbox_sender is not None:
        runtime.outbox_sender.kick()
    return out


def sync_lists(runtime: Runtime) -> None:
    """The workspace file's e-mail lists become confirmed subscribers (once; an unsubscribe sticks)."""
    with Session(runtime.engine) as session, session.begin():
        subscriptions.sync_lists(session, runtime.workspace.config.updates.email_lists,
                                 now=runtime.runner.clock.now())


def ask_teams(runtime: Runtime, session: Session, now: datetime) -> list[int]:
    """Send the questionnaire to the team of each crisis that ended (once per crisis)."""
    r = reach(runtime)
    return questionnaire.send_after_the_end(session, people=r.people, roles=r.roles, targets=r.targets,
                                            types=r.types, base_url=r.base_url, lang=r.lang, now=now,
                                            clock=SystemClock())


def ask_team(runtime: Runtime, crisis_id: int, actor: Actor) -> list[str]:
    """Send the questionnaire to the crisis's team now (those not asked before)."""
    r = reach(runtime)
    with Session(runtime.engine) as session, session.begin():
        asked = questionnaire.send(session, crisis_id, people=r.people, roles=r.roles, targets=r.targets,
                                   types=r.types, base_url=r.base_url, lang=r.lang, actor=actor,
                                   now=runtime.runner.clock.now(), clock=SystemClock())
    runtime.notices_queued()
    return asked
