"""A WhatsApp text message from our number, as a Cloud API call (§2.2).

Everything on WhatsApp is a private chat: a reply is a message to the person's WhatsApp id,
quoting the message it answers (``context.message_id``) when the outbound names one. Free-form
text only reaches the person within 24 hours of their last message; outside it WhatsApp refuses
with 131047 and a template is needed (§2.3). WhatsApp may answer with a canonical ``wa_id`` that
differs from the number we sent to (Brazil's ninth digit); it is returned for the contact.
"""

from __future__ import annotations

from typing import Any

from crisisdesk.channels.meta.sending import GraphCall, person, refuse, text
from crisisdesk.channels.outgoing import Action, AttachmentLimits, Outbound, OutgoingFile, Sent
from crisisdesk.channels.whatsapp.mapping import PLATFORM


def plan(outbound: Outbound, *, phone_number_id: str) -> GraphCall:
    if outbound.action is not Action.REPLY_PRIVATE:
        raise refuse(outbound, "WhatsApp only sends messages")
    body_text = text(outbound)
    wa_id = person(outbound, platform=PLATFORM, account=phone_number_id)
    if wa_id is None:
        raise refuse(outbound, "no recipient (the person's WhatsApp id, or a thread "
                               f"{PLATFORM}:{phone_number_id}:<wa_id>)")
    body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": wa_id,
                            "type": "text", "text": {"body": body_text}}
    if outbound.target:
        body["context"] = {"message_id": outbound.target}
    return GraphCall("POST", f"{phone_number_id}/messages", sent, body)


#: One file per message, the reply's text as its caption (1024 characters). Media limits of the
#: Cloud API: images (JPEG, PNG) 5 MB, video (MP4) 16 MB, documents 100 MB. Audio messages take
#: no caption, so the text would be lost: not offered.
CAPTION_LIMIT = 1024
ATTACHMENTS = AttachmentLimits(
    max_count=1, max_bytes=100 * 1024 * 1024, max_caption=CAPTION_LIMIT,
    content_types=frozenset({
        "image/jpeg", "image/png", "video/mp4", "application/pdf", "text/plain", "text/csv",
        "application/msword", "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"}),
    max_bytes_by_kind={"image": 5 * 1024 * 1024, "video": 16 * 1024 * 1024})


def attachment_refusal(outbound: Outbound) -> str | None:
    if outbound.attachments and len(outbound.text or "") > CAPTION_LIMIT:
        return (f"with a file the text is its caption, which WhatsApp limits to {CAPTION_LIMIT} characters; "
                f"this one has {len(outbound.text or '')}")
    return None


def media_message(outbound: Outbound, *, phone_number_id: str, file: OutgoingFile,
                  media_id: str) -> GraphCall:
    """The message that shows an uploaded file (by its media id) with the text as caption."""
    call = plan(outbound, phone_number_id=phone_number_id)
    body = {k: v for k, v in (call.body or {}).items() if k != "text"}
    kind = file.kind if file.kind in ("image", "video") else "document"
    media: dict[str, str] = {"id": media_id, "caption": text(outbound)}
    if kind == "document":
        media["filename"] = file.filename
    body["type"] = kind
    body[kind] = media
    return GraphCall("POST", call.path, sent, body)


def sent(answer: dict[str, Any]) -> Sent:
    """``{"contacts": [{"input", "wa_id"}], "messages": [{"id", "message_status"?}]}``."""
    message = _first(answer.get("messages"))
    contact = _first(answer.get("contacts"))
    details = {key: str(part[key]) for part, key in ((contact, "wa_id"), (message, "message_status"))
               if part.get(key)}
    wamid = message.get("id")
    return Sent(str(wamid) if wamid else None, details)


def _first(value: Any) -> dict[str, Any]:
    return value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else {}
