"""A WhatsApp number's deliveries as posts and delivery statuses.

Every message is private, in the thread (our number, the person's WhatsApp id). Text, captions of
media, locations, shared contact cards, button and list answers become the post's text; media are recorded as
attachments (their ids; downloading is a separate, bounded step). Reactions, ``unsupported`` and
any type this code does not know are kept as unparsed, so a new message type never blocks the
number. Statuses report how far our own messages got, with the platform's error when one failed.
With the WhatsApp Business app and the Cloud API on one number ("coexistence"), what the team types
in the app arrives as ``smb_message_echoes``: our own messages in the person's thread, stored so the
conversation shows both sides, never counted as the person's.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crisisdesk.channels.base import (
    Attachment,
    Delivery,
    DeliveryState,
    InboundPost,
    StatusReport,
    Unparsed,
    each_item,
    from_unix,
    iso,
)
from crisisdesk.channels.meta.webhook import Entry, changes

PLATFORM = "whatsapp"
_MEDIA = frozenset({"image", "video", "audio", "document", "sticker"})
#: The change fields that carry messages, and the list of them each holds.
_MESSAGE_FIELDS = {"messages": "messages", "smb_message_echoes": "message_echoes"}
_STATES = {"sent": DeliveryState.SENT, "delivered": DeliveryState.DELIVERED, "read": DeliveryState.READ,
           "played": DeliveryState.READ, "failed": DeliveryState.FAILED}


class _Metadata(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    phone_number_id: str
    display_phone_number: str | None = None


class _Profile(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str | None = None


class _Contact(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    wa_id: str
    profile: _Profile | None = None


class _Context(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str | None = None


class Message(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str
    from_: str = Field(alias="from")
    #: Only in an echo: the person our number wrote to.
    to: str | None = None
    timestamp: str
    type: str
    context: _Context | None = None


class _StatusError(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: int | None = None
    title: str | None = None
    message: str | None = None
    error_data: dict[str, Any] | None = None


class Status(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str
    status: str
    timestamp: str
    recipient_id: str | None = None
    errors: list[_StatusError] = Field(default_factory=list)


def map_entry(entry: Entry, *, phone_number_id: str, channel: str) -> Delivery:
    out = Delivery()
    for change, raw in changes(entry):
        if change is None or change.field not in _MESSAGE_FIELDS:
            out.unparsed.append(Unparsed(f"change of field {raw.get('field')!r}", raw))
            continue
        value = change.value
        try:
            metadata = _Metadata.model_validate(value.get("metadata"))
        except ValidationError:
            out.unparsed.append(Unparsed(f"{change.field} change without metadata.phone_number_id", raw))
            continue
        if metadata.phone_number_id != phone_number_id:  # one business account, several numbers
            out.unparsed.append(Unparsed(f"for phone number {metadata.phone_number_id}, not ours", raw))
            continue
        names = _names(value.get("contacts"))
        echoes = change.field != "messages"
        for message in value.get(_MESSAGE_FIELDS[change.field]) or []:
            each_item(out, message, _map_message, message, out, names=names, number=phone_number_id,
                      channel=channel, echo=echoes)
        for status in value.get("statuses") or []:
            each_item(out, status, _map_status, status, out)
        if value.get("errors"):
            out.unparsed.append(Unparsed("errors reported by WhatsApp", value["errors"]))
    return out


def _names(contacts: Any) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for raw in contacts or []:
        try:
            contact = _Contact.model_validate(raw)
        except ValidationError:
            continue
        out[contact.wa_id] = contact.profile.name if contact.profile else None
    return out


def _text_and_attachments(message: Message, raw: dict[str, Any]) -> tuple[str, list[Attachment]] | None:
    """The message's readable text and attachments; None for a type without either."""
    body = raw.get(message.type)
    if message.type == "contacts":
        return _shared_contacts(body)
    part: dict[str, Any] = body if isinstance(body, dict) else {}
    if message.type == "text":
        return str(part.get("body") or ""), []
    if message.type in _MEDIA:
        attachment = Attachment(type=message.type, media_id=_str(part.get("id")),
                                mime_type=_str(part.get("mime_type")), name=_str(part.get("filename")))
        return str(part.get("caption") or ""), [attachment]
    if message.type == "location":
        words = [str(part[k]) for k in ("name", "address") if part.get(k)]
        where = f"{part.get('latitude')},{part.get('longitude')}"
        return " — ".join(words), [Attachment(type="location", url=f"geo:{where}")]
    if message.type == "interactive":
        for kind in ("button_reply", "list_reply"):
            choice = part.get(kind)
            if isinstance(choice, dict) and choice.get("title"):
                return str(choice["title"]), []
        return None
    if message.type == "button":
        return (str(part["text"]), []) if part.get("text") else None
    return None


def _shared_contacts(cards: Any) -> tuple[str, list[Attachment]] | None:
    """A ``contacts`` message (someone shared address-book cards, a list of ``{name:
    {formatted_name}, phones: [{phone}], emails: [{email}]}``) as one line per card: name, phones
    and e-mails, which is what an agent needs to call back; None where no card says anything."""
    lines = []
    for card in cards if isinstance(cards, list) else []:
        if not isinstance(card, dict):
            continue
        name = card.get("name")
        words = [str(name["formatted_name"])] if isinstance(name, dict) and name.get("formatted_name") else []
        for key, field in (("phones", "phone"), ("emails", "email")):
            entries = card.get(key)
            words += [str(e[field]) for e in (entries if isinstance(entries, list) else [])
                      if isinstance(e, dict) and e.get(field)]
        if words:
            lines.append(" ".join(words))
    return ("\n".join(lines), []) if lines else None


def _map_message(raw: Any, out: Delivery, *, names: dict[str, str | None], number: str, channel: str,
                 echo: bool = False) -> None:
    what = "message echo" if echo else "message"
    try:
        message = Message.model_validate(raw)
    except ValidationError as exc:
        out.unparsed.append(Unparsed(f"{what}: {exc.errors()[0]['msg']}", raw))
        return
    if echo and not message.to:
        out.unparsed.append(Unparsed("message echo without to (whom our number wrote)", raw))
        return
    content = _text_and_attachments(message, raw)
    if content is None:
        out.unparsed.append(Unparsed(f"{what} type {message.type}", raw))
        return
    text, attachments = content
    person = message.to if echo and message.to else message.from_
    thread = f"{PLATFORM}:{number}:{person}"
    post: dict[str, Any] = {
        "platform": PLATFORM, "id": message.id, "created_at": iso(from_unix(message.timestamp)),
        "text": text, "kind": "message", "conversation_id": thread, "channel": channel,
        "author": {"id": message.from_, "name": names.get(message.from_)},
    }
    if message.context is not None and message.context.id:
        post["in_reply_to"] = message.context.id
    out.posts.append(InboundPost(post, thread=thread, public=False, attachments=attachments, own=echo))


def _map_status(raw: Any, out: Delivery) -> None:
    try:
        status = Status.model_validate(raw)
    except ValidationError as exc:
        out.unparsed.append(Unparsed(f"status: {exc.errors()[0]['msg']}", raw))
        return
    state = _STATES.get(status.status)
    if state is None:
        out.unparsed.append(Unparsed(f"status {status.status}", raw))
        return
    error = "; ".join(
        f"{e.code} {e.title or e.message or ''}".strip()
        + (f" ({e.error_data['details']})" if e.error_data and e.error_data.get("details") else "")
        for e in status.errors) or None
    out.statuses.append(StatusReport(status.id, state, from_unix(status.timestamp), error))


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
