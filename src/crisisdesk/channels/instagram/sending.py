"""What an Instagram professional account can do to a comment or a direct chat, as Graph calls (§1.5).

A public reply goes under the comment (``/replies``). Instagram threads only one level deep, so a
reply to a reply is sent to its top-level comment, where it would land anyway. A private reply to a
comment names the comment (one per comment, within 7 days); in a chat it is a message to the
person's Instagram-scoped id, inside the 24-hour window. Hiding sets ``hide``; deleting removes
the comment. Blocking is not part of the API.

A comment or caption of someone else that @mentions us lives in a thread
``instagram:<account>:mention:<media-id>``: our public answer goes through the account's own
``POST /{ig-user-id}/mentions`` (``media_id``, with ``comment_id`` for a comment), the only way to
comment on media that is not ours; hiding, deleting and private replies are not possible there.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from crisisdesk.channels.instagram.mentions import PLATFORM
from crisisdesk.channels.meta.sending import (
    GraphCall,
    created,
    private_reply,
    public_item,
    refuse,
    stored,
    succeeded,
    target,
    text,
    thread_rest,
)
from crisisdesk.channels.outgoing import Action, Outbound, Sent


def plan(outbound: Outbound, *, account_id: str) -> GraphCall:
    action = outbound.action
    rest = thread_rest(outbound, platform=PLATFORM, account=account_id)
    if rest is not None and len(rest) == 2 and rest[0] == "mention":
        return _on_mention(outbound, media=rest[1])
    if action is Action.REPLY_PRIVATE:
        return private_reply(outbound, platform=PLATFORM, account=account_id, messaging_type=None)
    if action is Action.REPLY_PUBLIC:
        body_text = text(outbound)
        item = public_item(outbound, platform=PLATFORM, account=account_id, what="the comment to reply to")
        parent = stored(outbound, "in_reply_to") if stored(outbound, "kind") == "reply" else None
        if parent is None:
            return GraphCall("POST", f"{item}/replies", created, {"message": body_text})
        return GraphCall("POST", f"{parent}/replies", partial(_under, parent), {"message": body_text})
    if action in (Action.HIDE, Action.UNHIDE):
        item = public_item(outbound, platform=PLATFORM, account=account_id, what="the comment to hide")
        return GraphCall("POST", item, succeeded, {"hide": action is Action.HIDE})
    if action is Action.DELETE:
        item = public_item(outbound, platform=PLATFORM, account=account_id, what="the comment to delete")
        return GraphCall("DELETE", item, succeeded)
    raise refuse(outbound, "an Instagram account cannot do that")


def _on_mention(outbound: Outbound, *, media: str) -> GraphCall:
    if outbound.action is not Action.REPLY_PUBLIC:
        raise refuse(outbound, "the @mention is on another account's media, where Instagram lets us "
                               "only answer in public")
    item = target(outbound, "the mention to answer")
    body: dict[str, Any] = {"media_id": media, "message": text(outbound)}
    if item != media:  # a comment that mentions us; a caption's item is the media itself
        body["comment_id"] = item
    account = outbound.thread.split(":")[1] if outbound.thread else ""
    return GraphCall("POST", f"{account}/mentions", created, body)


def _under(parent: str, answer: dict[str, Any]) -> Sent:
    """The new reply, noting the top-level comment it went under instead of the one asked for."""
    return Sent(created(answer).external_id, {"replied_to": parent})
