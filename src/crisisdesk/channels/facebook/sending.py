"""What a Facebook page can do to a comment, a post or a Messenger chat, as Graph calls (§1.5).

A public reply comments under the comment (or post); a private reply to a comment or a visitor's
post goes to Messenger through ``recipient.comment_id`` / ``post_id`` (one per item, within 7
days); in a Messenger chat it is a ``RESPONSE`` to the person's page-scoped id, which only
reaches them inside the 24-hour window. Hiding sets ``is_hidden``; deleting removes the comment.
Blocking people is not offered: the sources this connector follows do not document it.

Publishing is a new post on the page's feed (``POST /{page-id}/feed`` with ``message``, as the
page with its page access token); Meta's answer is the new post's id (``<page>_<post>``). The
Graph API takes no idempotency key, so a post whose answer was lost is not sent again (it would
show twice): the failure says so and a person looks at the page.
"""

from __future__ import annotations

from typing import Any

from crisisdesk.channels.attachments import ALLOWED_TYPES
from crisisdesk.channels.facebook.mapping import PLATFORM
from crisisdesk.channels.meta.sending import (
    GraphCall,
    created,
    is_public,
    message_sent,
    person,
    private_reply,
    public_item,
    refuse,
    succeeded,
    text,
)
from crisisdesk.channels.outgoing import Action, AttachmentLimits, Outbound, Sent, too_long

#: Messenger chats take files (25 MB each), each as a message of its own after the text;
#: comment replies and private replies to comments take none.
ATTACHMENTS = AttachmentLimits(max_count=3, max_bytes=25 * 1024 * 1024, content_types=ALLOWED_TYPES)
#: The longest page post Facebook takes (characters).
POST_LIMIT = 63_206


def publish(outbound: Outbound, *, page_id: str) -> GraphCall:
    """A new post on the page's feed; a text Facebook would refuse is refused before the call."""
    body_text = text(outbound)
    if len(body_text) > POST_LIMIT:
        raise too_long("a Facebook page post", len(body_text), POST_LIMIT)
    return GraphCall("POST", f"{page_id}/feed", created, {"message": body_text}, once=True,
                     lost="the post may be on the page, and Meta takes no idempotency key, so it is not "
                          "sent again (it would show twice): look on the page whether it is there")


def plan(outbound: Outbound, *, page_id: str) -> GraphCall:
    action = outbound.action
    if action is Action.REPLY_PRIVATE:
        return private_reply(outbound, platform=PLATFORM, account=page_id, messaging_type="RESPONSE")
    if action is Action.REPLY_PUBLIC:
        body_text = text(outbound)
        item = public_item(outbound, platform=PLATFORM, account=page_id,
                           what="the comment or post to reply to")
        return GraphCall("POST", f"{item}/comments", created, {"message": body_text})
    if action in (Action.HIDE, Action.UNHIDE):
        item = public_item(outbound, platform=PLATFORM, account=page_id, what="the comment to hide")
        return GraphCall("POST", item, succeeded, {"is_hidden": action is Action.HIDE})
    if action is Action.DELETE:
        item = public_item(outbound, platform=PLATFORM, account=page_id, what="the comment to delete")
        return GraphCall("DELETE", item, succeeded)
    if action is Action.PUBLISH:
        return publish(outbound, page_id=page_id)
    raise refuse(outbound, "a Facebook page cannot do that")


def attachment_refusal(outbound: Outbound, *, page_id: str) -> str | None:
    """Files go into Messenger chats only: a comment (public reply) takes text, and a private
    reply to a comment is one text message."""
    if outbound.action is Action.PUBLISH:
        return "crisisdesk publishes page posts as text only"
    if outbound.action is not Action.REPLY_PRIVATE:
        return "a comment reply on a Facebook page takes no uploaded files; answer privately in Messenger"
    public = is_public(outbound, platform=PLATFORM, account=page_id)
    if public or (public is None and not outbound.recipient):
        return "a private reply to a comment is one text message; files go into Messenger chats only"
    return None


def attachment_message(outbound: Outbound, *, page_id: str, kind: str, attachment_id: str) -> GraphCall:
    """The chat message that shows an uploaded file (Messenger sends text and files apart)."""
    who = person(outbound, platform=PLATFORM, account=page_id)
    if who is None:
        raise refuse(outbound, "no recipient (the person's page-scoped id)")
    attachment = {"type": kind, "payload": {"attachment_id": attachment_id}}
    body: dict[str, Any] = {"recipient": {"id": who}, "messaging_type": "RESPONSE",
                            "message": {"attachment": attachment}}
    return GraphCall("POST", f"{page_id}/messages", message_sent, body)


def files_sent(text_sent: Sent, file_ids: list[str]) -> Sent:
    return Sent(text_sent.external_id, {**text_sent.details, "attachment_messages": ",".join(file_ids)})
