"""A WhatsApp text message from our number, as a Cloud API call (§2.2).

Everything on WhatsApp is a private chat: a reply is a message to the person's WhatsApp id,
quoting the message it answers (``context.message_id``) when the outbound names one. Free-form
text only reaches the person within 24 hours of their last message; outside it WhatsApp refuses
with 131047 and a template is needed (§2.3). WhatsApp may answer with a canonical ``wa_id`` that
differs from the number we sent to (Brazil's ninth digit); it is returned for the contact.
"""

from __future__ import annotations

from typing import Any

from crisisdesk.channels.base import Action, Outbound, Sent
from crisisdesk.channels.meta.sending import GraphCall, person, refuse, text
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
