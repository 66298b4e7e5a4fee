"""Slack incoming webhooks: Block Kit blocks with a plain ``text`` fallback and an ack button.

Slack answers ``200 ok``; errors come as 4xx with a short code in the body (``invalid_payload``,
``no_service``, ``channel_is_archived``) and are permanent; 429 carries ``Retry-After``. Block Kit
limits that matter here: header text 150 characters, section text 3,000, at most 10 fields of
2,000, 50 blocks. User text is escaped (``& < >``) because mrkdwn treats ``<…>`` as links and
mentions.
"""

from __future__ import annotations

from typing import Any

import orjson

from crisisdesk.notify import render
from crisisdesk.notify.base import DeliveryContext, DeliveryResult, SenderDeps, post_json
from crisisdesk.notify.schemas import Notification, SlackTarget

HEADER_CHARS = 150
SECTION_CHARS = 3000


def escape(value: str) -> str:
    """Slack's three control characters; everything else is literal in mrkdwn text."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, label: str) -> str:
    if "|" in url or ">" in url or " " in url:
        return escape(url)
    return f"<{url}|{escape(label)}>"


def _section(markdown: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": render.clip_lines(markdown, SECTION_CHARS)}}


def blocks(n: Notification) -> list[dict[str, Any]]:
    """The Block Kit layout: header, facts, summary, reasons, terms, posts, ack button, footer."""
    lang = n.lang
    out: list[dict[str, Any]] = [
        {"type": "header",
         "text": {"type": "plain_text", "text": render.clip(render.headline(n), HEADER_CHARS)}},
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*{escape(label)}*\n{escape(value)}"}
            for label, value in render.facts(n)[:10]
        ]},
    ]
    if n.summary:
        out.append(_section(escape(n.summary)))
    if n.reasons:
        reasons = "\n".join(f"• {escape(r)}" for r in n.reasons)
        out.append(_section(f"*{render.text(lang, 'why')}*\n{reasons}"))
    if n.top_terms:
        out.append(_section(f"*{render.text(lang, 'terms')}*\n" + ", ".join(
            f"`{escape(t).replace('`', 'ˋ')}`" for t in n.top_terms)))
    if n.top_posts:
        lines = [f"*{render.text(lang, 'posts')}*"]
        for p in n.top_posts:
            lines.append("> " + escape(render.clip(p.text, render.POST_CHARS)))
            meta = [escape(render.post_meta(p, lang))] if render.post_meta(p, lang) else []
            if p.url:
                meta.append(_link(p.url, render.text(lang, "open_post")))
            if meta:
                lines.append(" · ".join(meta))
        out.append(_section("\n".join(lines)))
    out.append({"type": "actions", "elements": [{
        "type": "button",
        "action_id": "crisisdesk_ack",
        "text": {"type": "plain_text", "text": render.action_label(n, lang)},
        "url": n.ack_url,
        "style": "danger" if n.severity >= 4 else "primary",
    }]})
    out.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": escape(render.text(lang, "footer"))}]})
    return out


def payload(n: Notification) -> dict[str, Any]:
    """The webhook body; ``text`` is what notifications and old clients show."""
    fallback = f"{render.headline(n)} ({n.monitor}) – {render.action_line(n)}"
    return {"text": escape(fallback), "blocks": blocks(n)}


class SlackSender:
    def __init__(self, deps: SenderDeps) -> None:
        self.deps = deps

    def send(
        self, notification: Notification, target: SlackTarget, *, context: DeliveryContext | None = None
    ) -> DeliveryResult:
        body = orjson.dumps(payload(notification))
        response = post_json(self.deps, target.webhook_url.get_secret_value(), body=body,
                             timeout=target.timeout, what="Slack webhook")
        return DeliveryResult(detail=f"HTTP {response.status_code} {response.text[:40]}".rstrip())
