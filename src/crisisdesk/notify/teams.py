"""Microsoft Teams: an Adaptive Card in the ``message``/``attachments`` envelope.

The same body works for the retiring Office 365 connector webhooks (``…webhook.office.com…``,
answer ``200`` with body ``1``) and for Workflows "post to a channel when a webhook request is
received" (answer ``202 Accepted``). The connector reports some failures inside a ``200`` body
("Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429
…"); those are classified like the status they quote. Teams rejects messages over about 28 KB,
so posts are clipped and the card stays small.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from crisisdesk.notify import render
from crisisdesk.notify.base import (
    DeliveryContext,
    DeliveryResult,
    PermanentError,
    RetryableError,
    SenderDeps,
    excerpt,
    post_json,
)
from crisisdesk.notify.schemas import Notification, TeamsTarget

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"
_QUOTED_STATUS = re.compile(r"HTTP error (\d{3})")


def _color(severity: int) -> str:
    return {4: "Attention", 3: "Attention", 2: "Warning"}.get(severity, "Default")


def _block(value: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": value, "wrap": True, **extra}


def card(n: Notification) -> dict[str, Any]:
    """The Adaptive Card (schema 1.4, which Teams desktop, web and mobile all render)."""
    lang = n.lang
    body: list[dict[str, Any]] = [
        _block(render.headline(n), weight="Bolder", size="Medium", color=_color(n.severity)),
        {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in render.facts(n)]},
    ]
    if n.summary:
        body.append(_block(render.clip_lines(n.summary, 2000)))
    if n.reasons:
        body.append(_block(render.text(lang, "why"), weight="Bolder", spacing="Medium"))
        body.append(_block("\n".join(f"- {r}" for r in n.reasons)))
    if n.top_terms:
        body.append(_block(render.text(lang, "terms"), weight="Bolder", spacing="Medium"))
        body.append(_block(", ".join(n.top_terms)))
    if n.top_posts:
        body.append(_block(render.text(lang, "posts"), weight="Bolder", spacing="Medium"))
        for p in n.top_posts:
            items: list[dict[str, Any]] = [_block(render.clip(p.text, render.POST_CHARS))]
            meta = render.post_meta(p, lang)
            if meta:
                items.append(_block(meta, isSubtle=True, spacing="None", size="Small"))
            post: dict[str, Any] = {"type": "Container", "items": items, "separator": True}
            if p.url:
                post["selectAction"] = {"type": "Action.OpenUrl", "url": p.url}
            body.append(post)
    body.append(_block(render.text(lang, "footer"), isSubtle=True, size="Small", spacing="Medium"))
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "lang": lang,
        "msteams": {"width": "Full"},
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": render.action_label(n, lang),
                     "url": n.ack_url, "style": "positive"}],
    }


def payload(n: Notification) -> dict[str, Any]:
    """The envelope both webhook flavours accept: one message with one Adaptive Card attachment."""
    return {
        "type": "message",
        "summary": render.clip(render.headline(n), 150),
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card(n)}],
    }


class TeamsSender:
    def __init__(self, deps: SenderDeps) -> None:
        self.deps = deps

    def send(
        self, notification: Notification, target: TeamsTarget, *, context: DeliveryContext | None = None
    ) -> DeliveryResult:
        body = orjson.dumps(payload(notification))
        response = post_json(self.deps, target.webhook_url.get_secret_value(), body=body,
                             timeout=target.timeout, what="Teams webhook")
        text = response.text.strip()
        if response.status_code == 200 and "failed" in text.lower():
            quoted = _QUOTED_STATUS.search(text)
            status = int(quoted.group(1)) if quoted else 0
            message = f"Teams webhook: {excerpt(text)}"
            if status == 429 or status >= 500 or status == 0:
                raise RetryableError(message)
            raise PermanentError(message)
        return DeliveryResult(detail=f"HTTP {response.status_code} {excerpt(text, 40)}".rstrip())
