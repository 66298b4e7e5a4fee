"""Snapshotting a policy into a chain of concrete steps, and choosing who is on duty."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from crisisdesk.escalation.config import PersonConfig, PolicyConfig, WorkingHours


def snapshot(policy: PolicyConfig, *, people: Mapping[str, PersonConfig],
             roles: Mapping[str, list[str]]) -> dict[str, Any]:
    """The policy with every role and person resolved to people and targets, as JSON data."""

    def person(name: str) -> dict[str, Any]:
        return _person(people, name)

    steps = []
    for step in policy.steps:
        groups = []
        for recipient in step.notify:
            kind, _, name = recipient.partition(":")
            if kind == "role":
                groups.append({"recipient": recipient, "people": [person(n) for n in roles[name]]})
            elif kind == "person":
                groups.append({"recipient": recipient, "people": [person(name)]})
            else:
                groups.append({"recipient": recipient, "people": [], "targets": [name]})
        steps.append({"wait_minutes": step.wait_minutes, "groups": groups})
    return {"policy_severity": policy.severity, "repeat": policy.repeat, "steps": steps}


def involve(chain: dict[str, Any], refs: Sequence[str], *, people: Mapping[str, PersonConfig],
            roles: Mapping[str, list[str]]) -> list[str]:
    """Add the crisis type's roles for the level (``role:legal``, ``person:anna``) to the chain's
    first step, those it does not name already; returns the ones added. A later step of the policy
    that names them too still tells them again while nobody has acknowledged: that is escalation.
    Unknown names and roles nobody holds are left out (the settings pages report them)."""
    if not chain["steps"]:
        return []
    first = chain["steps"][0]
    listed = {g["recipient"] for g in first["groups"]}
    added: list[str] = []
    for ref in refs:
        kind, _, name = ref.partition(":")
        names = roles.get(name, []) if kind == "role" else [name] if kind == "person" else []
        found = [n for n in names if n in people]
        if ref in listed or not found:
            continue
        first["groups"].append({"recipient": ref, "people": [_person(people, n) for n in found],
                                "playbook": True})
        added.append(ref)
    return added


def _person(people: Mapping[str, PersonConfig], name: str) -> dict[str, Any]:
    p = people[name]
    return {"name": name, "display": p.name, "targets": list(p.targets), "lang": p.lang,
            "working_hours": p.working_hours.model_dump(mode="json") if p.working_hours else None}


def on_duty(group: Mapping[str, Any], at: datetime) -> list[dict[str, Any]]:
    """The group's people whose working hours cover ``at``; everybody if nobody is on duty
    (a situation is never left with no one to tell)."""
    people: list[dict[str, Any]] = list(group["people"])
    available = [p for p in people if p["working_hours"] is None
                 or WorkingHours.model_validate(p["working_hours"]).covers(at)]
    return available or people


def step_targets(step: Mapping[str, Any], at: datetime) -> tuple[dict[str, str | None], list[str]]:
    """Target name → language, and the people notified, for one step at time ``at``."""
    targets: dict[str, str | None] = {}
    notified: list[str] = []
    for group in step["groups"]:
        for name in group.get("targets", []):
            targets.setdefault(name, None)
        for p in on_duty(group, at):
            notified.append(p["name"])
            for t in p["targets"]:
                targets.setdefault(t, p["lang"])
    return targets, list(dict.fromkeys(notified))


def target_recipients(step: Mapping[str, Any], at: datetime) -> dict[str, str]:
    """Target name → who its acknowledgement link is for: the name of the person (on duty) whose
    target it is, or ``target:NAME`` for a target the policy notifies directly. Matches
    :func:`step_targets`: the first one to bring a target into the step owns it."""
    owners: dict[str, str] = {}
    for group in step["groups"]:
        for name in group.get("targets", []):
            owners.setdefault(name, f"target:{name}")
        for p in on_duty(group, at):
            for t in p["targets"]:
                owners.setdefault(t, str(p.get("display") or p["name"])[:255])
    return owners
