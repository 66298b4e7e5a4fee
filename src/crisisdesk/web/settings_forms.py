"""What the settings forms send, shaped into configuration items, and items shaped back into what
the forms show.

The forms are only a front for :mod:`crisisdesk.configuration.items`: they build the value an item
has in the YAML document and hand it to ``put_item``, which checks and stores it exactly as the
API does. Nothing here validates beyond shaping (a number typed into a number field becomes a
number, an optional field left empty is left out), so a form can never accept what the file
refuses. Problems come back worded by the service (``people.anna.working_hours.timezone: …``) and
are tied to the field they name, so that the page can point at it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from pydantic import TypeAdapter, ValidationError

from crisisdesk.configuration.items import Item, Kind

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: What a new person's working hours start from (the model's defaults, shown so they can be seen).
DEFAULT_HOURS = {"days": list(WEEKDAYS[:5]), "start": "08:00", "end": "18:00", "timezone": "Europe/Berlin"}


class FormFields:
    """A submitted form: single fields stripped of surrounding blanks, repeated ones (checkboxes)
    as lists without empty entries. File uploads are not part of these forms and are dropped."""

    def __init__(self, pairs: Iterable[tuple[str, object]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            if isinstance(value, str):
                self._values.setdefault(name, []).append(value)

    def get(self, name: str) -> str:
        values = self._values.get(name)
        return values[0].strip() if values else ""

    def getlist(self, name: str) -> list[str]:
        return [v.strip() for v in self._values.get(name, []) if v.strip()]

    def names(self) -> list[str]:
        return list(self._values)


# --------------------------------------------------------------------------------------------
# Problems, tied to the fields they are about


@dataclass(frozen=True)
class Problem:
    text: str
    #: The id of the input the problem is about, when it names one (the page links to it).
    field: str | None = None


_PLACES = {Kind.MONITORS: "monitors[name={}]", Kind.TARGETS: "notify.targets.{}", Kind.PEOPLE: "people.{}",
           Kind.ROLES: "roles.{}", Kind.POLICIES: "escalation.policies[severity={}]"}


def item_place(kind: Kind, key: str) -> str:
    """Where the service says an item is (the start of each of its problems)."""
    return _PLACES[kind].format(key)


def link_problems(problem: str, place: str, fields: Mapping[str, str]) -> list[Problem]:
    """Split a ConfigError's problems ("; "-separated) and tie each one that is about ``place`` to
    the input for the most specific path in ``fields`` (path below the item → input id)."""
    out = []
    for text in problem.split("; "):
        where, sep, _ = text.partition(": ")
        found = None
        if sep and (where == place or where.startswith((place + ".", place + "["))):
            found = _field_for(where[len(place):].lstrip("."), fields)
        out.append(Problem(text, found))
    return out


def _field_for(rest: str, fields: Mapping[str, str]) -> str | None:
    best: tuple[int, str] | None = None
    for path, input_id in fields.items():
        matches = rest == path or (path and rest.startswith(path) and rest[len(path)] in ".[")
        if matches and (best is None or len(path) > best[0]):
            best = (len(path), input_id)
    return best[1] if best else None


# --------------------------------------------------------------------------------------------
# Shaping values


def number(text: str) -> int | float | str:
    """A number as typed (``15`` stays an integer in the YAML); anything else is passed on as
    text, so that the model names the field in its complaint."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def shown(value: Any) -> str:
    """A stored scalar as a form field shows it (``15.0`` as ``15``, nothing as empty)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_TIME: TypeAdapter[time] = TypeAdapter(time)


def clock_time(value: Any) -> str:
    """A working-hours time as ``HH:MM`` for a time input; what the file says it means (an
    unquoted ``08:00`` is a number of seconds to the YAML 1.1 loader)."""
    if isinstance(value, str):
        return value
    try:
        return _TIME.validate_python(value).strftime("%H:%M")
    except ValidationError:
        return shown(value)


@dataclass
class ItemForm:
    """What one form shows: the item's key, the values typed or stored, the problems found."""

    key: str = ""
    problems: list[Problem] = field(default_factory=list)

    def errors(self, input_id: str) -> list[str]:
        return [p.text for p in self.problems if p.field == input_id]

    def value(self) -> Any:
        raise NotImplementedError

    def fields(self) -> dict[str, str]:
        """Path below the item (as the service names it) → id of the input for it."""
        raise NotImplementedError


# --------------------------------------------------------------------------------------------
# Monitors


@dataclass
class MonitorForm(ItemForm):
    query: str = ""
    description: str = ""

    @classmethod
    def from_item(cls, item: Item) -> MonitorForm:
        return cls(item.key, query=shown(item.value.get("query")),
                   description=shown(item.value.get("description")))

    @classmethod
    def from_form(cls, fields: FormFields, key: str) -> MonitorForm:
        return cls(key, query=fields.get("query"), description=fields.get("description"))

    def value(self) -> dict[str, Any]:
        out: dict[str, Any] = {"query": self.query}
        if self.description:
            out["description"] = self.description
        return out

    def fields(self) -> dict[str, str]:
        return {"": "f-name", "name": "f-name", "query": "f-query", "description": "f-description"}


# --------------------------------------------------------------------------------------------
# People and roles


@dataclass
class PersonForm(ItemForm):
    name: str = ""
    targets: list[str] = field(default_factory=list)
    lang: str = ""
    hours: bool = False
    days: list[str] = field(default_factory=lambda: list(DEFAULT_HOURS["days"]))
    start: str = str(DEFAULT_HOURS["start"])
    end: str = str(DEFAULT_HOURS["end"])
    timezone: str = str(DEFAULT_HOURS["timezone"])

    @classmethod
    def from_item(cls, item: Item) -> PersonForm:
        v = item.value
        form = cls(item.key, name=shown(v.get("name")), targets=[str(t) for t in v.get("targets") or []],
                   lang=shown(v.get("lang")))
        hours = v.get("working_hours")
        if isinstance(hours, Mapping):
            form.hours = True
            form.days = [str(d) for d in hours.get("days", DEFAULT_HOURS["days"])]
            form.start = clock_time(hours.get("start", DEFAULT_HOURS["start"]))
            form.end = clock_time(hours.get("end", DEFAULT_HOURS["end"]))
            form.timezone = shown(hours.get("timezone", DEFAULT_HOURS["timezone"]))
        return form

    @classmethod
    def from_form(cls, fields: FormFields, key: str) -> PersonForm:
        return cls(key, name=fields.get("name"), targets=fields.getlist("targets"), lang=fields.get("lang"),
                   hours=bool(fields.get("hours")), days=fields.getlist("days"), start=fields.get("start"),
                   end=fields.get("end"), timezone=fields.get("timezone"))

    def value(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "targets": self.targets}
        if self.lang:
            out["lang"] = self.lang
        if self.hours:
            hours: dict[str, Any] = {"days": self.days}  # none ticked is an error, not Mon–Fri
            hours.update({k: v for k, v in (("start", self.start), ("end", self.end),
                                            ("timezone", self.timezone)) if v})
            out["working_hours"] = hours
        return out

    def fields(self) -> dict[str, str]:
        return {"": "f-key", "name": "f-name", "targets": "f-targets", "lang": "f-lang",
                "working_hours": "f-hours", "working_hours.days": "f-days", "working_hours.start": "f-start",
                "working_hours.end": "f-end", "working_hours.timezone": "f-timezone"}


@dataclass
class RoleForm(ItemForm):
    members: list[str] = field(default_factory=list)
    #: The form that adds a role (the page also has one form per existing role).
    new: bool = False

    @classmethod
    def from_form(cls, fields: FormFields, key: str, *, new: bool) -> RoleForm:
        return cls(key, members=fields.getlist("members"), new=new)

    def value(self) -> list[str]:
        return self.members

    def fields(self) -> dict[str, str]:
        return {"": "f-role" if self.new else f"role-{self.key}"}


# --------------------------------------------------------------------------------------------
# Escalation policies


@dataclass
class StepRow:
    notify: list[str] = field(default_factory=list)
    wait: str = ""

    @property
    def blank(self) -> bool:
        return not self.notify and not self.wait


_STEP_FIELD = re.compile(r"^step-(\d+)-(notify|wait)$")


@dataclass
class PolicyForm(ItemForm):
    steps: list[StepRow] = field(default_factory=list)
    repeat: str = ""

    @classmethod
    def from_item(cls, item: Item) -> PolicyForm:
        steps = [StepRow([str(r) for r in s.get("notify") or []], shown(s.get("wait_minutes")))
                 for s in item.value.get("steps") or [] if isinstance(s, Mapping)]
        return cls(item.key, steps=steps, repeat=shown(item.value.get("repeat")))

    @classmethod
    def from_form(cls, fields: FormFields, key: str) -> PolicyForm:
        """One row per step as numbered in the form; blank rows (the spare one) are dropped, so
        the steps are numbered again as the service will number them."""
        rows = sorted({int(m.group(1)) for name in fields.names() if (m := _STEP_FIELD.match(name))})
        steps = [StepRow(fields.getlist(f"step-{i}-notify"), fields.get(f"step-{i}-wait")) for i in rows]
        return cls(key, steps=[s for s in steps if not s.blank], repeat=fields.get("repeat"))

    def rows(self) -> list[StepRow]:
        """The steps and one empty row to add a step with."""
        return [*self.steps, StepRow()]

    def value(self) -> dict[str, Any]:
        steps = [{"notify": s.notify, **({"wait_minutes": number(s.wait)} if s.wait else {})}
                 for s in self.steps]
        out: dict[str, Any] = {"steps": steps}
        if self.repeat:
            out["repeat"] = number(self.repeat)
        return out

    def fields(self) -> dict[str, str]:
        out = {"": "f-steps", "steps": "f-steps", "repeat": "f-repeat", "severity": "f-steps"}
        for i in range(len(self.steps)):
            out[f"steps[{i}]"] = out[f"steps[{i}].notify"] = f"f-step-{i}"
            out[f"steps[{i}].wait_minutes"] = f"f-step-{i}-wait"
        return out
