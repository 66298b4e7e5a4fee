"""Detection and escalation together, as the pipeline runner's detector.

The runner calls :meth:`Watch.process` inside each batch's transaction and :meth:`Watch.tick`
when time passes; situation events go to the escalator in the same transaction, so a situation,
its escalation steps and the deliveries they enqueue commit together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.engine import Connection

from crisisdesk.bus.base import Message
from crisisdesk.detection.engine import DetectionEngine
from crisisdesk.escalation.engine import Escalator
from crisisdesk.pipeline.events import PostKey, StoredPost


class Watch:
    def __init__(self, detection: DetectionEngine, escalator: Escalator | None) -> None:
        self.detection = detection
        self.escalator = escalator
        #: Groups each situation event into its crisis before escalation sees it, so that the
        #: escalation runs per crisis (:class:`crisisdesk.crises.tracker.CrisisTracker`); returns
        #: the crisis events. The runner hands it over.
        self.group: Callable[[Connection, list[Message]], list[Message]] | None = None

    def process(self, conn: Connection, stored: Sequence[StoredPost],
                new_authors: set[PostKey] | frozenset[PostKey] = frozenset()) -> list[Message]:
        events = self.detection.process(conn, stored, new_authors)
        if self.escalator is None or not stored:
            return self._grouped(conn, events)
        now = max(s.post.created_at for s in stored)
        return self._escalate(conn, events, now)

    def tick(self, conn: Connection, now: datetime) -> list[Message]:
        events = self.detection.tick(conn, now)
        if self.escalator is None:
            return self._grouped(conn, events)
        return self._escalate(conn, events, now)

    def overrule(self, conn: Connection, event: Message, now: datetime) -> list[Message]:
        """A person's change (:mod:`crisisdesk.detection.manual`) goes to escalation like a
        detector's: a raised severity restarts the escalation, resolving stops it."""
        if self.escalator is None:
            return self._grouped(conn, [event])
        return self._escalate(conn, [event], now)

    def _grouped(self, conn: Connection, events: list[Message]) -> list[Message]:
        if self.group is None or not events:
            return events
        return [*events, *self.group(conn, events)]

    def _escalate(self, conn: Connection, events: list[Message], now: datetime) -> list[Message]:
        assert self.escalator is not None
        out: list[Message] = []
        for event in events:  # steps due before an event run before it, as they would live
            out.extend(self.escalator.advance(conn, datetime.fromisoformat(str(event["at"]))))
            out.append(event)
            if self.group is not None:  # its crisis first: escalation asks whether the crisis is covered
                out.extend(self.group(conn, [event]))
            out.extend(self.escalator.handle(conn, [event]))
        out.extend(self.escalator.advance(conn, now))
        return out
