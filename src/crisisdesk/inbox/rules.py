"""Running the inbox rules on every new inbound message of a conversation, in order, each run kept.

Rules run inside the pipeline's transaction, right after the message joined its conversation: the
tags, priority, assignment and ticket they set and the outbox items they queue (automatic replies,
the move to a private conversation, hiding) commit with the message or not at all, and the outbox
sends only after the commit. Their idempotency keys name the rule, the message and the action, so
a message processed twice never answers twice. A dry run (:meth:`RuleEngine.dry_run`) evaluates
the same conditions on stored messages and says what would have happened, changing nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from crisisdesk.channels.base import Connector
from crisisdesk.core.zones import DEFAULT_ZONE
from crisisdesk.crises.mode_effects import INSULT_VERDICT, ModeState, lowered, read_state
from crisisdesk.crises.types import CrisisTypeConfig
from crisisdesk.inbox.calendar import BusinessCalendar
from crisisdesk.inbox.models import (
    Conversation,
    ConversationEvent,
    RuleRun,
)
from crisisdesk.inbox.notices import Notices
from crisisdesk.inbox.rule_actions import RuleActions
from crisisdesk.inbox.rule_conditions import (
    CHANGED_FIELD,
    Check,
    Message,
    checks,
    conversation_checks,
    from_stored,
    situation_severity,
)
from crisisdesk.inbox.rules_config import RuleConfig, SavedReply, When
from crisisdesk.inbox.situations import open_situations
from crisisdesk.inbox.team_config import TeamConfig
from crisisdesk.posts.models import Author, Post
from crisisdesk.sources.matcher import MonitorSet


@dataclass
class Outcome:
    rule: str
    post_id: int
    conversation_id: int
    actions: list[dict[str, Any]] = field(default_factory=list)


#: What a new message changed: nothing (``when.changed`` holds only for ``trigger: change``).
NOTHING: frozenset[str] = frozenset()


class RuleEngine:
    def __init__(
        self,
        rules: Sequence[RuleConfig],
        *,
        connectors: Callable[[], Mapping[str, Connector]],
        teams: Mapping[str, TeamConfig] | None = None,
        notices: Notices | None = None,
        calendar: BusinessCalendar | None = None,
        crisis_types: Sequence[CrisisTypeConfig] = (),
        time_zone: str = DEFAULT_ZONE,
        saved_replies: Sequence[SavedReply] = (),
    ) -> None:
        every = [r for r in rules if r.enabled]
        #: The rules tried on a new message, in order (those of ``trigger: change`` apart).
        self.rules = [r for r in every if "message" in r.trigger]
        self._change_rules = [r for r in every if "change" in r.trigger]
        self._connectors = connectors
        self.teams = dict(teams or {})
        self.notices = notices or Notices(deliver=False)
        self.saved_replies = tuple(saved_replies)
        self.actions = RuleActions(connectors, self.teams, self.notices, self.saved_replies)
        self.calendar = calendar or BusinessCalendar()
        #: Whether any rule looks at situations (then each batch reads the open ones once).
        self._situational = any(
            r.when.in_situation is not None or r.when.situation_severity_at_least is not None for r in every
        )
        self._on_conversation = {r.name: conversation_checks(r.when) for r in every}
        self._unqueried = [r for r in self.rules if r.when.query is None]
        self._checks = {r.name: checks(r.when, self.calendar) for r in every}
        # One matcher for the queries of every rule: a message's text is read once, whatever the
        # number of rules (see sources.matcher).
        self._queries = MonitorSet.compile([(r.name, r.when.query) for r in every if r.when.query])
        #: Crisis mode: the holding statements of these types, promising news in this time zone.
        self.crisis_types, self.time_zone = tuple(crisis_types), time_zone
        #: The hiding rules' conditions with the insult threshold crisis mode lowers to, and the
        #: thresholds before and after (see crisisdesk.crises.mode_effects).
        self._tight: dict[str, tuple[tuple[Check, ...], float, float]] = {}
        for r in every:
            threshold = max(r.when.insult_score_at_least or 0.0, INSULT_VERDICT if r.when.insult else 0.0)
            if r.moderates and threshold > lowered(threshold):
                tight = r.when.model_copy(
                    update={"insult": None, "insult_score_at_least": lowered(threshold)})
                self._tight[r.name] = (checks(tight, self.calendar), threshold, lowered(threshold))

    def __bool__(self) -> bool:
        return bool(self.rules) or bool(self._change_rules)

    @property
    def tries_changes(self) -> bool:
        """Whether any rule is tried on a person's change (``trigger: change``)."""
        return bool(self._change_rules)

    def _candidates(self, queries: set[str]) -> list[RuleConfig]:
        """The rules worth trying, in order: those without a query, and those whose query matched
        (with hundreds of rules most are ruled out by their query at no cost per rule)."""
        if not queries:
            return self._unqueried
        return [r for r in self.rules if r.when.query is None or r.name in queries]

    def queries_matching(self, m: Message) -> set[str]:
        """The names of the rules whose query matches ``m`` (one pass for all of them)."""
        return set(self._queries.match(m.doc)) if len(self._queries) else set()

    def mode_state(self, session: Session) -> ModeState:
        """The crisis modes in force now, as the rules need them (one small query when none is)."""
        return read_state(session, types=self.crisis_types, zone=self.time_zone)

    def matches(
        self,
        rule: RuleConfig,
        m: Message,
        situations: Mapping[str, int] | None = None,
        queries: set[str] | None = None,
        *,
        tight: bool = False,
    ) -> bool:
        """Whether every condition of ``rule`` holds for ``m``; ``situations``: the severity of the
        open situation of each monitor that has one, at the message's time; ``queries``: what
        :meth:`queries_matching` said of ``m`` (computed here when not given); ``tight``: with
        the insult threshold crisis mode lowers a hiding rule's to."""
        for check in self._tight[rule.name][0] if tight else self._checks[rule.name]:
            if not check(m):
                return False
        w: When = rule.when
        if w.in_situation is not None or w.situation_severity_at_least is not None:
            worst = situation_severity(m, situations or {})
            if w.in_situation is not None and (worst is not None) is not w.in_situation:
                return False
            if w.situation_severity_at_least is not None and (worst or 0) < w.situation_severity_at_least:
                return False
        if w.query is None:
            return True
        return rule.name in (queries if queries is not None else self.queries_matching(m))

    def apply(
        self,
        session: Session,
        messages: Sequence[Message],
        conversation_of: Mapping[int, int],
        now: datetime,
        mode: ModeState | None = None,
    ) -> list[Outcome]:
        """Run the rules on each message of a conversation; record and return what each did.
        ``mode``: the crisis modes in force (read here when not given): marketing rules rest,
        hiding rules are stricter and answers become the holding statement where it covers."""
        mode = mode if mode is not None else self.mode_state(session)
        self.actions.mode = mode
        outcomes: list[Outcome] = []
        situations = open_situations(session, now).at(now) if self._situational else {}
        runs: list[dict[str, Any]] = []  # written at once: one multi-row insert, not an object each
        events: list[dict[str, Any]] = []  # the timeline events of the changes, likewise
        wanted = {conversation_of[m.post_id] for m in messages if m.post_id in conversation_of}
        conversations = (
            {c.id: c for c in session.scalars(select(Conversation).where(Conversation.id.in_(wanted)))}
            if wanted and self.rules
            else {}
        )
        for m in messages:
            cid = conversation_of.get(m.post_id)
            if cid is None:
                continue
            queries = self.queries_matching(m)
            for rule in self._candidates(queries):
                if mode.on and rule.marketing:
                    continue  # crisis mode: no marketing
                tightened = None
                if not self.matches(rule, m, situations, queries):
                    if not (mode.on and rule.name in self._tight
                            and self.matches(rule, m, situations, queries, tight=True)):
                        continue
                    tightened = self._tight[rule.name][1:]
                conversation = conversations.get(cid)
                if conversation is None:
                    break
                if tightened is not None and not mode.covers(session, conversation):
                    continue
                if not all(check(conversation, NOTHING) for check in self._on_conversation[rule.name]):
                    continue
                outcome = Outcome(rule.name, m.post_id, cid)
                for i, action in enumerate(rule.then):
                    outcome.actions.append(
                        self.actions.act(
                            session,
                            rule,
                            i,
                            action.kind,
                            getattr(action, action.kind),
                            conversation,
                            m,
                            now,
                            events,
                        )
                    )
                if tightened is not None:  # said on the rules page: why it acted below its threshold
                    outcome.actions.append(
                        {"action": "crisis_mode", "insult_score_at_least": list(tightened), "ok": True}
                    )
                runs.append(
                    {
                        "rule": rule.name,
                        "post_id": m.post_id,
                        "conversation_id": cid,
                        "at": now,
                        "actions": outcome.actions,
                    }
                )
                outcomes.append(outcome)
                if rule.stop:
                    break
        session.flush()
        if runs:
            session.execute(insert(RuleRun), runs)
        if events:
            session.execute(insert(ConversationEvent), events)
        return outcomes

    def changed(
        self, session: Session, conversation: Conversation, fields: Iterable[str], *, now: datetime
    ) -> list[Outcome]:
        """Try the ``trigger: change`` rules after a person (or the API) changed ``conversation``:
        ``fields`` as :func:`crisisdesk.inbox.service.change` reports them (``ticket`` for a new
        ticket). The rules read the conversation as it is now and its newest inbound message; what
        they change does not trigger rules again, so two rules can never set each other off."""
        touched = frozenset(CHANGED_FIELD.get(f, f) for f in fields)
        if not self._change_rules or not touched:
            return []
        row = session.execute(
            select(Post, Author)
            .outerjoin(Author, Author.id == Post.author_id)
            .where(Post.platform == conversation.platform, Post.conversation_id == conversation.thread,
                   Post.own.is_not(True))
            .order_by(Post.created_at.desc(), Post.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return []
        m = from_stored(session, row[0], row[1])
        session.flush()  # the change's own timeline events first: the newest names this trigger
        last_event = session.scalar(
            select(func.max(ConversationEvent.id)).where(ConversationEvent.conversation_id == conversation.id)
        )
        situations = open_situations(session, now).at(now) if self._situational else {}
        queries = self.queries_matching(m)
        outcomes: list[Outcome] = []
        events: list[dict[str, Any]] = []
        runs: list[dict[str, Any]] = []
        self.actions.trigger = f"c{last_event or 0}"
        mode = self.actions.mode = self.mode_state(session)
        try:
            for rule in self._change_rules:
                if mode.on and rule.marketing:
                    continue  # crisis mode: no marketing
                if not all(check(conversation, touched) for check in self._on_conversation[rule.name]):
                    continue
                if not self.matches(rule, m, situations, queries):
                    continue
                outcome = Outcome(rule.name, m.post_id, conversation.id)
                for i, action in enumerate(rule.then):
                    outcome.actions.append(
                        self.actions.act(
                            session,
                            rule,
                            i,
                            action.kind,
                            getattr(action, action.kind),
                            conversation,
                            m,
                            now,
                            events,
                        )
                    )
                runs.append(
                    {
                        "rule": rule.name,
                        "post_id": m.post_id,
                        "conversation_id": conversation.id,
                        "at": now,
                        "actions": [
                            *outcome.actions,
                            {
                                "action": "trigger",
                                "trigger": "change",
                                "changed": sorted(touched),
                                "ok": True,
                            },
                        ],
                    }
                )
                outcomes.append(outcome)
                if rule.stop:
                    break
        finally:
            self.actions.trigger = None
        session.flush()
        if runs:
            session.execute(insert(RuleRun), runs)
        if events:
            session.execute(insert(ConversationEvent), events)
        return outcomes

    def dry_run(
        self, session: Session, rule: RuleConfig, *, since: datetime, limit: int = 500
    ) -> tuple[int, list[dict[str, Any]]]:
        """What ``rule`` would have done on the newest ``limit`` inbound messages of conversations
        received since ``since``: how many were tried, and the ones it matched with its actions."""
        in_thread = (Conversation.platform == Post.platform) & (Conversation.thread == Post.conversation_id)
        rows = session.execute(
            select(Post, Author, Conversation.id)
            .join(Conversation, in_thread)
            .outerjoin(Author, Author.id == Post.author_id)
            .where(Post.ingested_at >= since)
            .order_by(Post.ingested_at.desc(), Post.id.desc())
            .limit(limit)
        ).all()
        engine = RuleEngine([rule], connectors=self._connectors, teams=self.teams, calendar=self.calendar,
                            saved_replies=self.saved_replies)
        history = open_situations(session, since) if engine._situational else None
        out = []
        for post, author, cid in rows:
            situations = history.at(post.created_at) if history is not None else None
            if engine.matches(rule, from_stored(session, post, author), situations):
                out.append(
                    {
                        "post_id": post.id,
                        "conversation_id": cid,
                        "text": post.text[:200],
                        "at": post.created_at.isoformat(),
                        "would": [t.kind for t in rule.then],
                    }
                )
        return len(rows), out
