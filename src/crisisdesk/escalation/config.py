"""People, roles and escalation policies as the workspace file states them.

A policy is chosen by severity (the policy of the highest level at or below the situation's);
its steps are notified in order, each followed by a wait for an acknowledgement; the chain
repeats ``repeat`` times. Recipients are written ``role:crisis_lead``, ``person:anna`` or
``target:crisis-room`` so that a typo is an error at load time, not a silent nobody at 3 a.m.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crisisdesk.core.zones import check_zone

#: The roles of the default crisis playbook (a workspace may add its own under ``roles:``).
DEFAULT_ROLES = ("crisis_lead", "spokesperson", "legal", "management", "social_media_team")
RECIPIENT = re.compile(r"^(role|person|target):[\w][\w.\-]*$")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WorkingHours(BaseModel):
    """When a person wants to be notified (outside them, others of the role are preferred)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: list[Weekday] = Field(default_factory=lambda: list(_WEEKDAYS[:5]), min_length=1)
    start: time = time(8, 0)
    end: time = time(18, 0)
    timezone: str = "Europe/Berlin"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)

    @model_validator(mode="after")
    def _order(self) -> WorkingHours:
        if self.start == self.end:
            raise ValueError("start and end are equal: give a span (end before start spans midnight)")
        return self

    def covers(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
        day = _WEEKDAYS[local.weekday()]
        now = local.time()
        if self.start < self.end:
            return day in self.days and self.start <= now < self.end
        # spans midnight: the part after midnight belongs to the previous day's shift
        if now >= self.start:
            return day in self.days
        yesterday = _WEEKDAYS[(local.weekday() - 1) % 7]
        return yesterday in self.days and now < self.end


class PersonConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    targets: list[str] = Field(min_length=1, description="Names of notify.targets.")
    working_hours: WorkingHours | None = None
    lang: Literal["de", "en"] | None = None
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$", description=(
        "The person's crisisdesk account: @mentions of it in inbox notes reach the person's targets."))


class StepConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    notify: list[str] = Field(min_length=1, description="role:NAME, person:NAME or target:NAME")
    wait_minutes: float = Field(default=15, gt=0, le=7 * 24 * 60)

    @field_validator("notify")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        bad = [r for r in value if not RECIPIENT.match(r)]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))}: write role:NAME, person:NAME or target:NAME")
        return value


class PolicyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: int = Field(ge=1, le=4, description="Applies from this severity up (until the next policy).")
    steps: list[StepConfig] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=20, description="How often the whole chain runs again.")


class EscalationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    #: Base URL of the crisisdesk web service, for acknowledgement links in notifications.
    base_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://[^\s]+$")
    #: Whether the people notified so far hear that the situation resolved.
    notify_resolved: bool = True
    policies: list[PolicyConfig] = Field(default_factory=list)

    @field_validator("policies")
    @classmethod
    def _unique(cls, value: list[PolicyConfig]) -> list[PolicyConfig]:
        levels = [p.severity for p in value]
        if len(set(levels)) != len(levels):
            raise ValueError(f"two policies for the same severity: {levels}")
        return value

    def policy_for(self, severity: int) -> PolicyConfig | None:
        chosen = None
        for p in sorted(self.policies, key=lambda p: p.severity):
            if p.severity <= severity:
                chosen = p
        return chosen


def check_references(*, people: dict[str, PersonConfig], roles: dict[str, list[str]],
                     escalation: EscalationConfig, targets: set[str]) -> list[str]:
    """Every cross-reference problem, each with its path in the workspace file."""
    errors = []
    for name, person in people.items():
        for i, t in enumerate(person.targets):
            if t not in targets:
                errors.append(f"people.{name}.targets[{i}]: unknown target {t!r} "
                              f"(notify.targets has {', '.join(sorted(targets)) or 'none'})")
    for role, members in roles.items():
        if not members:
            errors.append(f"roles.{role}: nobody holds this role")
        for i, member in enumerate(members):
            if member not in people:
                errors.append(f"roles.{role}[{i}]: unknown person {member!r}")
    for p, policy in enumerate(escalation.policies):
        for s, step in enumerate(policy.steps):
            errors.extend(unknown_recipients(step.notify, f"escalation.policies[{p}].steps[{s}].notify",
                                             people=people, roles=roles, targets=targets))
    return errors


def unknown_recipients(recipients: list[str], place: str, *, people: Mapping[str, object],
                       roles: Mapping[str, object], targets: set[str]) -> list[str]:
    """An error for each ``role:``/``person:``/``target:`` recipient that names nobody known."""
    errors = []
    for r, recipient in enumerate(recipients):
        kind, _, name = recipient.partition(":")
        known = {"role": set(roles), "person": set(people), "target": targets}[kind]
        if name not in known:
            errors.append(f"{place}[{r}]: unknown {kind} {name!r}")
    return errors
