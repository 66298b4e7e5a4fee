"""The demo's simulated spokesperson: decides the public replies the crisis's approval gate held.

Nobody sits at the demo's approval queue, so this stands in, the way :mod:`crisisdesk.demo.team`
stands in for the agents. While the crisis is at its type's approval level, the agents' (and the
rules') public replies on its conversations wait for a spokesperson (:mod:`crisisdesk.crises.approval`).
A few stream minutes after a reply was held, the spokesperson reads it with what the reply check
found: a reply the check found nothing in is approved as written; one with findings is sent back
with a comment naming them, the way a spokesperson would ask for a better answer.

Every decision goes the way a click in ``/approvals`` goes (:func:`crisisdesk.crises.approval.approve`
and ``reject``), in its own transaction, audited as the spokesperson's account, at the stream time
the replay has reached. Replies held in the last minutes of the replay stay in the queue for
whoever tries the demo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.accounts.models import User
from crisisdesk.accounts.roles import Permission, Role, permissions_of
from crisisdesk.audit.service import Actor
from crisisdesk.crises import approval
from crisisdesk.demo.team import Move
from crisisdesk.demo.web import DemoLogin
from crisisdesk.runtime import Runtime

#: How long the spokesperson takes to read a held reply, in stream time.
REACTION: Final = timedelta(minutes=5)


@dataclass
class Spokesperson:
    """Decides every reply held for approval once ``reaction`` of stream time has passed."""

    runtime: Runtime
    login: DemoLogin
    reaction: timedelta = REACTION
    approved: int = 0
    rejected: int = 0
    #: Decisions the gate refused (none, unless something is broken), with the reason.
    refused: list[str] = field(default_factory=list)

    def poll(self, now: datetime) -> list[Move]:
        """Decide what has waited long enough at stream time ``now``; returns what was done."""
        with Session(self.runtime.engine) as session:
            user = session.scalar(select(User).where(User.email == self.login.email, User.active))
            if user is None:
                return []
            actor = Actor.user(user.id, user.email)
            can = Permission.APPROVE_REPLIES in permissions_of(Role(user.role))
            due = [item for item in approval.pending(session)
                   if _naive(item["created_at"]) + self.reaction <= _naive(now)]
        moves: list[Move] = []
        for item in due:
            codes = sorted({str(f.get("code")) for f in item["findings"]})
            try:
                with Session(self.runtime.engine) as session, session.begin():
                    gate = self.runtime.approval_gate()
                    if codes:
                        approval.reject(session, item["id"], gate, actor=actor, email=self.login.email,
                                        can_approve=can, now=now,
                                        comment=_comment(codes, self.login.lang or "en"))
                    else:
                        approval.approve(session, item["id"], gate, actor=actor, email=self.login.email,
                                         can_approve=can, now=now)
            except approval.ApprovalError as exc:
                self.refused.append(f"reply {item['id']}: {exc}")
                continue
            crisis = (item["crisis"] or {}).get("id")
            if codes:
                self.rejected += 1
                text = (f"sent back the public reply by {item['author']} (crisis #{crisis}): "
                        f"{', '.join(codes)}")
            else:
                self.approved += 1
                text = f"approved the public reply by {item['author']} (crisis #{crisis})"
            moves.append(Move(now, self.login.name, text))
        if moves:
            self.runtime.outbox_queued()
        return moves


def _naive(at: datetime) -> datetime:
    """Compare stored times (naive on SQLite) with the stream clock's (aware)."""
    return at.replace(tzinfo=None)


def _comment(codes: list[str], lang: str) -> str:
    said = ", ".join(codes)
    if lang == "de":
        return f"Bitte überarbeiten – der Antwort-Check hat gefunden: {said}."
    return f"Please rework it – the reply check found: {said}."
