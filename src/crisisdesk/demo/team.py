"""The demo's simulated social media team: agents who work the inbox while the crisis runs.

Nobody sits at the demo's inbox, so this stands in, the way :mod:`crisisdesk.demo.responder`
stands in for the crisis lead at the pager. While a situation is open, every ``every`` of stream
time the agents look at the inbox: each takes the unassigned conversation with angry messages
that has waited longest (urgent and high priority first, the ones the rules already answered
left out), in their own language, assigns it to themselves and answers with a saved reply: a
public comment publicly, a private chat privately with a ticket. One conversation in the other
language is handed to the colleague who speaks it, with a note. Insults a rule hid are confirmed
in the moderation review queue.

Every move goes the way a person's click goes: :mod:`crisisdesk.inbox.service` (assignment, notes,
tickets, the reply through the outbox) and the review decision of ``/api/v1/moderation/reviews``,
each in its own transaction, audited as the agent, at the stream time the replay has reached.
The team takes at most ``limit`` conversations, so that plenty of the crisis's conversations are
left for the person trying the demo.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from fastapi import HTTPException
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from crisisdesk.accounts.models import User
from crisisdesk.api.moderation import decide_review
from crisisdesk.audit.service import Actor
from crisisdesk.demo.inbox_setup import APOLOGY, TICKET_FOLLOW_UP
from crisisdesk.demo.web import DemoLogin
from crisisdesk.inbox import service
from crisisdesk.inbox.errors import InboxError
from crisisdesk.inbox.models import Conversation, ConversationStatus, ModerationReview, ReviewStatus
from crisisdesk.inbox.rules_config import SavedReply
from crisisdesk.inbox.texts import fill, values_for
from crisisdesk.runtime import Runtime

#: The team is on duty while a situation of at least this severity is open (2: an issue).
ON_DUTY_FROM: Final = 2
#: How long a conversation waits before an agent picks it up, in stream time.
REACTION: Final = timedelta(minutes=6)
#: How often the team looks at the inbox, in stream time.
EVERY: Final = timedelta(minutes=20)
#: Conversations the team takes in a run; the rest is left for whoever tries the demo.
LIMIT: Final = 8
#: Only conversations the person wrote in within this much stream time: older ones are cold, and
#: the platforms' 24-hour window for private answers would be closed for many of them.
FRESH: Final = timedelta(hours=12)
#: Tags of conversations a rule has dealt with (answered, or hidden): nothing left for an agent.
_HANDLED: Final = ("moved-to-private", "insult")
_HANDOFF_NOTE: Final = {
    "de": "{colleague}, übernimmst du? Die Person schreibt auf Englisch.",
    "en": "{colleague}, could you take this one? They write in German.",
}


@dataclass(frozen=True)
class Move:
    """One thing an agent did, for the demo's timeline."""

    at: datetime
    agent: str
    text: str


@dataclass
class _Agent:
    login: DemoLogin
    user_id: int

    @property
    def actor(self) -> Actor:
        return Actor.user(self.user_id, self.login.email)


@dataclass
class InboxTeam:
    """Works the inbox of ``runtime`` as ``agents`` (accounts that exist) while ``on_duty()``."""

    runtime: Runtime
    agents: Sequence[DemoLogin]
    on_duty: Callable[[], bool]
    every: timedelta = EVERY
    reaction: timedelta = REACTION
    limit: int = LIMIT
    #: What the team did, oldest first; :meth:`poll` returns the new ones.
    moves: list[Move] = field(default_factory=list)
    #: Moves the service refused (none, unless something is broken), with the reason.
    refused: list[str] = field(default_factory=list)
    taken: int = 0
    handed_over: bool = False
    _next: datetime | None = None
    _team: list[_Agent] = field(default_factory=list)

    def poll(self, now: datetime) -> list[Move]:
        """One look at the inbox if it is time (and the team on duty); returns what was done."""
        if self._next is not None and now < self._next:
            return []
        self._next = now + self.every
        if not self.on_duty():
            return []
        before = len(self.moves)
        team = self._accounts()
        for review_id in self._pending_reviews(now):
            self._confirm(team[review_id % len(team)], review_id, now)
        for agent in team:
            if self.taken >= self.limit:
                break
            conversation_id = self._waiting(now, agent.login.lang)
            if conversation_id is not None:
                self._take(agent, conversation_id, now)
        if not self.handed_over and self.taken < self.limit and len(team) > 1:
            self._hand_over(team, now)
        return self.moves[before:]

    # -- what there is to do ------------------------------------------------------------------

    def _accounts(self) -> list[_Agent]:
        if not self._team:
            with Session(self.runtime.engine) as session:
                for login in self.agents:
                    user_id = session.scalar(select(User.id).where(User.email == login.email, User.active))
                    if user_id is None:
                        raise RuntimeError(f"the demo's agent {login.email} has no account")
                    self._team.append(_Agent(login, user_id))
        return self._team

    def _candidates(self, session: Session, now: datetime) -> list[tuple[int, str | None]]:
        """Unassigned open conversations with angry messages on a connected channel, waiting since at
        least ``reaction``: most urgent first, then the longest waiting; with their language."""
        rank = case({"urgent": 0, "high": 1}, value=Conversation.priority, else_=2)
        rows = session.scalars(
            select(Conversation)
            .where(Conversation.status == ConversationStatus.OPEN.value,
                   Conversation.assignee_user_id.is_(None),
                   Conversation.channel.in_(sorted(self.runtime.connectors())),
                   Conversation.negative > 0,
                   Conversation.waiting_since <= now - self.reaction,
                   Conversation.last_inbound_at >= now - FRESH)
            .order_by(rank, Conversation.waiting_since, Conversation.id)
            .limit(200))
        out = []
        for c in rows:
            if any(tag in (c.tags or []) for tag in _HANDLED):
                continue
            out.append((c.id, service.language_of(session, c)))
        return out

    def _waiting(self, now: datetime, lang: str | None) -> int | None:
        with Session(self.runtime.engine) as session:
            return next((cid for cid, found in self._candidates(session, now) if found == lang), None)

    def _pending_reviews(self, now: datetime) -> list[int]:
        with Session(self.runtime.engine) as session:
            return list(session.scalars(
                select(ModerationReview.id)
                .where(ModerationReview.status == ReviewStatus.PENDING.value,
                       ModerationReview.created_at <= now - self.reaction)
                .order_by(ModerationReview.id)))

    # -- doing it -----------------------------------------------------------------------------

    def _take(self, agent: _Agent, conversation_id: int, now: datetime) -> None:
        """Assign to ``agent`` and answer with a saved reply (a private chat gets a ticket first)."""
        try:
            with Session(self.runtime.engine) as session, session.begin():
                c = service.get(session, conversation_id)
                service.change(session, c, service.Change(assignee_user_id=agent.user_id), actor=agent.actor,
                               now=now)
                private = c.public is False
                if private:
                    service.open_ticket(session, c, actor=agent.actor, now=now)
                name = TICKET_FOLLOW_UP if private else APOLOGY
                text = fill(self._saved(name).text, service.language_of(session, c),
                            values_for(session, c, agent=agent.login.name))
                service.reply(session, c, text, private=private, key=f"demo-team-{c.id}-{name}",
                              connectors=self.runtime.connectors(), actor=agent.actor, now=now)
                ticket, channel = c.ticket, c.channel
        except InboxError as exc:
            self.refused.append(f"{agent.login.name} on #{conversation_id}: {exc}")
            return
        self.taken += 1
        self.runtime.outbox_queued()
        how = f"privately (ticket {ticket})" if private else "publicly"
        self.moves.append(Move(now, agent.login.name, f"took conversation #{conversation_id} ({channel}) and "
                                                      f"answered {how} with the saved reply {name}"))

    def _hand_over(self, team: Sequence[_Agent], now: datetime) -> None:
        """The first agent takes a waiting conversation in the other's language and hands it to them
        with a note; the colleague answers it."""
        giver = team[0]
        taker = next(a for a in team if a.login.lang != giver.login.lang)
        conversation_id = self._waiting(now, taker.login.lang)
        if conversation_id is None:
            return
        note = _HANDOFF_NOTE[giver.login.lang or "en"].format(colleague=taker.login.name.split(" ")[0])
        try:
            with Session(self.runtime.engine) as session, session.begin():
                c = service.get(session, conversation_id)
                service.change(session, c, service.Change(assignee_user_id=giver.user_id), actor=giver.actor,
                               now=now)
                service.change(session, c, service.Change(assignee_user_id=taker.user_id), actor=giver.actor,
                               now=now)
                service.add_note(session, c, note, actor=giver.actor, now=now)
        except InboxError as exc:
            self.refused.append(f"{giver.login.name} handing #{conversation_id} over: {exc}")
            return
        self.handed_over = True
        self.moves.append(Move(now, giver.login.name, f"handed conversation #{conversation_id} to "
                                                      f"{taker.login.name} with a note: {note}"))
        self._answer_handed(taker, conversation_id, now)

    def _answer_handed(self, agent: _Agent, conversation_id: int, now: datetime) -> None:
        try:
            with Session(self.runtime.engine) as session, session.begin():
                c = service.get(session, conversation_id)
                text = fill(self._saved(APOLOGY).text, service.language_of(session, c),
                            values_for(session, c, agent=agent.login.name))
                service.reply(session, c, text, private=c.public is False,
                              key=f"demo-team-{c.id}-{APOLOGY}", connectors=self.runtime.connectors(),
                              actor=agent.actor, now=now)
        except InboxError as exc:
            self.refused.append(f"{agent.login.name} on #{conversation_id}: {exc}")
            return
        self.taken += 1
        self.runtime.outbox_queued()
        self.moves.append(Move(now, agent.login.name, f"answered the handed-over conversation "
                                                      f"#{conversation_id} with the saved reply {APOLOGY}"))

    def _confirm(self, agent: _Agent, review_id: int, now: datetime) -> None:
        """Keep a comment a rule hid hidden: the review queue's "confirm", as the agent."""
        try:
            decide_review(self.runtime, review_id, "confirm", actor=agent.actor)
        except HTTPException as exc:
            self.refused.append(f"{agent.login.name} on review {review_id}: {exc.detail}")
            return
        self.moves.append(Move(now, agent.login.name, f"confirmed hiding an insult (moderation review "
                                                      f"#{review_id})"))

    def _saved(self, name: str) -> SavedReply:
        found = next((r for r in self.runtime.workspace.config.inbox.saved_replies if r.name == name), None)
        if found is None:
            raise InboxError(f"the workspace has no saved reply {name!r}")
        return found
