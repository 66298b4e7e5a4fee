"""Running the inbox rules on every new inbound message of a conversation, in order, each run kept.

Rules run inside the pipeline's transaction, right after the message joined its conversation: the
tags, priority, assignment and ticket they set and the outbox items they queue (automatic replies,
the move to a private conversation, hiding) commit with the message or not at all, and the outbox
sends only after the commit. Their idempotency keys name the rule, the message and the action, so
a message processed twice never answers twice. A dry run (:meth:`RuleEngine.dry_run`) evaluates
the same conditions on stored messages and says what would have happened, changing nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from crisisdesk.accounts.models import User
from crisisdesk.audit.service import Actor
from crisisdesk.channels import outbox
from crisisdesk.channels.base import Action, Connector
from crisisdesk.inbox import service
from crisisdesk.inbox.calendar import BusinessCalendar
from crisisdesk.inbox.errors import InboxError
from crisisdesk.inbox.models import (
    Conversation,
    ConversationEvent,
    ConversationStatus,
    ModerationReview,
    Priority,
    ReviewStatus,
    RuleRun,
)
from crisisdesk.inbox.notices import Notices
from crisisdesk.inbox.rule_conditions import Message, checks, from_stored, situation_severity
from crisisdesk.inbox.rules_config import Notify, RuleConfig, Texts, When
from crisisdesk.inbox.situations import open_situations
from crisisdesk.inbox.team_config import TeamConfig
from crisisdesk.inbox.teams import round_robin
from crisisdesk.inbox.texts import fill, values_for
from crisisdesk.posts.models import Author, Post
from crisisdesk.sources.matcher import MonitorSet


@dataclass
class Outcome:
    rule: str
    post_id: int
    conversation_id: int
    actions: list[dict[str, Any]] = field(default_factory=list)


class RuleEngine:
    def __init__(
        self,
        rules: Sequence[RuleConfig],
        *,
        connectors: Callable[[], Mapping[str, Connector]],
        teams: Mapping[str, TeamConfig] | None = None,
        notices: Notices | None = None,
        calendar: BusinessCalendar | None = None,
    ) -> None:
        self.rules = [r for r in rules if r.enabled]
        self._connectors = connectors
        self.teams = dict(teams or {})
        self.notices = notices or Notices(deliver=False)
        self.calendar = calendar or BusinessCalendar()
        #: Whether any rule looks at situations (then each batch reads the open ones once).
        self._situational = any(
            r.when.in_situation is not None or r.when.situation_severity_at_least is not None
            for r in self.rules
        )
        self._unqueried = [r for r in self.rules if r.when.query is None]
        self._checks = {r.name: checks(r.when, self.calendar) for r in self.rules}
        # One matcher for the queries of every rule: a message's text is read once, whatever the
        # number of rules (see sources.matcher).
        self._queries = MonitorSet.compile([(r.name, r.when.query) for r in self.rules if r.when.query])

    def __bool__(self) -> bool:
        return bool(self.rules)

    def _candidates(self, queries: set[str]) -> list[RuleConfig]:
        """The rules worth trying, in order: those without a query, and those whose query matched
        (with hundreds of rules most are ruled out by their query at no cost per rule)."""
        if not queries:
            return self._unqueried
        return [r for r in self.rules if r.when.query is None or r.name in queries]

    def queries_matching(self, m: Message) -> set[str]:
        """The names of the rules whose query matches ``m`` (one pass for all of them)."""
        return set(self._queries.match(m.doc)) if len(self._queries) else set()

    def matches(
        self,
        rule: RuleConfig,
        m: Message,
        situations: Mapping[str, int] | None = None,
        queries: set[str] | None = None,
    ) -> bool:
        """Whether every condition of ``rule`` holds for ``m``; ``situations``: the severity of the
        open situation of each monitor that has one, at the message's time; ``queries``: what
        :meth:`queries_matching` said of ``m`` (computed here when not given)."""
        for check in self._checks[rule.name]:
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
        self, session: Session, messages: Sequence[Message], conversation_of: Mapping[int, int], now: datetime
    ) -> list[Outcome]:
        """Run the rules on each message of a conversation; record and return what each did."""
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
                if not self.matches(rule, m, situations, queries):
                    continue
                conversation = conversations.get(cid)
                if conversation is None:
                    break
                outcome = Outcome(rule.name, m.post_id, cid)
                for i, action in enumerate(rule.then):
                    outcome.actions.append(
                        self._act(
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

    def _act(
        self,
        session: Session,
        rule: RuleConfig,
        index: int,
        kind: str,
        value: Any,
        conversation: Conversation,
        m: Message,
        now: datetime,
        events: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """Do one action; its timeline events go to ``events`` (inserted by :meth:`apply` at once)."""
        actor = Actor(f"rule:{rule.name}")
        done: dict[str, Any] = {"action": kind}
        try:
            if kind == "tag":
                service.change(
                    session,
                    conversation,
                    service.Change(tags=[*conversation.tags, value]),
                    actor=actor,
                    now=now,
                    events=events,
                )
            elif kind == "priority":
                service.change(
                    session,
                    conversation,
                    service.Change(priority=Priority(value)),
                    actor=actor,
                    now=now,
                    events=events,
                )
            elif kind == "status":
                service.change(
                    session,
                    conversation,
                    service.Change(status=ConversationStatus(value)),
                    actor=actor,
                    now=now,
                    events=events,
                )
            elif kind == "team":
                service.change(
                    session, conversation, service.Change(team=value), actor=actor, now=now, events=events
                )
            elif kind == "assign":
                user_id = session.scalar(
                    select(User.id).where(func.lower(User.email) == str(value).lower(), User.active)
                )
                if user_id is None:
                    raise InboxError(f"no active user {value!r} to assign to")
                service.change(
                    session,
                    conversation,
                    service.Change(assignee_user_id=user_id),
                    actor=actor,
                    now=now,
                    events=events,
                )
            elif kind == "assign_round_robin":
                pick = round_robin(session, value, self.teams[value], now)
                service.change(
                    session, conversation, service.Change(team=value), actor=actor, now=now, events=events
                )
                if pick.passed:
                    done["passed"] = dict(pick.passed)
                if pick.user_id is None:
                    raise InboxError(
                        f"nobody of team {value!r} can take it now (on shift, active, "
                        "under max_open): left to the team"
                    )
                service.change(
                    session,
                    conversation,
                    service.Change(assignee_user_id=pick.user_id),
                    actor=actor,
                    now=now,
                    events=events,
                )
                done["assigned"] = pick.email
            elif kind == "notify":
                done["notified"] = self._notify(session, rule, index, value, conversation, m, now)
            elif kind == "ticket":
                done["ticket"] = service.open_ticket(session, conversation, actor=actor, now=now)
            elif kind in ("reply", "reply_private", "hide"):
                action = {
                    "reply": Action.REPLY_PRIVATE if m.public is False else Action.REPLY_PUBLIC,
                    "reply_private": Action.REPLY_PRIVATE,
                    "hide": Action.HIDE,
                }[kind]
                text = None if kind == "hide" else render(value, session, conversation, m)
                done["outbox"] = self._queue(session, rule, index, action, conversation, m, text, actor, now)
                if kind == "hide":  # a person confirms or restores what a rule hid
                    session.add(
                        ModerationReview(
                            post_id=m.post_id,
                            conversation_id=conversation.id,
                            rule=rule.name,
                            score=m.insult_score,
                            outbox_id=done["outbox"],
                            status=ReviewStatus.PENDING,
                            created_at=now,
                        )
                    )
            elif kind == "move_to_private":
                done["outbox"] = [
                    self._queue(
                        session,
                        rule,
                        index,
                        Action.REPLY_PUBLIC,
                        conversation,
                        m,
                        render(value.public, session, conversation, m),
                        actor,
                        now,
                        part="public",
                    ),
                    self._queue(
                        session,
                        rule,
                        index,
                        Action.REPLY_PRIVATE,
                        conversation,
                        m,
                        render(value.private, session, conversation, m),
                        actor,
                        now,
                        part="private",
                    ),
                ]
                service.change(
                    session,
                    conversation,
                    service.Change(tags=[*conversation.tags, "moved-to-private"]),
                    actor=actor,
                    now=now,
                    events=events,
                )
        except (InboxError, outbox.OutboxError) as exc:
            done.update(ok=False, error=str(exc))
            return done
        done["ok"] = True
        return done

    def _notify(
        self,
        session: Session,
        rule: RuleConfig,
        index: int,
        value: Notify,
        conversation: Conversation,
        m: Message,
        now: datetime,
    ) -> list[str]:
        targets, people = self.notices.people_of(value.to, now)
        excerpt = getattr(m.doc, "text", "") or ""
        who = conversation.subject or f"#{conversation.id}"
        summary = {lang: value.text.pick(lang) if value.text else excerpt for lang in ("de", "en")}
        title = {"de": f"Regel {rule.name}: {who}", "en": f"Rule {rule.name}: {who}"}
        queued = self.notices.send(
            session,
            conversation,
            key=f"rule-{rule.name}-{m.post_id}-{index}",
            targets=targets,
            title=title,
            summary=summary,
            at=now,
        )
        return people or queued

    def _queue(
        self,
        session: Session,
        rule: RuleConfig,
        index: int,
        action: Action,
        conversation: Conversation,
        m: Message,
        text: str | None,
        actor: Actor,
        now: datetime,
        part: str = "",
    ) -> int:
        if conversation.channel is None:
            raise InboxError("the conversation did not arrive through a connected channel")
        key = f"rule-{rule.name}-{m.post_id}-{index}{part}"[:128]
        item, _ = outbox.enqueue(
            session,
            outbox.OutboundRequest(
                channel=conversation.channel, action=action, idempotency_key=key, post_id=m.post_id, text=text
            ),
            connectors=self._connectors(),
            actor=actor,
            now=now,
        )
        return item.id

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
        engine = RuleEngine([rule], connectors=self._connectors, teams=self.teams, calendar=self.calendar)
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


def render(texts: Texts, session: Session, conversation: Conversation, m: Message) -> str:
    """A rule's text for this message's conversation, in the message's language."""
    return fill(texts, m.lang, values_for(session, conversation, agent=None, lang=m.lang))
