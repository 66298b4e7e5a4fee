"""Meta's webhook transport, shared by Facebook pages, Messenger, Instagram and WhatsApp.

A subscription handshake (``GET`` with ``hub.mode``, ``hub.verify_token``, ``hub.challenge``),
then signed ``POST`` deliveries (``X-Hub-Signature-256: sha256=<hex HMAC of the raw body, key =
the App Secret>``) of one envelope: ``{"object", "entry": [{"id", "time", "changes"|"messaging"}]}``.
An entry that does not have the documented shape is kept as unparsed; its neighbours are read.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crisisdesk.channels.base import Delivery, PayloadError, Unparsed, WebhookRejected
from crisisdesk.channels.signatures import check_hmac, header

SIGNATURE_HEADER = "X-Hub-Signature-256"


class Change(BaseModel):
    model_config = ConfigDict(extra="allow")

    field: str
    value: dict[str, Any] = Field(default_factory=dict)


class Entry(BaseModel):
    """One entry of a Meta envelope: ``changes`` (feed, comments, WhatsApp) or ``messaging`` (chats)."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str
    #: Only a fallback time for changes that carry none: seconds or milliseconds as Meta sends
    #: them; any other string is accepted and reads as no time, so it never costs the entry.
    time: int | float | str | None = None
    changes: list[dict[str, Any]] = Field(default_factory=list)
    messaging: list[dict[str, Any]] = Field(default_factory=list)
    standby: list[dict[str, Any]] = Field(default_factory=list)


def handshake(params: Mapping[str, str], *, verify_token: str) -> str:
    """The challenge to echo when Meta's subscription request carries our verify token."""
    if params.get("hub.mode") != "subscribe":
        raise WebhookRejected("hub.mode is not 'subscribe'", status=403)
    token = params.get("hub.verify_token") or ""
    if not hmac.compare_digest(token.encode("utf-8"), verify_token.encode("utf-8")):
        raise WebhookRejected("hub.verify_token is not this channel's verify token", status=403)
    challenge = params.get("hub.challenge")
    if not challenge:
        raise WebhookRejected("no hub.challenge to answer", status=403)
    return challenge


def verify(headers: Mapping[str, str], body: bytes, *, app_secret: str) -> None:
    check_hmac(header(headers, SIGNATURE_HEADER), key=app_secret, body=body, prefix="sha256=",
               name=SIGNATURE_HEADER)


def load_object(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PayloadError(f"the body is a JSON {type(data).__name__}, not an object")
    return data


EntryMapper = Callable[[Entry], Delivery]


def parse_envelope(body: bytes | dict[str, Any], *, expected_object: str, account_id: str | None,
                   map_entry: EntryMapper) -> Delivery:
    """Each entry mapped by ``map_entry``; entries for other objects or accounts, or of a shape we
    do not know, are kept as unparsed instead of failing the whole delivery. ``account_id`` None:
    the entry's id is not ours to check (WhatsApp's is the business account; routing is by number)."""
    data = body if isinstance(body, dict) else load_object(body)
    out = Delivery()
    kind = data.get("object")
    entries = data.get("entry")
    if kind != expected_object or not isinstance(entries, list):
        out.unparsed.append(Unparsed(f"envelope object {kind!r} (expected {expected_object!r})", data))
        return out
    for raw in entries:
        try:
            entry = Entry.model_validate(raw)
        except ValidationError as exc:
            out.unparsed.append(Unparsed(f"entry: {exc.errors()[0]['msg']}", raw))
            continue
        if account_id is not None and entry.id != account_id:
            out.unparsed.append(Unparsed(f"entry for account {entry.id}, not {account_id}", raw))
            continue
        out.extend(map_entry(entry))
    return out


def changes(entry: Entry) -> list[tuple[Change | None, dict[str, Any]]]:
    """The entry's changes, each parsed (None where it lacks a ``field``) with its raw form."""
    out: list[tuple[Change | None, dict[str, Any]]] = []
    for raw in entry.changes:
        try:
            out.append((Change.model_validate(raw), raw))
        except ValidationError:
            out.append((None, raw))
    return out
