"""The demo's simulated spokesperson at the stakeholder updates: publishes each update when it is due.

Nobody sits at the demo's updates page during the replay, so this stands in, the way
:mod:`crisisdesk.demo.spokesperson` stands in at the approval queue. When an update to an audience
falls due at the stream time the replay has reached (the cadence of :mod:`crisisdesk.updates.cadence`),
the spokesperson starts the prefilled draft, submits it (as a spokesperson their own update is approved
at once, after the guideline check) and publishes it to the plan's channels: the status page,
the e-mail lists, Voltaro's Facebook page and press list (added to the customers' channels of each
crisis's plan the first time, the way a person adapts the plan on the updates page) and, for
management, the crisis lead's targets. Each step is the same call the page makes, audited as the
spokesperson's account. Before that, each poll runs what the service's ticker runs every minute:
the reminders reach the owners' targets (the demo's sink) when an update falls due, and the
team's questionnaire goes out once a crisis has ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crisisdesk import runtime_updates
from crisisdesk.accounts.models import User
from crisisdesk.audit.service import Actor
from crisisdesk.core.clock import SystemClock
from crisisdesk.crises.models import Crisis
from crisisdesk.demo.team import Move
from crisisdesk.demo.web import DemoLogin
from crisisdesk.runtime import Runtime
from crisisdesk.updates import actions, service
from crisisdesk.updates.service import UpdatesError

#: How long after it falls due the spokesperson publishes an update, in stream time.
REACTION: Final = timedelta(minutes=10)
#: The page the customers' updates also go to.
SOCIAL: Final = "social:voltaro-fb"
#: … and the press list (the demo's mail server receives them).
PRESS_LIST: Final = "email:press"
#: The audience written in German (Voltaro's customers); everyone else in the spokesperson's language.
GERMAN: Final = frozenset({"customers", "affected"})


@dataclass
class UpdateDesk:
    runtime: Runtime
    login: DemoLogin
    reaction: timedelta = REACTION
    published: int = 0
    #: Steps refused (none, unless something is broken), with the reason.
    refused: list[str] = field(default_factory=list)
    _adapted: set[int] = field(default_factory=set)

    def poll(self, now: datetime) -> list[Move]:
        with Session(self.runtime.engine) as session:
            user = session.scalar(select(User).where(User.email == self.login.email, User.active))
            if user is None:
                return []
            actor = Actor.user(user.id, user.email)
            crises = [c.id for c in session.scalars(select(Crisis).where(or_(
                Crisis.status == "open", Crisis.resolved_at >= now - timedelta(days=1))))]
        # what `serve`'s ticker does every minute, at stream time: reminders of due (and missed)
        # updates to their owners, queued publications followed, the questionnaire after the end
        runtime_updates.remind_updates(self.runtime, now)
        moves: list[Move] = []
        for crisis_id in crises:
            moves += self._crisis(crisis_id, actor, now)
        if moves:
            self.runtime.outbox_queued()
            self.runtime.notices_queued()
        return moves

    def _crisis(self, crisis_id: int, actor: Actor, now: datetime) -> list[Move]:
        types = list(self.runtime.workspace.config.crisis_types)
        with Session(self.runtime.engine) as session, session.begin():
            crisis = session.get(Crisis, crisis_id)
            assert crisis is not None
            row = service.plan_row(session, crisis, types, now=now, actor=actor.label)
            if crisis_id not in self._adapted and row.source != "edited":
                plan = [a.model_dump(mode="json") for a in service.plan_of(row)]
                for a in plan:
                    if a["audience"] == "customers":
                        a["channels"] += [c for c in (SOCIAL, PRESS_LIST) if c not in a["channels"]]
                service.set_plan(session, crisis, plan, types, actor=actor.label, now=now)
            self._adapted.add(crisis_id)
            service.observe(row, crisis, now)
            due = [d.plan.audience.value for d in service.due_now(session, crisis, row)
                   if d.due is not None and d.due.at + self.reaction <= now]
        moves = []
        for audience in due:
            try:
                title = self._publish(crisis_id, audience, actor, now)
            except UpdatesError as exc:
                self.refused.append(f"crisis {crisis_id} {audience}: {exc}")
                continue
            self.published += 1
            said = f"published an update to {audience} (crisis #{crisis_id}): {title}"
            moves.append(Move(now, self.login.name, said))
        return moves

    def _publish(self, crisis_id: int, audience: str, actor: Actor, now: datetime) -> str:
        gate, outlets = self.runtime.approval_gate(), runtime_updates.outlets(self.runtime)
        lang = "de" if audience in GERMAN else (self.login.lang or "en")
        with Session(self.runtime.engine) as session, session.begin():
            draft = actions.create(session, crisis_id, audience, gate, lang=lang, actor=actor, now=now,
                                   zone=runtime_updates.zone(self.runtime))
            done = actions.submit(session, crisis_id, draft.id, gate, actor=actor, email=self.login.email,
                                  can_approve=True, now=now)
            actions.publish(session, crisis_id, done.id, outlets, actor=actor, now=now, clock=SystemClock())
            return done.title
