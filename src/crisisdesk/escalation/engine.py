"""The escalation engine: a small state machine over stored escalations, advanced by time.

Each situation event may start, restart or stop an escalation (:meth:`Escalator.handle`); time
passing runs the steps that are due (:meth:`Escalator.advance`). Both run inside the caller's
transaction together with the detection that caused them: the deliveries a step enqueues, the
step counter and the timeline entry commit together or not at all, so a restart never loses a
pending step and never repeats a sent one. Sending is the dispatcher's job (crisisdesk.notify).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.orm import Session

from crisisdesk.bus.base import Message
from crisisdesk.core.clock import Clock, SystemClock
from crisisdesk.crises.playbook import type_of
from crisisdesk.crises.service import covering, open_crisis_of, siblings
from crisisdesk.crises.types import CrisisTypeConfig
from crisisdesk.detection.config import PlaybookConfig
from crisisdesk.detection.models import Situation, SituationEvent
from crisisdesk.detection.reasons import describe
from crisisdesk.escalation.actions import acknowledge, log_event
from crisisdesk.escalation.chain import involve, snapshot, step_targets, target_recipients
from crisisdesk.escalation.config import EscalationConfig, PersonConfig
from crisisdesk.escalation.links import ack_url
from crisisdesk.escalation.models import Escalation
from crisisdesk.notify.schemas import Notification, NotificationKind, TargetConfig, TopPost
from crisisdesk.notify.service import enqueue

_esc: Table = Escalation.__table__  # type: ignore[assignment]
_situations: Table = Situation.__table__  # type: ignore[assignment]
_events: Table = SituationEvent.__table__  # type: ignore[assignment]

ACTIVE = "active"


@dataclass
class Escalator:
    """Runs the workspace's escalation policies for the situations detection opens."""

    config: EscalationConfig
    people: Mapping[str, PersonConfig]
    roles: Mapping[str, list[str]]
    targets: Mapping[str, TargetConfig]
    secret: str
    lang: str = "en"
    #: False: steps are run and logged but nothing is enqueued (a replay without --notify).
    deliver: bool = True
    #: Names the severity levels in messages.
    playbook: PlaybookConfig = field(default_factory=PlaybookConfig)
    #: The outbox schedules sends on the wall clock, whatever clock the stream runs on.
    send_clock: Clock = field(default_factory=SystemClock)
    #: The crisis types: the roles a crisis's type involves at its level are told with the first step.
    types: Sequence[CrisisTypeConfig] = ()
    _monitor_names: dict[int, str] = field(default_factory=dict, init=False, repr=False)

    # -- situation events ---------------------------------------------------------------------
    def handle(self, conn: Connection, events: Sequence[Message]) -> list[Message]:
        """Start, restart or stop escalations; returns the ``alert.escalated`` events of restarts.

        The first step of a new situation's escalation is the alert itself: it adds ``notified``
        and ``targets`` to the ``alert.opened`` event instead of an event of its own.
        """
        out: list[Message] = []
        for event in events:
            kind = event.get("event")
            sid = int(event["situation"])
            at = datetime.fromisoformat(str(event["at"]))
            severity = int(event["severity"]) if kind != "alert.resolved" else 0
            if kind != "alert.resolved":
                crisis_now = open_crisis_of(conn, sid)
                level = crisis_now[0] if crisis_now is not None else None
                if level is not None and level > severity:
                    # the crisis is rated by its danger (a fire is at least 3 however quiet):
                    # escalation pages at that level, for the whole crisis
                    severity = event["escalation_severity"] = level
            if kind == "alert.opened":
                self._stop(conn, sid, at, "superseded")
                crisis = covering(conn, sid, severity)
                if crisis is not None:  # one page per event: its crisis has been paged already
                    event["covered_by_crisis"] = crisis
                    continue
                self._supersede_siblings(conn, sid, at)
                for step in self._start(conn, sid, severity, at, restart=False):
                    # The first step is the alert itself: the opening event says who was told.
                    event["notified"], event["targets"] = step["notified"], step["targets"]
            elif kind == "alert.updated":
                running = self._running(conn, sid)
                crisis = covering(conn, sid, severity) if running is None else None
                if crisis is not None:
                    event["covered_by_crisis"] = crisis
                elif running is None or severity > running["severity"]:
                    if running is not None:
                        self._stop(conn, sid, at, "superseded")
                    if self._latest_severity(conn, sid) < severity:
                        self._supersede_siblings(conn, sid, at)
                        out.extend(self._start(conn, sid, severity, at, restart=True))
            elif kind == "alert.resolved":
                self._stop(conn, sid, at, "resolved")
                if self.config.notify_resolved:
                    self._notify_resolved(conn, sid, event, at)
        return out

    def _latest_severity(self, conn: Connection, sid: int) -> int:
        """The severity the last escalation of this situation ran at (0: none yet)."""
        value = conn.execute(select(_esc.c.severity).where(_esc.c.situation_id == sid)
                             .order_by(_esc.c.id.desc()).limit(1)).scalar()
        return int(value) if value is not None else 0

    def _running(self, conn: Connection, sid: int) -> RowMapping | None:
        return conn.execute(select(_esc).where(_esc.c.situation_id == sid, _esc.c.status == ACTIVE)
                            ).mappings().first()

    def _start(self, conn: Connection, sid: int, severity: int, at: datetime, *,
               restart: bool) -> list[Message]:
        policy = self.config.policy_for(severity) if self.config.enabled else None
        if policy is None:
            return []
        chain = snapshot(policy, people=self.people, roles=self.roles)
        crisis_now = open_crisis_of(conn, sid) if self.types else None
        ct = type_of(self.types, crisis_now[1]) if crisis_now is not None else None
        if ct is not None:  # the playbook's "whom to involve" at this level: legal, management …
            involve(chain, ct.involved(severity), people=self.people, roles=self.roles)
        eid = conn.execute(insert(_esc).values(
            situation_id=sid, severity=severity, status=ACTIVE, chain=json.dumps(chain), next_step=0,
            next_at=at, started_at=at, updated_at=at,
        ).returning(_esc.c.id)).scalar_one()
        row = conn.execute(select(_esc).where(_esc.c.id == eid)).mappings().one()
        return self._run_step(conn, row, at, restart=restart)

    def _supersede_siblings(self, conn: Connection, sid: int, at: datetime) -> None:
        """A more severe situation of a crisis takes the crisis's escalation over: one runs per crisis."""
        others = siblings(conn, sid)
        if others:
            conn.execute(update(_esc).where(_esc.c.situation_id.in_(others), _esc.c.status == ACTIVE)
                         .values(status="superseded", next_at=None, updated_at=at))

    def _stop(self, conn: Connection, sid: int, at: datetime, status: str) -> None:
        conn.execute(update(_esc).where(_esc.c.situation_id == sid, _esc.c.status == ACTIVE)
                     .values(status=status, next_at=None, updated_at=at))

    # -- time ---------------------------------------------------------------------------------
    def advance(self, conn: Connection, now: datetime) -> list[Message]:
        """Run every step whose time has come (each once, in order of time)."""
        out: list[Message] = []
        while True:
            query = (select(_esc).where(_esc.c.status == ACTIVE, _esc.c.next_at <= now)
                     .order_by(_esc.c.next_at, _esc.c.id).limit(100))
            if conn.dialect.name == "postgresql":
                # Two processes advancing at once (the lease holder's tick and a person's change on a
                # front end) never run the same step: a timer another transaction holds is skipped.
                query = query.with_for_update(skip_locked=True)
            due = conn.execute(query).mappings().all()
            if not due:
                return out
            for row in due:
                out.extend(self._run_step(conn, row, row["next_at"], restart=False))

    def next_due(self, conn: Connection) -> datetime | None:
        value = conn.execute(select(_esc.c.next_at).where(_esc.c.status == ACTIVE)
                             .order_by(_esc.c.next_at).limit(1)).scalar()
        return value if isinstance(value, datetime) else None

    def _run_step(self, conn: Connection, row: RowMapping, at: datetime, *,
                  restart: bool) -> list[Message]:
        chain = json.loads(row["chain"])
        steps = chain["steps"]
        total = len(steps) * (chain["repeat"] + 1)
        n = int(row["next_step"])
        if n >= total:  # the last wait ran out: nobody acknowledged
            conn.execute(update(_esc).where(_esc.c.id == row["id"]).values(
                status="exhausted", next_at=None, updated_at=at))
            self._log(conn, row["situation_id"], "escalation.exhausted", at, row["severity"],
                      {"escalation": row["id"], "steps_run": n})
            return []
        step = steps[n % len(steps)]
        targets, people = step_targets(step, at)
        recipients = target_recipients(step, at)
        situation = conn.execute(select(_situations).where(_situations.c.id == row["situation_id"])
                                 ).mappings().one()
        monitor = self._monitor_name(conn, situation["monitor_id"])
        if self.deliver and targets:
            with Session(bind=conn) as session:
                for name, lang in sorted(targets.items()):
                    target = self.targets.get(name)
                    if target is None:
                        continue
                    link = ack_url(self.config.base_url, self.secret, situation["id"],
                                   escalation_id=row["id"], step=n,
                                   recipient=recipients.get(name, f"target:{name}"), now=at)
                    note = self._notification(conn, situation, monitor, row["severity"], at, n,
                                              lang or self.lang, link=link)
                    enqueue(session, key=f"situation:{row['situation_id']}:escalation:{row['id']}:"
                                         f"step:{n}:{name}",
                            target_name=name, kind=target.kind, notification=note, clock=self.send_clock)
                session.flush()
        wait = timedelta(minutes=float(step["wait_minutes"]))
        conn.execute(update(_esc).where(_esc.c.id == row["id"]).values(
            next_step=n + 1, next_at=at + wait, updated_at=at))
        body: Message = {
            "event": "alert.escalated", "situation": row["situation_id"],
            "monitor": monitor, "cause": situation["cause"], "severity": row["severity"],
            "severity_name": self._level_name(row["severity"], self.lang), "at": at.isoformat(),
            "step": n % len(steps) + 1, "round": n // len(steps) + 1,
            "notified": people, "targets": sorted(targets),
            "recipients": [g["recipient"] for g in step["groups"]],
            "top_terms": json.loads(situation["explanation"] or "{}").get("top_terms", [])[:10],
            "summary": json.loads(situation["explanation"] or "{}").get("summary", ""),
            "delivered": self.deliver,
        }
        self._log(conn, row["situation_id"], "alert.escalated", at, row["severity"], body)
        return [body]

    # -- acknowledgement ----------------------------------------------------------------------
    def acknowledge(self, conn: Connection, situation_id: int, *, by: str, at: datetime) -> Message | None:
        return acknowledge(conn, situation_id, by=by, at=at)

    # -- helpers ------------------------------------------------------------------------------
    def _notify_resolved(self, conn: Connection, sid: int, event: Message, at: datetime) -> None:
        if not self.deliver:
            return
        from crisisdesk.notify.models import Delivery

        situation = conn.execute(select(_situations).where(_situations.c.id == sid)).mappings().one()
        monitor = self._monitor_name(conn, situation["monitor_id"])
        with Session(bind=conn) as session:
            names = sorted(set(session.scalars(
                select(Delivery.target_name).where(Delivery.situation_id == sid))))
            for name in names:
                target = self.targets.get(name)
                if target is None:
                    continue
                # Nothing to acknowledge any more: the link opens the situation's page instead.
                page = f"{self.config.base_url.rstrip('/')}/situations/{sid}"
                note = self._notification(conn, situation, monitor, int(event["severity"]), at, -1, self.lang,
                                          link=page, kind=NotificationKind.RESOLVED,
                                          summary=str(event["summary"]))
                enqueue(session, key=f"situation:{sid}:resolved:{at.isoformat()}:{name}", target_name=name,
                        kind=target.kind, notification=note, clock=self.send_clock)
            session.flush()

    def _notification(self, conn: Connection, situation: RowMapping, monitor: str, severity: int,
                      at: datetime, step: int, lang: str, *, link: str, kind: NotificationKind | None = None,
                      summary: str | None = None) -> Notification:
        explanation = self._explanation_at(conn, situation, at)
        lang = "de" if lang == "de" else "en"
        if kind is None:
            kind = NotificationKind.OPENED if step == 0 else NotificationKind.ESCALATED
        name = self._level_name(severity, lang)
        title = (f"{monitor}: {name} (Stufe {severity})" if lang == "de"
                 else f"{monitor}: {name} (level {severity})")
        posts = tuple(TopPost(text=p["text"], url=p.get("url"), author=p.get("author"),
                              reach=p.get("followers")) for p in explanation.get("top_posts", [])[:3])
        return Notification(
            situation_id=situation["id"], monitor=monitor, severity=severity, severity_label=name,
            kind=kind, title=title,
            summary=summary if summary is not None else self._in(explanation, "summaries", lang, "summary"),
            reasons=tuple(describe(explanation.get("reason_detail"), lang,
                                   lambda level: self._level_name(level, lang))
                          or explanation.get("reasons", [])),
            top_terms=tuple(explanation.get("top_terms", [])),
            top_posts=posts, channels=tuple(explanation.get("channels", {})),
            ack_url=link, lang=lang,
            occurred_at=at,
        )

    @staticmethod
    def _in(explanation: Mapping[str, Any], per_language: str, lang: str, fallback: str) -> str:
        """A text in the recipient's language when detection stored it so, else the one text."""
        texts = explanation.get(per_language)
        found = texts.get(lang) if isinstance(texts, Mapping) else None
        return str(found or explanation.get(fallback, ""))

    @staticmethod
    def _explanation_at(conn: Connection, situation: RowMapping, at: datetime) -> dict[str, Any]:
        """The explanation as of ``at``: the newest timeline event up to then that kept one, else
        the situation's current one."""
        for (body,) in conn.execute(
                select(_events.c.body).where(_events.c.situation_id == situation["id"], _events.c.at <= at,
                                             _events.c.event.in_(("alert.opened", "alert.updated")))
                .order_by(_events.c.at.desc(), _events.c.id.desc()).limit(5)):
            kept = json.loads(body).get("explanation")
            if isinstance(kept, dict):
                return kept
        loaded: dict[str, Any] = json.loads(situation["explanation"] or "{}")
        return loaded

    def _monitor_name(self, conn: Connection, monitor_id: int) -> str:
        from crisisdesk.sources.models import Monitor

        if monitor_id not in self._monitor_names:
            self._monitor_names[monitor_id] = str(conn.execute(
                select(Monitor.name).where(Monitor.id == monitor_id)).scalar_one())
        return self._monitor_names[monitor_id]

    def _level_name(self, severity: int, lang: str) -> str:
        return self.playbook.name(severity, lang)

    _log = staticmethod(log_event)
