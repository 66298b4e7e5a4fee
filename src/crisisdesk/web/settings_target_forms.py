"""The notification target form: the fields of each target kind, and a target item shaped for the
form and back (secrets never sent to the browser; left empty, a stored secret is kept)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from crisisdesk.configuration.items import Item
from crisisdesk.configuration.secrets import MASK
from crisisdesk.notify.schemas import TargetKind
from crisisdesk.web.settings_forms import FormFields, ItemForm, number, shown


@dataclass(frozen=True)
class TargetField:
    """One field of a target kind as the form offers it."""

    name: str
    input: Literal["text", "url", "addresses", "secret", "integer"]
    required: bool = True

    @property
    def secret(self) -> bool:
        return self.input == "secret"


#: Every field of every target kind except ``kind`` and ``timeout`` (common to all); a test holds
#: this to the models in notify/schemas.py.
TARGET_FIELDS: dict[TargetKind, tuple[TargetField, ...]] = {
    TargetKind.EMAIL: (TargetField("to", "addresses"),),
    TargetKind.SLACK: (TargetField("webhook_url", "secret"),),
    TargetKind.TEAMS: (TargetField("webhook_url", "secret"),),
    TargetKind.WEBHOOK: (TargetField("url", "url"), TargetField("secret", "secret")),
    TargetKind.TELEGRAM: (TargetField("bot_token", "secret"), TargetField("chat_id", "text"),
                          TargetField("api_base_url", "url", required=False),
                          TargetField("message_thread_id", "integer", required=False)),
}
#: The field that says where a target's messages go, for the list.
TARGET_WHERE: dict[TargetKind, str] = {TargetKind.EMAIL: "to", TargetKind.SLACK: "webhook_url",
                                       TargetKind.TEAMS: "webhook_url", TargetKind.WEBHOOK: "url",
                                       TargetKind.TELEGRAM: "chat_id"}


def target_kind(value: Any) -> TargetKind | None:
    try:
        return TargetKind(str(value.get("kind"))) if isinstance(value, Mapping) else None
    except ValueError:
        return None


def target_where(value: Any) -> str:
    """Where a target's messages go, as the list shows it (secrets as the service masked them)."""
    kind = target_kind(value)
    if kind is None:
        return ""
    where = value.get(TARGET_WHERE[kind])
    return ", ".join(map(str, where)) if isinstance(where, list) else shown(where)


def input_name(kind: TargetKind | str, name: str) -> str:
    return f"{kind}-{name}"


@dataclass
class TargetForm(ItemForm):
    kind: str = TargetKind.WEBHOOK.value
    #: Typed or stored values by input name (``webhook-url``); secrets are never among them.
    values: dict[str, str] = field(default_factory=dict)
    timeout: str = ""
    #: Secret field → what is stored (the mask, or an ``env:NAME`` reference), for the hint.
    kept: dict[str, str] = field(default_factory=dict)
    #: Secrets typed for the chosen kind. Sent to the service, never back to the browser: a
    #: refused form asks for them again (see :attr:`retype`).
    secrets: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def retype(self) -> set[str]:
        return set(self.secrets)

    @classmethod
    def from_item(cls, item: Item) -> TargetForm:
        form = cls(item.key)
        kind = target_kind(item.value)
        if kind is None:
            return form
        form.kind = kind.value
        form.timeout = shown(item.value.get("timeout"))
        for spec in TARGET_FIELDS[kind]:
            stored = item.value.get(spec.name)
            if spec.secret:
                if stored is not None:
                    form.kept[spec.name] = shown(stored)
            elif isinstance(stored, list):
                form.values[input_name(kind, spec.name)] = "\n".join(map(str, stored))
            else:
                form.values[input_name(kind, spec.name)] = shown(stored)
        return form

    @classmethod
    def from_form(cls, fields: FormFields, key: str, *, kept: Mapping[str, str] | None = None) -> TargetForm:
        """``kept``: the secrets of the stored target (when editing), for the hints."""
        form = cls(key, kind=fields.get("kind"), timeout=fields.get("timeout"), kept=dict(kept or {}))
        for kind, specs in TARGET_FIELDS.items():
            for spec in specs:
                name = input_name(kind, spec.name)
                if not spec.secret:
                    form.values[name] = fields.get(name)
                elif kind.value == form.kind and fields.get(name):
                    form.secrets[spec.name] = fields.get(name)
        return form

    def value(self) -> dict[str, Any]:
        """Only the chosen kind's fields: the others may hold anything (all show without JS).
        An empty secret is sent as the mask (the service keeps the stored one, or asks for one);
        any other empty field is left out (the model names it if it is required)."""
        out: dict[str, Any] = {"kind": self.kind}
        kind = target_kind(out)
        if kind is None:
            return out  # the service names the unknown kind
        for spec in TARGET_FIELDS[kind]:
            typed = self.values.get(input_name(kind, spec.name), "")
            if spec.secret:
                out[spec.name] = self.secrets.get(spec.name) or MASK
            elif not typed:
                continue
            elif spec.input == "addresses":
                out[spec.name] = [a for a in re.split(r"[,;\s]+", typed) if a]
            elif spec.input == "integer" or (spec.name == "chat_id" and re.fullmatch(r"-?\d+", typed)):
                out[spec.name] = number(typed)
            else:
                out[spec.name] = typed
        if self.timeout:
            out["timeout"] = number(self.timeout)
        return out

    def fields(self) -> dict[str, str]:
        out = {"": "f-name", "kind": "f-kind", "timeout": "f-timeout"}
        kind = target_kind({"kind": self.kind})
        if kind is not None:
            # a discriminated union names the kind in its places too: notify.targets.x.webhook.url
            out.update({kind.value: "f-kind", f"{kind.value}.timeout": "f-timeout"})
            for spec in TARGET_FIELDS[kind]:
                out[spec.name] = out[f"{kind.value}.{spec.name}"] = f"f-{input_name(kind, spec.name)}"
        return out


