"""What an inbox rule does once its conditions hold: the actions, each on the conversation of the
message that triggered it, inside the caller's transaction.

Every action is kept apart from the others: one that cannot be done (nobody on shift, a channel
that cannot hide) is recorded with its reason and the rule's other actions still run. Outbox
idempotency keys name the rule, the trigger and the action, so the same trigger never answers twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.accounts.models import User
from crisisdesk.audit.service import Actor
from crisisdesk.channels import outbox
from crisisdesk.channels.base import Connector
from crisisdesk.channels.outgoing import Action
from crisisdesk.crises.mode_effects import OFF, ModeState
from crisisdesk.inbox import moves, service
from crisisdesk.inbox.errors import InboxError
from crisisdesk.inbox.models import (
    Conversation,
    ConversationStatus,
    ModerationReview,
    Priority,
    ReviewStatus,
)
from crisisdesk.inbox.notices import Notices
from crisisdesk.inbox.rule_conditions import Message
from crisisdesk.inbox.rules_config import Answer, Notify, RuleConfig, SavedReply, Texts
from crisisdesk.inbox.team_config import TeamConfig
from crisisdesk.inbox.teams import round_robin
from crisisdesk.inbox.texts import fill, values_for


class RuleActions:
    """The actions of the rules, with what they need: the channels, the teams, the notices."""

    def __init__(self, connectors: Callable[[], Mapping[str, Connector]], teams: Mapping[str, TeamConfig],
                 notices: Notices, saved_replies: Sequence[SavedReply] = ()) -> None:
        self._connectors = connectors
        self.teams = teams
        self.notices = notices
        #: The workspace's saved replies by name, for answers given as ``{saved: name}``.
        self.saved_replies = {r.name: r for r in saved_replies}
        #: What started the run when it is not a new message (``c<event id>`` for a change): it names
        #: the run's outbox items and notices, so that one change acts once, another change again.
        self.trigger: str | None = None
        #: The crisis modes in force for this run: where they cover the conversation, an automatic
        #: answer is the holding statement of the crisis (set by the engine for each run).
        self.mode: ModeState = OFF

    def act(
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
        """Do one action; its timeline events go to ``events`` (the caller inserts them at once)."""
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
                done["notified"] = self.notify(session, rule, index, value, conversation, m, now)
            elif kind == "ticket":
                done["ticket"] = service.open_ticket(session, conversation, actor=actor, now=now)
            elif kind in ("reply", "reply_private", "hide"):
                action = {
                    "reply": Action.REPLY_PRIVATE if m.public is False else Action.REPLY_PUBLIC,
                    "reply_private": Action.REPLY_PRIVATE,
                    "hide": Action.HIDE,
                }[kind]
                text = None if kind == "hide" else self.render(value, session, conversation, m)
                if text is not None and self.mode.covers(session, conversation):
                    text, done["holding_statement"] = self.mode.holding_statement(
                        session, conversation, m.lang, now)
                done["outbox"] = self.queue(session, rule, index, action, conversation, m, text, actor, now)
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
                public, private = (
                    self.queue(
                        session,
                        rule,
                        index,
                        action,
                        conversation,
                        m,
                        self.render(texts, session, conversation, m),
                        actor,
                        now,
                        part=part,
                    )
                    for action, texts, part in (
                        (Action.REPLY_PUBLIC, value.public, "public"),
                        (Action.REPLY_PRIVATE, value.private, "private"),
                    )
                )
                done["outbox"] = [public, private]
                service.change(
                    session,
                    conversation,
                    service.Change(tags=[*conversation.tags, "moved-to-private"]),
                    actor=actor,
                    now=now,
                    events=events,
                )
                # the person's private conversation, where known already; else linked on arrival
                done["private_conversation"] = moves.move(
                    session, conversation, private, actor=actor.label, now=now, events=events
                )
        except (InboxError, outbox.OutboxError) as exc:
            done.update(ok=False, error=str(exc))
            return done
        done["ok"] = True
        return done

    def notify(
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
            key=f"rule-{rule.name}-{self.trigger or m.post_id}-{index}",
            targets=targets,
            title=title,
            summary=summary,
            at=now,
        )
        return people or queued

    def render(self, answer: Answer, session: Session, conversation: Conversation, m: Message) -> str:
        """An answer for this message's conversation, in the message's language: the rule's own
        texts or the saved reply it names, filled as the inbox fills saved replies."""
        texts: Texts = answer
        if answer.saved is not None:
            saved = self.saved_replies.get(answer.saved)
            if saved is None:  # the workspace refuses this; a rule tried on its own may still name one
                raise InboxError(f"no saved reply {answer.saved!r} in inbox.saved_replies")
            texts = saved.text
        return render(texts, session, conversation, m)

    def queue(
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
        key = f"rule-{rule.name}-{self.trigger or m.post_id}-{index}{part}"[:128]
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


def render(texts: Texts, session: Session, conversation: Conversation, m: Message) -> str:
    """A rule's text for this message's conversation, in the message's language."""
    return fill(texts, m.lang, values_for(session, conversation, agent=None, lang=m.lang))
