"""Notices about conversations: a rule's ``notify`` action and the @mentions in notes.

Both reach people through the notification targets the escalation uses (``people``, ``roles``,
``notify.targets``), as an inbox notice (:attr:`NotificationKind.INBOX`) whose link opens the
conversation. Deliveries are written in the caller's transaction and leave after its commit
(the dispatcher is woken then, and polls anyway), so a notice exists exactly when the change
that caused it was committed. A person with ``working_hours`` hears of a rule's notice only
inside them, unless nobody of the recipients is on duty (the escalation's rule); a mention always
reaches the person mentioned.

Mentions are written ``@anna@example.com`` (an account's address), ``@anna`` (a person of the
workspace, whose ``email`` is the account, or the part before the ``@`` when only one account
has it). Anything else after an ``@`` is left as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.accounts.models import User
from crisisdesk.core.clock import Clock, SystemClock
from crisisdesk.escalation.chain import on_duty
from crisisdesk.escalation.config import PersonConfig
from crisisdesk.inbox.models import Conversation, Priority
from crisisdesk.notify.render import clip
from crisisdesk.notify.schemas import Lang, Notification, NotificationKind, TargetConfig
from crisisdesk.notify.service import enqueue

_MENTION = re.compile(r"(?<![\w@])@([\w.+\-]+(?:@[\w\-]+(?:\.[\w\-]+)+)?)")
SEVERITY = {Priority.LOW: 1, Priority.NORMAL: 2, Priority.HIGH: 3, Priority.URGENT: 4}


def mentioned(text: str) -> list[str]:
    """The @-words of a note, as written (lower-cased), in order, once each."""
    return list(dict.fromkeys(m.group(1).rstrip(".-").lower() for m in _MENTION.finditer(text)))


@dataclass(frozen=True)
class Notices:
    """Where notices go: the workspace's people, roles and targets, and the pages' address."""

    people: Mapping[str, PersonConfig] = field(default_factory=dict)
    roles: Mapping[str, list[str]] = field(default_factory=dict)
    targets: Mapping[str, TargetConfig] = field(default_factory=dict)
    base_url: str = "http://127.0.0.1:8000"
    lang: Lang = "en"
    deliver: bool = True
    #: Deliveries are scheduled on the wall clock whatever clock a replay runs on.
    clock: Clock = field(default_factory=SystemClock)

    def link(self, conversation_id: int) -> str:
        return f"{self.base_url.rstrip('/')}/inbox/{conversation_id}"

    def resolve_users(self, session: Session, words: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Each @-word that names an active account → (user id, address)."""
        if not words:
            return {}
        by_person = {key.lower(): p.email.lower() for key, p in self.people.items() if p.email}
        users = session.execute(select(User.id, func.lower(User.email)).where(User.active)).all()
        by_address = {email: uid for uid, email in users}
        locals_: dict[str, list[str]] = {}
        for email in by_address:
            locals_.setdefault(email.split("@", 1)[0], []).append(email)
        out: dict[str, tuple[int, str]] = {}
        for word in words:
            address = word if "@" in word else by_person.get(word)
            if address is None and len(locals_.get(word, [])) == 1:
                address = locals_[word][0]
            if address is not None and address in by_address:
                out[word] = (by_address[address], address)
        return out

    def people_of(self, recipients: Sequence[str], at: datetime) -> tuple[dict[str, Lang | None], list[str]]:
        """Target name → language and the people reached, for ``role:``/``person:``/``target:``."""
        targets: dict[str, Lang | None] = {}
        reached: list[str] = []
        for recipient in recipients:
            kind, _, name = recipient.partition(":")
            if kind == "target":
                targets.setdefault(name, None)
                continue
            names = self.roles.get(name, []) if kind == "role" else [name]
            group = {"people": [{"name": n, "working_hours": p.working_hours.model_dump(mode="json")
                                 if p.working_hours else None} for n in names if (p := self.people.get(n))]}
            for person in on_duty(group, at):
                reached.append(person["name"])
                config = self.people[person["name"]]
                for t in config.targets:
                    targets.setdefault(t, config.lang)
        return targets, list(dict.fromkeys(reached))

    def person_by_email(self, email: str) -> str | None:
        return next((k for k, p in self.people.items() if p.email and p.email.lower() == email.lower()), None)

    def send(self, session: Session, conversation: Conversation, *, key: str,
             targets: Mapping[str, Lang | None], title: Mapping[str, str], summary: Mapping[str, str],
             at: datetime) -> list[str]:
        """Queue one inbox notice per known target; returns the targets queued."""
        if not self.deliver:
            return []
        queued = []
        for name, lang in sorted(targets.items()):
            target = self.targets.get(name)
            if target is None:
                continue
            language: Lang = lang or self.lang
            note = Notification(
                conversation_id=conversation.id, monitor="inbox",
                severity=SEVERITY.get(Priority(conversation.priority), 2), kind=NotificationKind.INBOX,
                title=clip(title[language], 200), summary=clip(summary[language], 1000),
                ack_url=self.link(conversation.id), lang=language, occurred_at=at)
            enqueue(session, key=f"{key}:{name}"[:255], target_name=name, kind=target.kind,
                    notification=note, clock=self.clock)
            queued.append(name)
        return queued
