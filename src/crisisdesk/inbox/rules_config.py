"""Inbox rules as the workspace declares them: conditions on an inbound message, actions on its
conversation. Validated when the workspace is loaded, so a broken rule names its place there.

```yaml
inbox:
  rules:
    - name: complaints-to-private
      when: {public: true, sentiment: negative, complaint_types: [billing_price, delivery_delay]}
      then:
        - tag: complaint
        - priority: high
        - move_to_private:
            public: {de: "Das tut uns leid, {{contact.first_name}}. Wir schreiben Ihnen privat.",
                     en: "We're sorry, {{contact.first_name}}. We'll message you privately."}
            private: {de: "Hallo {{contact.first_name}}, …", en: "Hello {{contact.first_name}}, …"}
        - ticket: true
    - name: refund-saved
      when: {public: false, query: erstattung}
      then:
        - reply_private: {saved: refund}    # a saved reply of inbox.saved_replies, by name
```
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.escalation.config import RECIPIENT
from crisisdesk.inbox.models import Priority
from crisisdesk.inbox.sla_config import BusinessHours, SlaConfig
from crisisdesk.inbox.team_config import TeamConfig, check_team_name
from crisisdesk.sources.matcher import MonitorSet


class Texts(BaseModel):
    """A text per language; the message's language picks one, German or English otherwise."""

    model_config = ConfigDict(extra="forbid")

    de: str | None = Field(default=None, min_length=1, max_length=4000)
    en: str | None = Field(default=None, min_length=1, max_length=4000)

    @model_validator(mode="after")
    def _one(self) -> Texts:
        if self.de is None and self.en is None:
            raise ValueError("give the text in de, en or both")
        return self

    def pick(self, lang: str | None) -> str:
        if lang == "de":
            return self.de or self.en or ""
        return self.en or self.de or ""


class Answer(Texts):
    """What an automatic answer says: its own texts (``{de: …, en: …}``), or the name of one of the
    workspace's saved replies (``{saved: refund}``), filled in the same way."""

    saved: str | None = Field(default=None, min_length=1, max_length=120,
                              description="The name of a saved reply of inbox.saved_replies.")

    @model_validator(mode="after")
    def _one(self) -> Answer:
        if self.saved is not None and (self.de is not None or self.en is not None):
            raise ValueError("give either saved (a saved reply's name) or the text in de/en, not both")
        if self.saved is None and self.de is None and self.en is None:
            raise ValueError("give the text in de, en or both, or saved: a saved reply's name")
        return self


class When(BaseModel):
    """Every condition given must hold (lists: any of their values)."""

    model_config = ConfigDict(extra="forbid")

    channel: list[str] | None = None
    platform: list[str] | None = None
    public: bool | None = None
    kind: list[str] | None = None
    lang: list[str] | None = None
    sentiment: list[Literal["negative", "neutral", "positive"]] | None = None
    insult: bool | None = Field(default=None, description="true: the insult classifier flagged it.")
    insult_score_at_least: float | None = Field(default=None, ge=0.0, le=1.0,
                                                description="The insult classifier's score at least this.")
    complaint_types: list[str] | None = None
    monitor: list[str] | None = None
    query: str | None = Field(default=None, min_length=1, description="The monitoring query language.")
    min_followers: int | None = Field(default=None, ge=0)
    verified: bool | None = None
    in_situation: bool | None = Field(default=None, description="true: one of the message's monitors "
                                      "has an open situation; false: none has.")
    situation_severity_at_least: int | None = Field(default=None, ge=1, le=4, description="An open "
                                                    "situation of one of its monitors is this severe.")
    business_hours: bool | None = Field(default=None, description="true: the message came inside "
                                        "inbox.business_hours; false: outside them.")
    # Of the conversation as it is when the rule is tried (after the change, for ``trigger: change``).
    status: list[Literal["open", "pending", "snoozed", "resolved"]] | None = None
    priority: list[Priority] | None = None
    tags: list[str] | None = Field(default=None, description="The conversation has one of these tags.")
    assigned: bool | None = Field(default=None, description="true: a person has it; false: nobody has.")
    ticket: bool | None = Field(default=None, description="true: the conversation is a ticket.")
    changed: list[Literal["status", "priority", "assignee", "team", "tags", "ticket"]] | None = Field(
        default=None, description="For trigger: change — what the change touched (any of these).")

    @field_validator("channel", "platform", "kind", "lang", "sentiment", "complaint_types", "monitor",
                     "status", "priority", "tags", "changed", mode="before")
    @classmethod
    def _listed(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("query")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                MonitorSet.compile([("rule", value)])
            except (CrisisdeskError, ValueError) as exc:
                raise ValueError(f"query does not compile: {exc}") from None
        return value


class MoveToPrivate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public: Answer = Field(description="The public answer inviting the person to a private conversation.")
    private: Answer = Field(description="The first private message.")


class Notify(BaseModel):
    """Tell people about the conversation through their notification targets."""

    model_config = ConfigDict(extra="forbid")

    to: list[str] = Field(min_length=1, description="role:NAME, person:NAME or target:NAME")
    text: Texts | None = Field(default=None, description="What to say; default: the message and why.")

    @field_validator("to")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        bad = [r for r in value if not RECIPIENT.match(r)]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))}: write role:NAME, person:NAME or target:NAME")
        return value


class Then(BaseModel):
    """One action; exactly one field set."""

    model_config = ConfigDict(extra="forbid")

    tag: str | None = Field(default=None, min_length=1, max_length=64)
    priority: Priority | None = None
    assign: str | None = Field(default=None, description="A user's e-mail address.")
    team: str | None = Field(default=None, min_length=1, max_length=64)
    assign_round_robin: str | None = Field(default=None, min_length=1, max_length=64, description=(
        "A team of inbox.teams: the team, and the next of its members on shift."))
    notify: Notify | None = None
    reply: Answer | None = Field(default=None, description="An automatic answer, publicly where the "
                                 "conversation is public.")
    reply_private: Answer | None = None
    move_to_private: MoveToPrivate | None = None
    hide: bool | None = None
    ticket: bool | None = None
    status: Literal["pending", "resolved"] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Then:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"one action per entry (given: {', '.join(given) or 'none'})")
        return self

    @property
    def kind(self) -> str:
        return next(name for name in type(self).model_fields if getattr(self, name) is not None)

    def answers(self) -> list[tuple[str, Answer]]:
        """The answers this action gives, each with its place under the action (``reply``,
        ``move_to_private.public`` …)."""
        if self.move_to_private is not None:
            return [("move_to_private.public", self.move_to_private.public),
                    ("move_to_private.private", self.move_to_private.private)]
        answer = self.reply or self.reply_private
        return [(self.kind, answer)] if answer is not None else []


Trigger = Literal["message", "change"]
#: The actions that answer the person (what ``marketing`` pauses, the holding statement replaces).
ANSWERS = ("reply", "reply_private", "move_to_private")


def _on_message() -> list[Trigger]:
    return ["message"]


class RuleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, pattern=r"^[\w][\w .\-]*$")
    enabled: bool = True
    when: When = Field(default_factory=When)
    then: list[Then] = Field(min_length=1)
    stop: bool = Field(default=False, description="Later rules are not tried once this one acted.")
    marketing: bool = Field(default=False, description="The rule answers with marketing (offers, "
                            "promotions, cheerful thanks): it does not act while crisis mode is on, and "
                            "what it queued and was not sent yet waits until the mode ends.")
    trigger: list[Trigger] = Field(
        default_factory=_on_message, min_length=1,
        description="When the rule is tried: on every new inbound message (default), on every change a "
        "person makes to the conversation (status, priority, assignee, team, tags, ticket), or both. "
        "Changes made by rules never trigger rules: no loops.")

    @model_validator(mode="before")
    @classmethod
    def _bare_on(cls, data: object) -> object:
        # YAML 1.1 reads a bare ``on`` as true: say what to write instead of "keys should be strings".
        if isinstance(data, dict) and any(k is True or k == "on" for k in data):
            raise ValueError("write trigger: change (or trigger: [message, change]), not on:")
        return data

    @field_validator("trigger", mode="before")
    @classmethod
    def _on_listed(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _changed_needs_change(self) -> RuleConfig:
        if self.when.changed is not None and "change" not in self.trigger:
            raise ValueError("when.changed only holds for trigger: change")
        return self

    @model_validator(mode="after")
    def _marketing_answers(self) -> RuleConfig:
        if self.marketing:
            kinds = {t.kind for t in self.then}
            if "hide" in kinds:
                raise ValueError("marketing: a marketing rule does not hide: moderation must not pause "
                                 "in a crisis (make hiding a rule of its own)")
            if not kinds & set(ANSWERS):
                raise ValueError(f"marketing: true marks a rule that answers; give it one of "
                                 f"{', '.join(ANSWERS)} (or drop marketing)")
        return self

    @property
    def moderates(self) -> bool:
        """Whether the rule hides what people wrote (crisis mode tightens its insult thresholds)."""
        return any(t.kind == "hide" for t in self.then)


class SavedReply(BaseModel):
    """A prepared answer in German and English with placeholders (``{{contact.first_name}}``,
    ``{{contact.name}}``, ``{{agent.name}}``, ``{{ticket}}``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, pattern=r"^[\w][\w .\-]*$")
    title: str | None = Field(default=None, max_length=200, description="What the team sees in the list.")
    text: Texts


class InboxConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    saved_replies: list[SavedReply] = Field(default_factory=list)
    teams: dict[str, TeamConfig] = Field(default_factory=dict, description="Who works the inbox, "
                                         "by team; round-robin assignment picks among them.")
    business_hours: BusinessHours = Field(default_factory=BusinessHours, description="When the team works: "
                                          "the rules' business_hours condition and the SLA count by it.")
    sla: SlaConfig = Field(default_factory=SlaConfig, description="Ticket SLAs (see docs/inbox.md).")

    rules: list[RuleConfig] = Field(default_factory=list, description="Tried in order on every inbound "
                                    "message that belongs to a conversation (and, with trigger: change, on "
                                    "every change a person makes to one).")

    @field_validator("teams")
    @classmethod
    def _team_names(cls, teams: dict[str, TeamConfig]) -> dict[str, TeamConfig]:
        for name in teams:
            check_team_name(name)
        return teams

    @model_validator(mode="after")
    def _known_teams(self) -> InboxConfig:
        for i, rule in enumerate(self.rules):
            for j, then in enumerate(rule.then):
                team = then.assign_round_robin
                if team is not None and team not in self.teams:
                    raise ValueError(f"rules[{i}].then[{j}].assign_round_robin: no team {team!r} "
                                     f"(inbox.teams has {', '.join(sorted(self.teams)) or 'none'})")
        return self

    @model_validator(mode="after")
    def _known_saved_replies(self) -> InboxConfig:
        names = {r.name for r in self.saved_replies}
        for i, rule in enumerate(self.rules):
            for j, then in enumerate(rule.then):
                for place, answer in then.answers():
                    if answer.saved is not None and answer.saved not in names:
                        raise ValueError(f"rules[{i}].then[{j}].{place}.saved: no saved reply "
                                         f"{answer.saved!r} (inbox.saved_replies has "
                                         f"{', '.join(sorted(names)) or 'none'})")
        return self

    def saved_reply(self, name: str) -> SavedReply | None:
        return next((r for r in self.saved_replies if r.name == name), None)

    @field_validator("rules", "saved_replies")
    @classmethod
    def _unique(cls, items: list[Any]) -> list[Any]:
        seen: set[str] = set()
        for item in items:
            if item.name in seen:
                raise ValueError(f"name {item.name!r} given twice")
            seen.add(item.name)
        return items
