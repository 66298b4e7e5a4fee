"""What crisis mode does to the inbox while it is in force, read once per batch of messages.

* **Which conversations**: a conversation is *under* a crisis when one of its messages was matched
  by the monitor of one of the crisis's situations while that situation was open (or in the hour
  before it opened: the rise that opened it) — the rule of :mod:`crisisdesk.inbox.situations`.
  A crisis's mode covers the conversations under that crisis; the workspace-wide mode covers every
  conversation, and counts every open crisis as "the crisis" of the conversations under it.
* **Holding statement**: a rule's automatic reply (``reply``, ``reply_private``) on a covered
  conversation sends the holding statement of the crisis's type instead, in the message's
  language, ``{time}`` filled with a concrete time (:data:`PROMISE` from now, in the workspace's
  time zone).
* **Moderation**: the insult thresholds of rules that hide (``insult_score_at_least``, and
  ``insult: true``, the classifier's 0.5) are lowered by :data:`TIGHTEN`, never below
  :data:`FLOOR`; what they hide still goes to the review queue, where a person restores it.
* **Priority**: conversations under a crisis are at least ``high`` (``urgent`` from level 4).

Pausing marketing rules and announcements (posts we start ourselves) is the rule engine's and
the outbox sender's part; they only ask whether any mode is in force (:attr:`ModeState.on`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor
from crisisdesk.crises.mode import ActiveMode, in_force
from crisisdesk.crises.models import Crisis, CrisisSituation
from crisisdesk.crises.types import CrisisTypeConfig
from crisisdesk.detection.models import Situation
from crisisdesk.inbox import service
from crisisdesk.inbox.models import Conversation, ConversationStatus, Priority
from crisisdesk.inbox.situations import LEAD
from crisisdesk.posts.models import Post
from crisisdesk.sources.models import Monitor, MonitorMatch

#: How far the insult thresholds of hiding rules drop, and the lowest they go. 0.15 on the
#: classifier's probability turns "clearly an insult" (0.85) into "likely one" (0.70) and the
#: classifier's own verdict (0.5) into 0.35; below that it rates a text more likely fair
#: criticism than an insult, which a brand must not be seen hiding.
TIGHTEN, FLOOR = 0.15, 0.35
#: ``insult: true`` is the classifier's verdict: a score of at least this.
INSULT_VERDICT = 0.5
#: The holding statement promises news by then ({time}), rounded up to the quarter hour.
PROMISE = timedelta(hours=2)
_RANK = {p.value: i for i, p in enumerate(Priority)}

#: The holding statement when the crisis has no type (or its type none): the defaults' wording.
GENERIC = {
    "de": "Wir wissen von den aktuellen Berichten und nehmen sie sehr ernst. Es tut uns leid, dass Sie "
          "das erleben mussten. Wir klären gerade, was passiert ist, und melden uns bis {time} mit mehr "
          "Informationen – hier und auf unserer Statusseite.",
    "en": "We are aware of the current reports and take them very seriously. We are sorry that you had to "
          "go through this. We are finding out what happened and will update you by {time} – here and on "
          "our status page.",
}


def lowered(threshold: float) -> float:
    """A hiding rule's insult threshold in crisis mode."""
    return threshold if threshold <= FLOOR else round(max(FLOOR, threshold - TIGHTEN), 4)


def promised_time(now: datetime, lang: str, zone: str) -> str:
    """``now`` + :data:`PROMISE`, rounded up to the quarter hour, as a person reads it in ``zone``:
    "16:30 Uhr" / "4:30 pm", with "morgen"/"tomorrow" when that is another day there."""
    return said_time(quarter_up(now + PROMISE), now, lang, zone)


def quarter_up(moment: datetime) -> datetime:
    """``moment`` rounded up to the next quarter hour (a promise people can remember)."""
    extra = (-moment.minute) % 15
    at = (moment + timedelta(minutes=extra)).replace(second=0, microsecond=0)
    if extra == 0 and (moment.second or moment.microsecond):
        at += timedelta(minutes=15)
    return at


def said_time(moment: datetime, now: datetime, lang: str, zone: str) -> str:
    """A time as a person reads it in ``zone``: "16:30 Uhr" / "4:30 pm", with "morgen"/"tomorrow"
    when that is another day there than ``now``."""
    at = moment.astimezone(ZoneInfo(zone))
    tomorrow = at.date() > now.astimezone(ZoneInfo(zone)).date()
    if lang == "de":
        return f"{'morgen, ' if tomorrow else ''}{at:%H:%M} Uhr"
    hour = at.hour % 12 or 12
    return f"{'tomorrow, ' if tomorrow else ''}{hour}:{at:%M} {'am' if at.hour < 12 else 'pm'}"


@dataclass(frozen=True, slots=True)
class Counted:
    """A crisis whose conversations the modes in force cover."""

    id: int
    severity: int
    type: str | None
    title: str


@dataclass
class ModeState:
    """The modes in force at one moment, and what they mean for one conversation (cached)."""

    modes: Sequence[ActiveMode]
    crises: Mapping[int, Counted]
    types: Sequence[CrisisTypeConfig] = ()
    zone: str = "Europe/Berlin"
    _under: dict[int, list[int]] = field(default_factory=dict)

    @property
    def on(self) -> bool:
        return bool(self.modes)

    @property
    def workspace(self) -> bool:
        return any(m.crisis_id is None for m in self.modes)

    def under(self, session: Session, conversation: Conversation) -> list[int]:
        """The counted crises the conversation is under, the most severe first."""
        if conversation.id not in self._under:
            found = crises_of(session, conversation, self.crises) if self.crises else set()
            self._under[conversation.id] = sorted(found, key=lambda c: (-self.crises[c].severity, c))
        return self._under[conversation.id]

    def covers(self, session: Session, conversation: Conversation) -> bool:
        """Whether the holding statement and the tighter moderation apply to the conversation."""
        return self.on and (self.workspace or bool(self.under(session, conversation)))

    def holding_statement(self, session: Session, conversation: Conversation, lang: str | None,
                          now: datetime) -> tuple[str, int | None]:
        """The text to send instead of a rule's reply, and the crisis it speaks for (None: the
        generic statement, for a conversation under no crisis in workspace-wide mode)."""
        candidates = self.under(session, conversation) or sorted(
            self.crises, key=lambda c: (-self.crises[c].severity, c))
        lang = "de" if lang == "de" else "en"
        for crisis_id in candidates:
            ct = next((t for t in self.types if t.key == self.crises[crisis_id].type), None)
            if ct is not None and ct.holding_statement is not None:
                text = ct.holding_statement.get(lang)
                return text.replace("{time}", promised_time(now, lang, self.zone)), crisis_id
        crisis = candidates[0] if candidates else None
        return GENERIC[lang].replace("{time}", promised_time(now, lang, self.zone)), crisis

    def priority_floor(self, session: Session, conversation: Conversation) -> tuple[Priority, int] | None:
        """The least priority a conversation under a crisis has, and that crisis."""
        under = self.under(session, conversation) if self.on else []
        if not under:
            return None
        worst = under[0]
        return (Priority.URGENT if self.crises[worst].severity >= 4 else Priority.HIGH), worst


OFF = ModeState((), {})


def read_state(session: Session, *, types: Sequence[CrisisTypeConfig] = (), zone: str = "Europe/Berlin"
               ) -> ModeState:
    """The modes in force and the crises they count (one query when none is)."""
    modes = in_force(session)
    if not modes:
        return ModeState((), {}, types, zone)
    ids = {m.crisis_id for m in modes if m.crisis_id is not None}
    query = select(Crisis).where(Crisis.status == "open")
    if not any(m.crisis_id is None for m in modes):
        query = query.where(Crisis.id.in_(ids))
    crises = {c.id: Counted(c.id, c.severity, c.type, c.title) for c in session.scalars(query)}
    return ModeState(modes, crises, types, zone)


def _windows(session: Session, crisis_ids: Iterable[int]) -> list[tuple[int, int, datetime, datetime | None]]:
    """(crisis, monitor, from, until) of the crises's situations on active monitors."""
    rows = session.execute(
        select(CrisisSituation.crisis_id, Situation.monitor_id, Situation.opened_at, Situation.resolved_at)
        .join(Situation, Situation.id == CrisisSituation.situation_id)
        .join(Monitor, Monitor.id == Situation.monitor_id)
        .where(CrisisSituation.crisis_id.in_(list(crisis_ids)), Monitor.active)).all()
    return [(c, m, opened - LEAD, resolved) for c, m, opened, resolved in rows]


def crises_of(session: Session, conversation: Conversation, crisis_ids: Iterable[int]) -> set[int]:
    """Which of these crises the conversation is under (its messages in their situations' windows)."""
    windows = _windows(session, crisis_ids)
    if not windows:
        return set()
    monitors = {m for _, m, _, _ in windows}
    matched = session.execute(
        select(MonitorMatch.monitor_id, MonitorMatch.post_created_at)
        .join(Post, Post.id == MonitorMatch.post_id)
        .where(Post.platform == conversation.platform, Post.conversation_id == conversation.thread,
               MonitorMatch.monitor_id.in_(monitors))).all()
    return {c for c, m, start, end in windows for mm, at in matched
            if mm == m and start <= at and (end is None or at <= end)}


def conversations_under(session: Session, crisis_ids: Iterable[int]) -> dict[int, set[int]]:
    """The conversations not resolved under each of these crises: conversation id → crises."""
    out: dict[int, set[int]] = {}
    for crisis_id, monitor_id, start, end in _windows(session, crisis_ids):
        in_window = [MonitorMatch.monitor_id == monitor_id, MonitorMatch.post_created_at >= start]
        if end is not None:
            in_window.append(MonitorMatch.post_created_at <= end)
        rows = session.scalars(
            select(Conversation.id).distinct()
            .join(Post, (Post.platform == Conversation.platform)
                  & (Post.conversation_id == Conversation.thread))
            .join(MonitorMatch, MonitorMatch.post_id == Post.id)
            .where(*in_window, Conversation.status != ConversationStatus.RESOLVED.value))
        for conversation_id in rows:
            out.setdefault(conversation_id, set()).add(crisis_id)
    return out


def raise_priority(session: Session, conversation: Conversation, floor: Priority, crisis_id: int, *,
                   now: datetime, events: list[dict[str, Any]] | None = None) -> bool:
    """Raise (never lower) the conversation's priority to ``floor``: a system change on its
    timeline, by ``crisis-mode:<crisis>``. True when it changed."""
    if _RANK.get(conversation.priority, 1) >= _RANK[floor.value]:
        return False
    changed = service.change(session, conversation, service.Change(priority=floor),
                             actor=Actor(f"crisis-mode:{crisis_id}"), now=now,
                             events=events)
    return bool(changed)


def raise_all(session: Session, state: ModeState, conversation_ids: Iterable[int], *, now: datetime,
              events: list[dict[str, Any]] | None = None) -> list[int]:
    """Raise the priority of those of these conversations that are under a counted crisis."""
    if not state.crises:
        return []
    wanted = sorted(set(conversation_ids))
    raised = []
    for conversation in session.scalars(select(Conversation).where(Conversation.id.in_(wanted))):
        if conversation.status == ConversationStatus.RESOLVED.value:
            continue
        floor = state.priority_floor(session, conversation)
        if floor is not None and raise_priority(session, conversation, floor[0], floor[1], now=now,
                                                events=events):
            raised.append(conversation.id)
    return raised
