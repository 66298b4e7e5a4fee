"""Keeping the plans current: playbooks and the contact list with an owner and a review date, and
the people who left but are still named where a crisis would need them.

A plan nobody owns or nobody has looked at for a year fails on the day it is needed; a spokesperson
who left the company still named in the escalation is a page nobody answers at 3 a.m. The findings
are shown on the settings pages and sent once a month to the plans' owners (else the crisis lead),
as a reminder whose delivery key names the month, so that it leaves once per month whatever the
number of processes or restarts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisdesk.accounts.models import User
from crisisdesk.core.clock import Clock
from crisisdesk.crises.playbook import people_of
from crisisdesk.crises.types import CrisisTypeConfig
from crisisdesk.notify.schemas import Lang, Notification, NotificationKind, TargetConfig
from crisisdesk.notify.service import enqueue

if TYPE_CHECKING:
    from crisisdesk.workspace import WorkspaceConfig


class ReviewConfig(BaseModel):
    """Who keeps a plan current and when it is next looked at."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    owner: str | None = Field(default=None, description="person:NAME")
    review_by: date | None = None

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("person:"):
            raise ValueError(f"{value!r}: write person:NAME")
        return value


@dataclass(frozen=True)
class Finding:
    code: str  # no_owner | no_review_date | review_overdue | left | role_empty | improvement_overdue
    place: str  # where in the workspace file
    words: dict[str, str]  # {"de": ..., "en": ...}
    owner: str | None = None  # the person key to remind (None: the crisis lead)


@dataclass(frozen=True)
class Plans:
    """What the review reads of the workspace (kept apart from it: crises does not import the
    workspace)."""

    types: Sequence[CrisisTypeConfig]
    contacts: ReviewConfig | None
    people: Mapping[str, object]  # key → PersonConfig (name, email)
    roles: Mapping[str, Sequence[str]]
    escalation_steps: Sequence[tuple[str, Sequence[str]]]  # (place, recipients)
    team_members: Sequence[tuple[str, str]]  # (place, account e-mail)


def plans_of(config: WorkspaceConfig) -> Plans:
    steps = [(f"escalation.policies[{p}].steps[{s}]", list(step.notify))
             for p, policy in enumerate(config.escalation.policies) for s, step in enumerate(policy.steps)]
    members = [(f"inbox.teams.{team}", m.user) for team, tc in config.inbox.teams.items() for m in tc.members]
    return Plans(types=config.crisis_types, contacts=config.contacts_review, people=config.people,
                 roles=config.roles, escalation_steps=steps, team_members=members)


def _review(place: str, what: dict[str, str], review: ReviewConfig | None, today: date) -> list[Finding]:
    owner = review.owner.partition(":")[2] if review and review.owner else None
    out = []
    if owner is None:
        out.append(Finding("no_owner", place, {
            "de": f"{what['de']} hat keine verantwortliche Person (owner).",
            "en": f"{what['en']} has no owner."}))
    if review is None or review.review_by is None:
        out.append(Finding("no_review_date", place, {
            "de": f"{what['de']} hat kein Datum für die nächste Prüfung (review_by).",
            "en": f"{what['en']} has no date for its next review (review_by)."}, owner))
    elif review.review_by < today:
        out.append(Finding("review_overdue", place, {
            "de": f"{what['de']}: Prüfung überfällig seit {review.review_by.isoformat()}.",
            "en": f"{what['en']}: review overdue since {review.review_by.isoformat()}."}, owner))
    return out


def findings(plans: Plans, *, inactive: Iterable[str], today: date) -> list[Finding]:
    """Everything to fix, in the order of the workspace file. ``inactive``: the e-mail addresses
    of disabled accounts (lower-case)."""
    out: list[Finding] = []
    for i, ct in enumerate(plans.types):
        what = {"de": f"Playbook „{ct.name.de}“", "en": f"Playbook “{ct.name.en}”"}
        review = ReviewConfig(owner=ct.owner, review_by=ct.review_by)
        out += _review(f"crisis_types[{i}]", what, review, today)
    out += _review("contacts_review", {"de": "Die Kontaktliste (people, roles)",
                                       "en": "The contact list (people, roles)"}, plans.contacts, today)
    gone = set(inactive)
    left = {key for key, p in plans.people.items() if (getattr(p, "email", None) or "").lower() in gone}
    named: dict[str, list[str]] = {}
    for role, members in plans.roles.items():
        for m in members:
            named.setdefault(m, []).append(f"roles.{role}")
    for place, recipients in plans.escalation_steps:
        for r in recipients:
            if r.startswith("person:"):
                named.setdefault(r[7:], []).append(place)
    for i, ct in enumerate(plans.types):
        refs = [*ct.spokespersons, *(r for who in ct.roles.values() for r in who),
                *(c.owner for c in ct.checklist)]
        if ct.owner:
            refs.append(ct.owner)
        for r in refs:
            if r.startswith("person:"):
                named.setdefault(r[7:], []).append(f"crisis_types[{i}]")
    if plans.contacts and plans.contacts.owner:
        named.setdefault(plans.contacts.owner[7:], []).append("contacts_review.owner")
    for person in sorted(left):
        places = list(dict.fromkeys(named.get(person, [])))
        if places:
            name = getattr(plans.people[person], "name", person)
            where = ", ".join(places)
            out.append(Finding("left", where, {
                "de": f"{name} ist nicht mehr dabei (Konto deaktiviert), steht aber noch in: {where}.",
                "en": f"{name} has left (account disabled) but is still named in: {where}."}))
    for place, email in plans.team_members:
        if email.lower() in gone:
            out.append(Finding("left", place, {
                "de": f"{email} ist nicht mehr dabei (Konto deaktiviert), steht aber noch in {place}.",
                "en": f"{email} has left (account disabled) but is still in {place}."}))
    used = {r[5:] for _, rs in plans.escalation_steps for r in rs if r.startswith("role:")}
    used |= {r[5:] for ct in plans.types for r in ct.spokespersons if r.startswith("role:")}
    for role in sorted(used):
        active = [p for p in people_of([f"role:{role}"], roles=plans.roles) if p not in left]
        if not active:
            out.append(Finding("role_empty", f"roles.{role}", {
                "de": f"Niemand (aktiv) hat die Rolle {role}, aber Eskalation oder Playbooks nennen sie.",
                "en": f"Nobody (active) holds the role {role}, but the escalation or playbooks name it."}))
    return out


def inactive_emails(session: Session) -> set[str]:
    return {str(e) for e in session.scalars(select(func.lower(User.email)).where(User.active.is_(False)))}


def remind(session: Session, found: Sequence[Finding], *, now: datetime, people: Mapping[str, object],
           roles: Mapping[str, Sequence[str]], targets: Mapping[str, TargetConfig], base_url: str,
           lang: Lang, clock: Clock) -> list[str]:
    """Queue this month's reminder: to each finding's owner, the rest to the crisis lead (else the
    admins' targets are unknown: nothing is sent). Keyed by month and target: once a month."""
    if not found:
        return []
    by_target: dict[str, tuple[Lang, list[Finding]]] = {}
    for f in found:
        keys = [f.owner] if f.owner and f.owner in people else people_of(["role:crisis_lead"], roles=roles)
        for key in keys:
            person = people.get(key)
            for t in getattr(person, "targets", []) or []:
                language: Lang = getattr(person, "lang", None) or lang
                by_target.setdefault(t, (language, []))[1].append(f)
    queued = []
    for name, (language, items) in sorted(by_target.items()):
        target = targets.get(name)
        if target is None:
            continue
        title = {"de": f"Pläne aktuell halten: {len(items)} offene Punkte",
                 "en": f"Keep the plans current: {len(items)} open points"}[language]
        summary = "\n".join(f"• {f.words[language]}" for f in items)
        note = Notification(monitor="plans", severity=2, kind=NotificationKind.REMINDER, title=title,
                            summary=summary[:1000], ack_url=f"{base_url.rstrip('/')}/settings/plans",
                            lang=language, occurred_at=now)
        enqueue(session, key=f"plans:{now:%Y-%m}:{name}", target_name=name, kind=target.kind,
                notification=note, clock=clock)
        queued.append(name)
    return queued
