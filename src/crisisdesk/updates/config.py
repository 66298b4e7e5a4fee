"""How a crisis keeps its stakeholders informed, as the workspace file states it.

A crisis type's playbook names its **update plan** (``crisis_types[].updates``): for each audience
(customers, affected people, employees, partners, press, authorities, management) the channels an
update goes to, the cadence (every N hours while the crisis is at or above a severity, and at
once after each change of its status), who owns it and the template its draft starts from. A
crisis copies the plan of its type when its first update is planned; people edit that copy, so
that editing a playbook never changes a crisis in flight (as the escalation's chains).

Channels are written as one word each, so that a typo is an error at load time:

* ``status_page``: the public page ``/status/{slug}`` (and its Atom feed);
* ``email:LIST``: an e-mail list (``email:subscribers`` is the status page's own, with double
  opt-in; others are named under ``updates.email_lists``);
* ``social:CHANNEL``: a post on one of our accounts through its connector (it must be able to
  publish);
* ``press_release``: a press release as HTML and PDF to download;
* ``target:NAME``, ``role:NAME``, ``person:NAME``: internal, through the notification targets.

This module holds configuration only and imports nothing of the domain, so that the crisis types
can carry a plan without the crises depending on how updates are published.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SUBSCRIBERS = "subscribers"
CHANNEL = re.compile(r"^(status_page|press_release|email:[a-z][a-z0-9_]{0,63}|social:[\w.\-]{1,64}"
                     r"|(?:target|role|person):[\w][\w.\-]*)$")
SLUG = r"^[a-z0-9][a-z0-9\-]{0,62}$"


class Audience(StrEnum):
    CUSTOMERS = "customers"
    AFFECTED = "affected"
    EMPLOYEES = "employees"
    PARTNERS = "partners"
    PRESS = "press"
    AUTHORITIES = "authorities"
    MANAGEMENT = "management"


class Phase(StrEnum):
    """Where the crisis stands, as an update tells the public (Statuspage's incident states)."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class Text2(BaseModel):
    """A text in both languages of the product (a template, a page title)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    de: str = Field(min_length=1, max_length=8000)
    en: str = Field(min_length=1, max_length=8000)

    def get(self, lang: str) -> str:
        return self.de if lang == "de" else self.en


def channel_kind(channel: str) -> str:
    """``status_page``, ``press_release``, ``email``, ``social`` or ``internal``."""
    head = channel.split(":", 1)[0]
    return "internal" if head in ("target", "role", "person") else head


class AudiencePlan(BaseModel):
    """One audience of an update plan: where its updates go, how often, who writes them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    audience: Audience
    channels: list[str] = Field(min_length=1, description="status_page, email:LIST, social:CHANNEL, "
                                "press_release, target:NAME, role:NAME or person:NAME.")
    every_hours: float | None = Field(default=None, ge=0.25, le=168, strict=True,
                                      description="An update is due this "
                                      "long after the last one while the crisis is at or above "
                                      "from_severity; null: only on changes.")
    from_severity: int = Field(default=1, ge=1, le=4, strict=True,
                               description="The cadence holds from this level up.")
    on_change: bool = Field(default=True, strict=True,
                            description="A change of the crisis's status (severity, type, "
                            "resolved) makes an update due at once.")
    owner: str = Field(default="role:spokesperson", description="role:NAME or person:NAME: who is "
                       "reminded when it is due.")
    template: Text2 | None = Field(default=None, description="The draft's text; {crisis}, {next_update}, "
                                   "{what_happened}, {what_we_know}, {what_we_do} are filled in.")

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        for i, channel in enumerate(value):
            if not CHANNEL.match(channel):
                raise ValueError(f"channels[{i}] {channel!r}: write status_page, press_release, email:LIST, "
                                 "social:CHANNEL, target:NAME, role:NAME or person:NAME")
        twice = sorted({c for c in value if value.count(c) > 1})
        if twice:
            raise ValueError(f"channels named twice: {', '.join(twice)}")
        return value

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        if not re.match(r"^(role|person):[\w][\w.\-]*$", value):
            raise ValueError(f"{value!r}: write role:NAME or person:NAME")
        return value


def check_plan(plan: list[AudiencePlan]) -> list[AudiencePlan]:
    audiences = [a.audience for a in plan]
    twice = sorted({a.value for a in audiences if audiences.count(a) > 1})
    if twice:
        raise ValueError(f"audiences planned twice: {', '.join(twice)}")
    return plan


#: The plan of a crisis type that names none: the public hears every two hours from level 2 on and
#: after each change; management after each change, through the crisis lead's targets.
DEFAULT_PLAN: tuple[AudiencePlan, ...] = (
    AudiencePlan(audience=Audience.CUSTOMERS, channels=["status_page", f"email:{SUBSCRIBERS}"],
                 every_hours=2, from_severity=2),
    AudiencePlan(audience=Audience.MANAGEMENT, channels=["role:management"], every_hours=4,
                 from_severity=3, owner="role:crisis_lead"),
)


class EmailList(BaseModel):
    """An e-mail list of the workspace: its name, and addresses that are on it without opt-in
    (the press list, partners' contacts); each can unsubscribe, and that sticks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Text2
    addresses: list[str] = Field(default_factory=list)
    lang: str = Field(default="de", pattern="^(de|en)$")

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", a)]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(map(repr, bad))}")
        return [a.lower() for a in value]


class StatusPageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    slug: str = Field(default="status", pattern=SLUG, description="The page is /status/{slug}.")
    title: Text2 = Field(default_factory=lambda: Text2(de="Aktuelle Informationen",
                                                       en="Current information"))
    subscriptions: bool = Field(default=True, description="Visitors may subscribe by e-mail (double opt-in).")


class UpdatesConfig(BaseModel):
    """The workspace's ``updates:`` section: its status page and e-mail lists."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status_page: StatusPageConfig = Field(default_factory=StatusPageConfig)
    email_lists: dict[str, EmailList] = Field(default_factory=dict)
    #: How long after an update is due it counts as missed (then the crisis lead hears of it).
    grace_minutes: int = Field(default=30, ge=5, le=24 * 60)

    @model_validator(mode="after")
    def _lists(self) -> UpdatesConfig:
        for key in self.email_lists:
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", key):
                raise ValueError(f"email_lists: {key!r} is not a list key (a-z, 0-9, _)")
        if SUBSCRIBERS in self.email_lists:
            raise ValueError(f"email_lists: {SUBSCRIBERS!r} is the status page's own list")
        return self


def check_plan_references(place: str, plan: list[AudiencePlan], *, people: set[str], roles: set[str],
                          targets: set[str], channels: set[str], lists: set[str]) -> list[str]:
    """Every channel or owner of ``plan`` that names nothing the workspace has, with its path."""
    errors = []
    for a, item in enumerate(plan):
        refs = [(f"{place}[{a}].owner", item.owner)]
        refs += [(f"{place}[{a}].channels[{c}]", ch) for c, ch in enumerate(item.channels)]
        for where, ref in refs:
            kind, _, name = ref.partition(":")
            known = {"role": roles, "person": people, "target": targets, "social": channels,
                     "email": lists | {SUBSCRIBERS}}.get(kind)
            if known is not None and name not in known:
                what = {"social": "channel", "email": "e-mail list (updates.email_lists)"}.get(kind, kind)
                errors.append(f"{where}: unknown {what} {name!r}")
    return errors
