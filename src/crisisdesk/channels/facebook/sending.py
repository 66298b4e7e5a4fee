"""What a Facebook page can do to a comment, a post or a Messenger chat, as Graph calls (§1.5).

A public reply comments under the comment (or post); a private reply to a comment or a visitor's
post goes to Messenger through ``recipient.comment_id`` / ``post_id`` (one per item, within 7
days); in a Messenger chat it is a ``RESPONSE`` to the person's page-scoped id, which only
reaches them inside the 24-hour window. Hiding sets ``is_hidden``; deleting removes the comment.
Blocking people is not offered: the sources this connector follows do not document it.
"""

from __future__ import annotations

from crisisdesk.channels.base import Action, Outbound
from crisisdesk.channels.facebook.mapping import PLATFORM
from crisisdesk.channels.meta.sending import (
    GraphCall,
    created,
    private_reply,
    public_item,
    refuse,
    succeeded,
    text,
)


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
    raise refuse(outbound, "a Facebook page cannot do that")
