"""Secrets written literally in the configuration (SMTP password, webhook secret, the Slack and
Teams webhook URLs, the Telegram bot token, every channel's tokens and passwords) never leave the
server: every reader (the API, the
editor, the download, ``crisisdesk config export``) gets them as :data:`MASK`, and a document
saved back with the mask keeps the stored value. ``env:NAME`` references are not secrets and
stay visible. Only ``crisisdesk config export --include-secrets`` writes them out.

The document is edited round-trip (ruamel.yaml), so masking keeps comments, order and quoting.
"""

from __future__ import annotations

import functools
import io
import typing
from collections.abc import Iterator, MutableMapping
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from crisisdesk.channels.config import ChannelConfig
from crisisdesk.core.errors import ConfigError
from crisisdesk.notify.schemas import TARGET_MODELS

MASK = "********"


def secret_fields(model: type[BaseModel]) -> set[str]:
    """Fields of a model that hold a secret (SecretStr, possibly optional)."""
    out = set()
    for name, field in model.model_fields.items():
        if "SecretStr" in str(field.annotation):
            out.add(field.alias or name)
    return out


#: Target kind → its secret fields.
TARGET_SECRETS: dict[str, set[str]] = {k.value: secret_fields(m) for k, m in TARGET_MODELS.items()}


def secret_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Paths of the secret fields of a model and of the models nested in it (an e-mail channel's
    ``imap.password`` and ``smtp.password``)."""
    out = {(*prefix, name) for name in secret_fields(model)}
    for name, field in model.model_fields.items():
        for arg in (field.annotation, *typing.get_args(field.annotation)):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                out |= secret_paths(arg, (*prefix, field.alias or name))
    return out


#: Channel platform → the paths of its secrets.
CHANNEL_SECRETS: dict[str, set[tuple[str, ...]]] = {
    cls.model_fields["platform"].default: secret_paths(cls)
    for cls in typing.get_args(typing.get_args(ChannelConfig)[0])
}


def is_literal(value: Any) -> bool:
    """A value that is the secret itself (not empty, not an ``env:NAME`` reference)."""
    return value not in (None, "") and not str(value).startswith("env:")


def _yaml() -> YAML:
    y = YAML()
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    y.preserve_quotes = True
    return y


def _load(text: str) -> CommentedMap | None:
    """The document, or None when it is empty, not YAML or not a mapping."""
    try:
        doc = _yaml().load(text)
    except YAMLError:
        return None
    return doc if isinstance(doc, CommentedMap) else None


def _dump(doc: CommentedMap) -> str:
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue()


def channel_secret_slots(channel: Any) -> Iterator[tuple[tuple[str, ...], MutableMapping[Any, Any]]]:
    """(path, the mapping that holds the field) of each secret a channel block has, by its platform."""
    if not isinstance(channel, MutableMapping):
        return
    for path in sorted(CHANNEL_SECRETS.get(str(channel.get("platform")), set())):
        node: Any = channel
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, MutableMapping) else None
        if isinstance(node, MutableMapping) and path[-1] in node:
            yield path, node


def _channel_places(doc: Any) -> Iterator[tuple[str, MutableMapping[Any, Any], str, tuple[str, ...]]]:
    channels = doc.get("channels") if isinstance(doc, MutableMapping) else None
    if not isinstance(channels, list):
        return
    for i, channel in enumerate(channels):
        if not isinstance(channel, MutableMapping):
            continue
        key, platform = str(channel.get("key")), str(channel.get("platform"))
        for path, mapping in channel_secret_slots(channel):
            yield (f"channels[{i}].{'.'.join(path)}", mapping, path[-1],
                   ("channel", key, platform, *path[:-1]))


def _places(doc: Any) -> Iterator[tuple[str, MutableMapping[Any, Any], str, tuple[str, ...]]]:
    """Every place a secret may sit: (path for messages, its mapping, field, identity). The
    identity (``target``, name, kind; ``channel``, key, platform) decides which stored value a
    mask stands for."""
    yield from _channel_places(doc)
    notify = doc.get("notify") if isinstance(doc, MutableMapping) else None
    if not isinstance(notify, MutableMapping):
        return
    smtp = notify.get("smtp")
    if isinstance(smtp, MutableMapping) and "password" in smtp:
        yield "notify.smtp.password", smtp, "password", ("smtp",)
    targets = notify.get("targets")
    if not isinstance(targets, MutableMapping):
        return
    for name, target in targets.items():
        if not isinstance(target, MutableMapping):
            continue
        kind = str(target.get("kind"))
        for field in sorted(TARGET_SECRETS.get(kind, set())):
            if field in target:
                yield f"notify.targets.{name}.{field}", target, field, ("target", str(name), kind)


@functools.lru_cache(maxsize=4)
def mask_text(text: str) -> str:
    """The document with every literal secret replaced by :data:`MASK` (the rest as written).

    A text that is not a YAML mapping (never stored: every version was validated) is refused
    rather than shown, since it cannot be masked field by field. Cached: a settings page reads
    the same version several times, and a round trip costs milliseconds per hundred lines."""
    doc = _load(text)
    if doc is None:
        if not text.strip():
            return text
        raise ConfigError("database", "", "the configuration is not a YAML mapping; it is not shown")
    changed = False
    for _where, mapping, field, _identity in _places(doc):
        if is_literal(mapping[field]) and mapping[field] != MASK:
            mapping[field] = MASK
            changed = True
    return _dump(doc) if changed else text


def unmask_text(text: str, stored: str | None) -> str:
    """``text`` with each :data:`MASK` replaced by the secret stored at the same place (the same
    target with the same kind, or the SMTP server) in ``stored``, the document in force.

    A mask with nothing to stand for (a new target, or one whose kind changed) is a ConfigError
    naming the place. A text that does not parse is returned as it is: the validation that follows
    names its problem."""
    if MASK not in text:
        return text
    doc = _load(text)
    if doc is None:
        return text
    kept: dict[tuple[tuple[str, ...], str], Any] = {}
    old = _load(stored) if stored else None
    if old is not None:
        kept = {(identity, field): mapping[field] for _w, mapping, field, identity in _places(old)}
    missing: list[str] = []
    changed = False
    for where, mapping, field, identity in _places(doc):
        if mapping[field] != MASK:
            continue
        value = kept.get((identity, field))
        if value is None or value == MASK:
            missing.append(f"{where}: enter the secret (or env:NAME for an environment variable); "
                           f"{MASK} keeps a stored secret only where one is stored")
            continue
        mapping[field] = value
        changed = True
    if missing:
        raise ConfigError("database", "", "; ".join(missing))
    return _dump(doc) if changed else text
