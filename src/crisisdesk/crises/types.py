"""Crisis types and their playbooks, as the workspace file states them (``crisis_types:``).

A crisis type says how a crisis of its kind is recognised (complaint types of its posts, terms),
how its severity is bounded (a safety incident with people hurt is at least 3), whom to involve
at each level, who may speak publicly for the brand while it is open (``spokespersons``; from
``approval_from`` up, anyone else's public reply waits for their approval), the checklist that
becomes the crisis's tasks, the holding statement in German and English, and where to answer.

The workspace file may replace the defaults (:mod:`crisisdesk.crises.default_types`) by giving
its own list; recipients are written like the escalation's (``role:legal``, ``person:anna``) so
that a typo is an error at load time.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crisisdesk.escalation.config import RECIPIENT
from crisisdesk.updates.config import AudiencePlan, check_plan

KEY = r"^[a-z][a-z0-9_]{0,63}$"


class Words(BaseModel):
    """A short text in both languages of the product (a name, a task, a statement)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    de: str = Field(min_length=1, max_length=4000)
    en: str = Field(min_length=1, max_length=4000)

    def get(self, lang: str) -> str:
        return self.de if lang == "de" else self.en


def _recipients(value: list[str]) -> list[str]:
    bad = [r for r in value if not RECIPIENT.match(r) or r.startswith("target:")]
    if bad:
        raise ValueError(f"{', '.join(map(repr, bad))}: write role:NAME or person:NAME")
    return value


class Recognition(BaseModel):
    """What a crisis of this type is about: complaint types of its posts and terms in them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    complaint_types: list[str] = Field(default_factory=list, description="Complaint type names "
                                       "(analysis.complaint_types) its posts carry.")
    terms: list[str] = Field(default_factory=list, description="Words in its posts or situations; a "
                             "trailing * matches any ending (rückruf* → Rückrufaktion).")

    @field_validator("terms")
    @classmethod
    def _terms(cls, value: list[str]) -> list[str]:
        out = []
        for i, term in enumerate(value):
            t = term.strip().lower()
            if not t or not re.fullmatch(r"[\w\-äöüß ]+\*?", t):
                raise ValueError(f"terms[{i}] {term!r}: a word or phrase, optionally ending in *")
            out.append(t)
        return out


class ChecklistItem(BaseModel):
    """One task of the playbook: what, who owns it, by when after the crisis opened."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=KEY)
    title: Words
    owner: str = Field(description="role:NAME or person:NAME")
    due_minutes: int = Field(ge=1, le=30 * 24 * 60, description="Due this long after the crisis opened.")
    from_level: int = Field(default=1, ge=1, le=4, description="Only once the crisis reaches this level.")

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        return _recipients([value])[0]


class CrisisTypeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=KEY)
    name: Words
    description: Words | None = None
    recognise: Recognition = Field(default_factory=Recognition)
    min_severity: int = Field(default=1, ge=1, le=4, description="A crisis of this type is at least this.")
    max_severity: int = Field(default=4, ge=1, le=4, description="… and at most this, unless a person "
                              "raises it.")
    apology: bool = Field(default=True, description="Public statements must apologise (the reply check's "
                          "no_apology).")
    roles: dict[int, list[str]] = Field(default_factory=dict, description="Level → role:/person: to "
                                        "involve from that level up.")
    spokespersons: list[str] = Field(default_factory=list, description="Who may speak publicly for the "
                                     "brand (role:/person:). Empty: everyone allowed to approve replies.")
    approval_from: int | None = Field(default=3, ge=1, le=4, description="From this level, public replies "
                                      "on the crisis's conversations by anyone but its spokespersons wait "
                                      "for approval; null: never.")
    crisis_mode_from: int | None = Field(default=None, ge=1, le=4, description="From this level the page "
                                         "suggests switching crisis mode on.")
    answer_on: Literal["where_known", "all"] = Field(default="where_known", description="Answer on the "
                                                     "channels where the issue became known, or on all.")
    checklist: list[ChecklistItem] = Field(default_factory=list)
    holding_statement: Words | None = None
    templates: list[str] = Field(default_factory=list, description="Names of inbox.saved_replies that "
                                 "fit this type.")
    updates: list[AudiencePlan] | None = Field(default=None, description="The update plan: audiences, "
                                               "channels, cadence (see docs/updates.md); null: the default "
                                               "plan.")
    owner: str | None = Field(default=None, description="person:NAME who keeps this playbook current.")
    review_by: date | None = Field(default=None, description="When the playbook is next reviewed.")

    @field_validator("spokespersons")
    @classmethod
    def _spokespersons(cls, value: list[str]) -> list[str]:
        return _recipients(value)

    @field_validator("updates")
    @classmethod
    def _updates(cls, value: list[AudiencePlan] | None) -> list[AudiencePlan] | None:
        return check_plan(value) if value is not None else None

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: dict[int, list[str]]) -> dict[int, list[str]]:
        for level, who in value.items():
            if not 1 <= level <= 4:
                raise ValueError(f"roles: level {level} is not 1…4")
            _recipients(who)
        return value

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("person:"):
            raise ValueError(f"{value!r}: write person:NAME")
        return value

    @model_validator(mode="after")
    def _bounds(self) -> CrisisTypeConfig:
        if self.min_severity > self.max_severity:
            raise ValueError(f"min_severity {self.min_severity} is above max_severity {self.max_severity}")
        keys = [c.key for c in self.checklist]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"checklist keys used twice: {', '.join(twice)}")
        return self

    def involved(self, level: int) -> list[str]:
        """The role:/person: recipients to involve at ``level`` (every lower level's too)."""
        out: list[str] = []
        for lv in sorted(self.roles):
            if lv <= level:
                out.extend(r for r in self.roles[lv] if r not in out)
        return out

    def tasks_at(self, level: int) -> list[ChecklistItem]:
        return [c for c in self.checklist if c.from_level <= level]


def check_type_references(types: list[CrisisTypeConfig], *, people: dict[str, object],
                          roles: dict[str, object], saved_replies: set[str],
                          complaint_types: set[str]) -> list[str]:
    """Every cross-reference problem of ``crisis_types``, each with its path in the workspace file.

    Roles of the default playbook (``role:spokesperson`` …) are allowed without holders: a fresh
    workspace names nobody yet, and the settings pages report the gap instead."""
    from crisisdesk.escalation.config import DEFAULT_ROLES

    known_roles = set(roles) | set(DEFAULT_ROLES)
    errors = []
    for t, ct in enumerate(types):
        place = f"crisis_types[{t}]"
        refs = [(f"{place}.spokespersons[{i}]", r) for i, r in enumerate(ct.spokespersons)]
        refs += [(f"{place}.roles.{lv}[{i}]", r) for lv, who in ct.roles.items() for i, r in enumerate(who)]
        refs += [(f"{place}.checklist[{i}].owner", c.owner) for i, c in enumerate(ct.checklist)]
        if ct.owner:
            refs.append((f"{place}.owner", ct.owner))
        for where, ref in refs:
            kind, _, name = ref.partition(":")
            if kind == "role" and name not in known_roles:
                errors.append(f"{where}: unknown role {name!r}")
            if kind == "person" and name not in people:
                errors.append(f"{where}: unknown person {name!r}")
        for i, name in enumerate(ct.templates):
            if name not in saved_replies:
                errors.append(f"{place}.templates[{i}]: no saved reply {name!r} in inbox.saved_replies")
        for i, name in enumerate(ct.recognise.complaint_types):
            if complaint_types and name not in complaint_types:
                errors.append(f"{place}.recognise.complaint_types[{i}]: unknown complaint type {name!r}")
    keys = [ct.key for ct in types]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        errors.append(f"crisis_types: key {key!r} is used twice")
    return errors
