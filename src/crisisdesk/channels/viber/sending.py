"""Sending a Viber text message (``send_message``, CHANNEL-APIS.md §3.2).

Everything on Viber is a private chat between the bot and one person, so the only action is
``REPLY_PRIVATE``: a text to the person (``receiver``, their Viber id, from ``recipient`` or from
the thread ``viber:<channel key>:<user id>``), under the bot's ``sender_name``. Viber's user ids
are only valid for the bot that saw them, so a thread of another channel is refused. Viber
cannot quote a message, so the target is not sent; the answer's ``message_token`` is what the
later ``delivered``/``seen``/``failed`` callbacks name. Viber can only message people who wrote
to the bot or subscribed: others come back as status 5/6, permanent errors.
"""

from __future__ import annotations

from typing import Any

from crisisdesk.channels.base import PlatformError
from crisisdesk.channels.outgoing import Action, Outbound, Sent
from crisisdesk.channels.viber.client import ViberApi

#: Viber's limit for a text message.
TEXT_LIMIT = 7000


def refuse(text: str) -> PlatformError:
    return PlatformError(text, permanent=True)


def receiver(outbound: Outbound, *, channel: str) -> str:
    """The person: ``recipient``, which must agree with the thread when both are given."""
    from_thread: str | None = None
    if outbound.thread:
        platform, _, rest = outbound.thread.partition(":")
        key, _, user = rest.partition(":")
        if platform != "viber" or not user:
            raise refuse(f"thread {outbound.thread!r} is not a Viber thread (viber:<channel key>:<user id>)")
        if key != channel:
            raise refuse(f"thread {outbound.thread!r} belongs to channel {key!r}; Viber user ids are "
                         f"valid only for the bot that saw them, this is {channel!r}")
        from_thread = user
    if outbound.recipient and from_thread and outbound.recipient != from_thread:
        raise refuse(f"recipient {outbound.recipient!r} is not the person of thread {outbound.thread!r}")
    found = outbound.recipient or from_thread
    if not found:
        raise refuse("no recipient: a Viber message needs the person's Viber id (recipient or thread)")
    return found


def send(api: ViberApi, outbound: Outbound, *, channel: str, sender_name: str) -> Sent:
    if outbound.action != Action.REPLY_PRIVATE:
        raise refuse(f"Viber has no {outbound.action.value}: every Viber chat is private")
    who = receiver(outbound, channel=channel)
    if outbound.text is None or not outbound.text.strip():
        raise refuse("no text: a Viber message needs the text to send")
    if len(outbound.text) > TEXT_LIMIT:
        raise refuse(f"the text is {len(outbound.text)} characters long, Viber accepts {TEXT_LIMIT}")
    body: dict[str, Any] = {"receiver": who, "type": "text", "text": outbound.text,
                            "sender": {"name": sender_name}}
    answer = api.call("send_message", body)
    token = answer.get("message_token")
    if token is None:
        # Viber said ok, so the message may be out: a retry could send it twice.
        raise PlatformError("send_message answered ok without a message_token", permanent=True)
    details = {"receiver": who}
    if answer.get("billing_status") is not None:
        details["billing_status"] = str(answer["billing_status"])
    return Sent(str(token), details)
