"""One item of the configuration at a time: a monitor, a notification target, a person, a role, an
escalation policy, a channel or an inbox rule, created, changed, moved or deleted in the stored
YAML document.

The document stays what people wrote: it is edited round-trip (ruamel.yaml), so comments, order
and quoting of everything else survive a change made in a form. Each change is checked on its own
first (so an error names the item: ``notify.targets.crisis-room.url: …``), then the whole document
is validated and saved as a new version exactly like a document typed into the editor, so a
deletion that leaves a dangling reference (a person still using a removed target) is refused with
the place of every reference. Secrets written literally are never shown: they come back as
:data:`MASK`, and a change that sends the mask keeps the stored value.
"""

from __future__ import annotations

import copy
import functools
import io
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import SingleQuotedScalarString
from sqlalchemy.engine import Connection

from crisisdesk.audit.service import Actor
from crisisdesk.channels.config import ChannelConfig
from crisisdesk.configuration.secrets import MASK, TARGET_SECRETS, channel_secret_slots, is_literal
from crisisdesk.configuration.service import Change, Stored, current_text, save
from crisisdesk.core.errors import ConfigError, CrisisdeskError, config_path
from crisisdesk.escalation.config import PersonConfig, PolicyConfig
from crisisdesk.inbox.rules_config import RuleConfig
from crisisdesk.notify.schemas import TargetConfig, TargetKind
from crisisdesk.workspace import MonitorConfig, WorkspaceConfig


class Kind(StrEnum):
    MONITORS = "monitors"
    TARGETS = "targets"
    PEOPLE = "people"
    ROLES = "roles"
    POLICIES = "policies"
    CHANNELS = "channels"
    RULES = "rules"


class ItemNotFound(CrisisdeskError):
    def __init__(self, kind: Kind, key: str) -> None:
        self.kind, self.key = kind, key
        super().__init__(f"no {SINGULAR[kind]} {key!r}")


SINGULAR = {Kind.MONITORS: "monitor", Kind.TARGETS: "target", Kind.PEOPLE: "person", Kind.ROLES: "role",
            Kind.POLICIES: "policy", Kind.CHANNELS: "channel", Kind.RULES: "inbox rule"}

#: Where each kind lives in the document (parents are created when missing).
_PARENTS: dict[Kind, tuple[str, ...]] = {
    Kind.MONITORS: ("monitors",), Kind.TARGETS: ("notify", "targets"), Kind.PEOPLE: ("people",),
    Kind.ROLES: ("roles",), Kind.POLICIES: ("escalation", "policies"), Kind.CHANNELS: ("channels",),
    Kind.RULES: ("inbox", "rules"),
}
#: The kinds kept as a list of mappings, with the field that names each entry.
_LIST_KEY: dict[Kind, str] = {Kind.MONITORS: "name", Kind.POLICIES: "severity", Kind.CHANNELS: "key",
                              Kind.RULES: "name"}
#: The list kinds whose order means something (rules are tried in order), so they can be moved.
ORDERED = frozenset({Kind.RULES})


@dataclass(frozen=True)
class Item:
    key: str
    value: Any  # as written in the document, secrets masked


# --------------------------------------------------------------------------------------------
# The round-trip document


def _yaml() -> YAML:
    y = YAML()
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096  # a long query stays on one line
    y.preserve_quotes = True
    return y


def _load(text: str) -> CommentedMap:
    try:
        doc = _yaml().load(text)
    except YAMLError as exc:
        raise ConfigError("database", "", f"the stored document is not valid YAML ({exc})") from exc
    if doc is None:
        return CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise ConfigError("database", "", "expected a mapping at the top (monitors: …)")
    return doc


def _dump(doc: CommentedMap) -> str:
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue()


def _plain(value: Any) -> Any:
    """ruamel's containers and scalars as plain JSON-able Python."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _quoted(value: Any) -> Any:
    """Quote every string that the loader (YAML 1.1) would read as something else (``08:00`` is
    a number there, ``no`` a boolean), so what is saved reads back as what was entered."""
    if isinstance(value, Mapping):
        return {k: _quoted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_quoted(v) for v in value]
    if isinstance(value, str):
        try:
            same = yaml.safe_load(value) == value
        except yaml.YAMLError:
            same = False
        return value if same and value.strip() == value else SingleQuotedScalarString(value)
    return value


def _parent(doc: Mapping[str, Any], kind: Kind, *, create: bool) -> Any:
    node: Any = doc
    parents = _PARENTS[kind]
    for i, name in enumerate(parents):
        last = i == len(parents) - 1
        child = node.get(name) if isinstance(node, Mapping) else None
        if child is None:
            if not create:
                return None
            child = CommentedSeq() if last and kind in _LIST_KEY else CommentedMap()
            node[name] = child
        node = child
    return node


def _entries(doc: Mapping[str, Any], kind: Kind) -> list[tuple[str, Any]]:
    parent = _parent(doc, kind, create=False)
    if parent is None:
        return []
    if kind in _LIST_KEY:
        field = _LIST_KEY[kind]
        return [(str(entry.get(field)), entry) for entry in parent if isinstance(entry, Mapping)]
    return [(str(k), v) for k, v in parent.items()]


# --------------------------------------------------------------------------------------------
# Secrets


def _masked(kind: Kind, value: Any) -> Any:
    if kind is Kind.CHANNELS and isinstance(value, dict):
        shown = copy.deepcopy(_plain(value))
        for path, node in channel_secret_slots(shown):
            if is_literal(node[path[-1]]):
                node[path[-1]] = MASK
        return shown
    if kind is not Kind.TARGETS or not isinstance(value, dict):
        return value
    hidden = TARGET_SECRETS.get(str(value.get("kind")), set())
    return {k: (MASK if k in hidden and is_literal(v) else v) for k, v in value.items()}


def _unmask(kind: Kind, key: str, value: Any, before: Any) -> Any:
    """A secret sent back as the mask keeps its stored value (forms never see secrets)."""
    if kind is Kind.CHANNELS and isinstance(value, dict):
        out = copy.deepcopy(_plain(value))
        same = isinstance(before, Mapping) and before.get("platform") == value.get("platform")
        for path, node in channel_secret_slots(out):
            if node[path[-1]] != MASK:
                continue
            old: Any = _plain(before) if same else None
            for part in path:
                old = old.get(part) if isinstance(old, dict) else None
            if old is None or old == MASK:
                raise ConfigError("database", "", f"channels[key={key}].{'.'.join(path)}: enter the secret "
                                                  "(or env:NAME for an environment variable)")
            node[path[-1]] = old
        return out
    if kind is not Kind.TARGETS or not isinstance(value, dict):
        return value
    out = dict(value)
    for field, v in value.items():
        if v != MASK:
            continue
        same_kind = isinstance(before, Mapping) and before.get("kind") == value.get("kind")
        old = before.get(field) if same_kind else None
        if old is None:
            raise ConfigError("database", "", f"notify.targets.{key}.{field}: enter the secret "
                                              "(or env:NAME for an environment variable)")
        out[field] = old
    return out


# --------------------------------------------------------------------------------------------
# Checking one item


def _check_monitor(key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("expected a mapping with query (and description)")
    data = {k: v for k, v in value.items() if v not in (None, "") or k == "query"}
    if data.setdefault("name", key) != key:
        raise ValueError(f"the name is {key!r} here (a monitor cannot be renamed: create a new one)")
    MonitorConfig.model_validate(data)
    from crisisdesk.sources.query import QuerySyntaxError, parse

    try:
        parse(str(data.get("query", "")))
    except QuerySyntaxError as exc:
        raise _Located(("query",), str(exc)) from exc
    return data


def _check_policy(key: str, value: Any) -> dict[str, Any]:
    if not key.isdigit():
        raise ValueError("a policy is named by its severity, 1 to 4")
    if not isinstance(value, dict):
        raise ValueError("expected a mapping with steps (and repeat)")
    data = dict(value)
    if int(data.setdefault("severity", int(key))) != int(key):
        raise ValueError(f"this is the policy for severity {key}")
    data["severity"] = int(key)
    PolicyConfig.model_validate(data)
    return {"severity": data.pop("severity"), **data}  # severity first, as people write it


def _check_channel(key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("expected a mapping with platform and the platform's fields")
    data = dict(value)
    if data.setdefault("key", key) != key:
        raise ValueError(f"the key is {key!r} here (a channel cannot be renamed: create a new one)")
    _CHANNELS.validate_python(data, context=_ENV)
    return {"key": data.pop("key"), **data}  # key first, as people write it


def _check_rule(key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("expected a mapping with when and then (and enabled, stop)")
    data = dict(value)
    if data.setdefault("name", key) != key:
        raise ValueError(f"the name is {key!r} here (a rule cannot be renamed: create a new one)")
    RuleConfig.model_validate(data)
    return {"name": data.pop("name"), **data}  # name first, as people write it


def _check_with(adapter: Callable[[Any], object]) -> Callable[[str, Any], Any]:
    def check(_key: str, value: Any) -> Any:
        adapter(value)
        return value
    return check


_TARGETS: TypeAdapter[Any] = TypeAdapter(TargetConfig)
_MEMBERS: TypeAdapter[list[str]] = TypeAdapter(list[str])
_CHANNELS: TypeAdapter[Any] = TypeAdapter(ChannelConfig)
_ENV = {"env": os.environ}
_CHECKS: dict[Kind, Callable[[str, Any], Any]] = {
    Kind.MONITORS: _check_monitor,
    Kind.TARGETS: _check_with(lambda v: _TARGETS.validate_python(v, context=_ENV)),
    Kind.PEOPLE: _check_with(lambda v: PersonConfig.model_validate(v, context=_ENV)),
    Kind.ROLES: _check_with(_MEMBERS.validate_python),
    Kind.POLICIES: _check_policy,
    Kind.CHANNELS: _check_channel,
    Kind.RULES: _check_rule,
}
_KEY_PATTERN = r"^[\w][\w .\-]*$"


class _Located(Exception):
    def __init__(self, loc: tuple[int | str, ...], msg: str) -> None:
        self.loc, self.msg = loc, msg


def _path(kind: Kind, key: str) -> str:
    if kind in _LIST_KEY:
        return f"{'.'.join(_PARENTS[kind])}[{_LIST_KEY[kind]}={key}]"
    return f"{'.'.join(_PARENTS[kind])}.{key}"


def check_item(kind: Kind, key: str, value: Any) -> Any:
    """The value as it will be written; ConfigError names each problem with its place."""
    import re

    where = _path(kind, key)
    spaced = kind in (Kind.TARGETS, Kind.PEOPLE, Kind.ROLES, Kind.CHANNELS) and " " in key
    if not re.match(_KEY_PATTERN, key) or spaced:
        raise ConfigError("database", "", f"{where}: {key!r} is not a valid name (letters, digits, _ . -)")
    try:
        return _CHECKS[kind](key, value)
    except ValidationError as exc:
        problems = "; ".join(f"{where}{'.' if e['loc'] else ''}{config_path(e['loc'])}: {e['msg']}"
                             for e in exc.errors())
        raise ConfigError("database", "", problems) from exc
    except _Located as exc:
        raise ConfigError("database", "", f"{where}.{config_path(exc.loc)}: {exc.msg}") from exc
    except ValueError as exc:
        raise ConfigError("database", "", f"{where}: {exc}") from exc


# --------------------------------------------------------------------------------------------
# Reading and changing


@functools.lru_cache(maxsize=4)
def _read(text: str) -> dict[str, Any]:
    """The document as plain data, parsed once per text: a settings page reads several kinds of
    the same version, and a round-trip parse costs about 17 ms per 100 lines."""
    plain: dict[str, Any] = _plain(_load(text))
    return plain


def list_items(text: str, kind: Kind) -> list[Item]:
    entries = copy.deepcopy(_entries(_read(text), kind))  # callers may change what they get
    return [Item(key, _masked(kind, value)) for key, value in entries]


def get_item(text: str, kind: Kind, key: str) -> Item:
    for item in list_items(text, kind):
        if item.key == key:
            return item
    raise ItemNotFound(kind, key)


@dataclass(frozen=True)
class Saved:
    stored: Stored
    config: WorkspaceConfig
    created: bool


def put_item(conn: Connection, fallback_text: str, kind: Kind, key: str, value: Any, *, actor: Actor,
             at: datetime, ip: str | None = None) -> Saved:
    """Create or replace one item; the rest of the document is kept as written."""
    doc = _load(current_text(conn, fallback_text))
    entries = dict(_entries(doc, kind))
    before = entries.get(key)
    plain_before = _plain(before) if before is not None else None
    value = check_item(kind, key, _unmask(kind, key, value, plain_before))
    parent = _parent(doc, kind, create=True)
    new = _quoted(value)
    if kind in _LIST_KEY:
        field = _LIST_KEY[kind]
        index = next((i for i, e in enumerate(parent) if str(e.get(field)) == key), None)
        if index is not None:
            parent[index] = new
        elif kind is Kind.POLICIES:  # keep the policies in order of severity
            index = next((i for i, e in enumerate(parent) if int(e.get(field, 0)) > int(key)), len(parent))
            parent.insert(index, new)
        else:
            parent.append(new)
    else:
        parent[key] = new
    change = Change(kind.value, key, _masked(kind, plain_before), _masked(kind, _plain(value)))
    stored, config = save(conn, _dump(doc), actor=actor, at=at, ip=ip, change=change,
                          note=f"{SINGULAR[kind]} {key} {'changed' if before is not None else 'added'}")
    return Saved(stored, config, created=before is None)


def delete_item(conn: Connection, fallback_text: str, kind: Kind, key: str, *, actor: Actor, at: datetime,
                ip: str | None = None) -> Saved:
    """Remove one item; refused (ConfigError with every place) while something still refers to it."""
    doc = _load(current_text(conn, fallback_text))
    parent = _parent(doc, kind, create=False)
    before = dict(_entries(doc, kind)).get(key)
    if parent is None or before is None:
        raise ItemNotFound(kind, key)
    if kind in _LIST_KEY:
        field = _LIST_KEY[kind]
        del parent[next(i for i, e in enumerate(parent) if str(e.get(field)) == key)]
    else:
        del parent[key]
    change = Change(kind.value, key, _masked(kind, _plain(before)), None)
    stored, config = save(conn, _dump(doc), actor=actor, at=at, ip=ip, change=change,
                          note=f"{SINGULAR[kind]} {key} deleted")
    return Saved(stored, config, created=False)


def move_item(conn: Connection, fallback_text: str, kind: Kind, key: str, position: int, *, actor: Actor,
              at: datetime, ip: str | None = None) -> Saved:
    """Move one item of an ordered kind (inbox rules: tried in order) to ``position`` (0-based,
    clamped to the list), comments of the document kept; a new version like any other change."""
    if kind not in ORDERED:
        where = ".".join(_PARENTS[kind])
        raise ConfigError("database", "", f"{where}: the order of {kind.value} means nothing")
    doc = _load(current_text(conn, fallback_text))
    parent = _parent(doc, kind, create=False)
    field = _LIST_KEY[kind]
    index = None if parent is None else next(
        (i for i, e in enumerate(parent) if isinstance(e, Mapping) and str(e.get(field)) == key), None)
    if parent is None or index is None:
        raise ItemNotFound(kind, key)
    target = max(0, min(position, len(parent) - 1))
    entry = parent[index]
    del parent[index]  # CommentedSeq's own delete and insert keep the comments with their entries
    parent.insert(target, entry)
    change = Change(kind.value, key, {"position": index + 1}, {"position": target + 1})
    stored, config = save(conn, _dump(doc), actor=actor, at=at, ip=ip, change=change,
                          note=f"{SINGULAR[kind]} {key} moved from {index + 1} to {target + 1}")
    return Saved(stored, config, created=False)


def target_kinds() -> list[str]:
    return [k.value for k in TargetKind]


def set_value(conn: Connection, fallback_text: str, path: tuple[str, ...], value: Any, *, actor: Actor,
              at: datetime, note: str, expected: Any, ip: str | None = None) -> Saved:
    """Set one plain setting (``("analysis", "model")``), the rest of the document kept as written.
    ``expected``: refused (ConfigError) unless the value in force is still this one, so a change
    computed from the value in force (a retrained model judged against it) never overwrites a
    change someone made in between."""
    doc = _load(current_text(conn, fallback_text))
    node: Any = doc
    for name in path[:-1]:
        if not isinstance(node.get(name), Mapping):
            node[name] = CommentedMap()
        node = node[name]
    before = _plain(node.get(path[-1]))
    if before != expected:
        raise ConfigError("database", ".".join(path), f"changed meanwhile to {before!r}; nothing stored")
    node[path[-1]] = _quoted(value)
    change = Change(path[0], ".".join(path[1:]), before, value)
    stored, config = save(conn, _dump(doc), actor=actor, at=at, ip=ip, change=change, note=note)
    return Saved(stored, config, created=before is None)
