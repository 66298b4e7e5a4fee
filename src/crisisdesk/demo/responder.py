"""The demo's simulated crisis lead: reads the pages that reached their pager and acknowledges.

Nobody sits at the demo's pager, so this stands in: a few stream minutes after a page reached the
crisis lead's target (the notification the local sink received), the lead "clicks" the signed
link in it. The click goes the way a click on the real link goes: the token is read with
:func:`crisisdesk.escalation.links.read_token`, then :func:`crisisdesk.audit.actions.use_link_audited`
acknowledges as the link's recipient, once, stopping only the escalation the page belonged to; it
runs in its own transaction, in turn with the pipeline, at the stream time the demo has reached,
and the runner publishes its event to its listeners (the demo's timeline, the live web pages).
That stops the escalation, so the steps after the lead's never run.

Having acknowledged, the lead takes charge of the crisis the situation belongs to: confirms the
type crisisdesk suggested for it (the playbook's checklist becomes its tasks, its approval gate
and bounds apply), as a person does on the crisis page. A crisis someone took charge of stays open
when its situations calm down, until a person ends it: the lead does once all of the crisis's
situations have been calm for :data:`CALM` of stream time (as on the crisis page, with a note), so
that the demo ends with a finished crisis and its after-action review.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from crisisdesk.audit.actions import use_link_audited
from crisisdesk.audit.service import Actor
from crisisdesk.bus.base import Message
from crisisdesk.crises.manual import resolve
from crisisdesk.crises.models import Crisis, CrisisSituation
from crisisdesk.crises.playbook import confirm_type
from crisisdesk.crises.tracker import CrisisTracker, crisis_event
from crisisdesk.crises.types import CrisisTypeConfig
from crisisdesk.demo.sink import NotificationSink, Received
from crisisdesk.detection.models import Situation
from crisisdesk.escalation.links import read_token
from crisisdesk.notify.models import Delivery, DeliveryStatus
from crisisdesk.pipeline.runner import Detector, PipelineRunner

#: How long the lead takes to read a page and click, in stream time.
REACTION: Final = timedelta(minutes=4)
_LINK: Final = re.compile(r"/ack/(?P<sid>\d+)\?t=(?P<token>[\w.\-]+)$")
_PAGES: Final = frozenset({"opened", "escalated"})
#: How long every situation of a crisis must have been calm before the lead ends it.
CALM: Final = timedelta(hours=3)


@dataclass
class CrisisLead:
    """Acknowledges every page that reached ``target`` once ``reaction`` of stream time has passed,
    as the person each page's link was sent to."""

    target: str
    sink: NotificationSink
    runner: PipelineRunner
    secret: str
    reaction: timedelta = REACTION
    #: The workspace's crisis types: the lead confirms the one suggested (none: leaves it).
    types: Sequence[CrisisTypeConfig] = ()
    #: Links that did not check out (they would be a bug: the demo signs its own links).
    refused: list[tuple[int | None, str]] = field(default_factory=list)
    #: Crises the lead ended (their ids).
    ended: list[int] = field(default_factory=list)
    _handled: int = 0  # how many of the sink's notifications were looked at
    _waiting: list[Received] = field(default_factory=list)

    def poll(self, now: datetime) -> list[Message]:
        """Acknowledge what is due at stream time ``now``; returns the ``alert.acknowledged`` events."""
        received = self.sink.received
        fresh, self._handled = received[self._handled:], len(received)
        self._waiting += [r for r in fresh if r.target == self.target and r.notification_kind in _PAGES]
        due = [r for r in self._waiting if (r.occurred_at or now) + self.reaction <= now]
        self._waiting = [r for r in self._waiting if r not in due]
        events: list[Message] = []
        done: set[int] = set()
        for page in due:
            if page.situation in done:
                continue  # two pages for one situation: one click answers both
            event = self.click(page, now)
            if event is not None:
                done.add(page.situation or 0)
                events.append(event)
        self.runner.with_detector(lambda conn, _d: self.end_calm(conn, now))
        return events

    def end_calm(self, conn: Connection, now: datetime) -> list[Message]:
        """End the crises the lead took charge of whose situations have all been calm for CALM."""
        events: list[Message] = []
        with Session(bind=conn) as session:
            open_ = (select(CrisisSituation.crisis_id)
                     .join(Situation, Situation.id == CrisisSituation.situation_id))
            busy = open_.where(or_(Situation.status != "resolved", Situation.resolved_at > now - CALM))
            calm = session.scalars(select(Crisis).where(Crisis.status == "open",
                                                        Crisis.type_confirmed_by.is_not(None),
                                                        Crisis.id.in_(open_), Crisis.id.not_in(busy))).all()
            for crisis in calm:
                lead = Actor(crisis.type_confirmed_by or "crisis lead")
                events += resolve(session, crisis.id, actor=lead, now=now,
                                  note="Alle Lagen seit drei Stunden ruhig. / All calm for three hours.")
                self.ended.append(crisis.id)
            session.flush()
        return events

    def click(self, page: Received, now: datetime) -> Message | None:
        match = _LINK.search(page.ack_url or "")
        if match is None:
            self.refused.append((page.situation, "the notification has no acknowledgement link"))
            return None
        sid = int(match["sid"])
        link = read_token(self.secret, sid, match["token"], now)
        if isinstance(link, str):
            self.refused.append((sid, link))
            return None

        def run(conn: Connection, _detector: Detector | None) -> list[Message]:
            outcome = use_link_audited(conn, link, at=now)
            if outcome.event is None:
                return []
            return [outcome.event, *self.take_charge(conn, sid, link.recipient, now)]

        events = self.runner.with_detector(run)
        return events[0] if events else None

    def take_charge(self, conn: Connection, situation_id: int, who: str, now: datetime) -> list[Message]:
        """Confirm the suggested type of the situation's open crisis, if nobody has yet."""
        if not self.types:
            return []
        with Session(bind=conn) as session:
            crisis = session.scalar(
                select(Crisis).join(CrisisSituation, CrisisSituation.crisis_id == Crisis.id)
                .where(CrisisSituation.situation_id == situation_id))
            if (crisis is None or crisis.status != "open" or crisis.type is None
                    or crisis.type_confirmed_by is not None):
                return []
            confirm_type(session, crisis.id, crisis.type, self.types, actor=Actor(who), now=now)
            CrisisTracker(types=self.types).rate_crisis(session, crisis)
            event = crisis_event(session, crisis, "crisis.updated", now)
            session.flush()
        return [event]


def settle(engine: Engine, *, timeout: float = 3.0, sleep: Callable[[float], None] = time.sleep) -> bool:
    """Wait (up to ``timeout`` wall seconds) until the outbox holds nothing that is due now.

    The dispatcher sends from its own thread within milliseconds of a commit; a replay at full
    speed would otherwise run minutes of stream time ahead of its notifications, and the lead
    would read a page long after the step that followed it. False: still busy at the timeout.
    """
    deadline = time.monotonic() + timeout
    while True:
        busy_now = or_(Delivery.status == DeliveryStatus.SENDING.value,
                       (Delivery.status == DeliveryStatus.PENDING.value)
                       & (Delivery.next_attempt_at <= datetime.now(UTC)))
        with engine.connect() as conn:
            busy = conn.execute(select(func.count()).select_from(Delivery).where(busy_now)).scalar_one()
        if not busy:
            return True
        if time.monotonic() >= deadline:
            return False
        sleep(0.005)
