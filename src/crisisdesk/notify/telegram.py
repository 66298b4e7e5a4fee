"""Telegram bot messages: ``sendMessage`` with ``parse_mode=HTML`` and an inline ack button.

Everything user-written is HTML-escaped (``& < >``, and ``"`` inside ``href``), because one stray
``<`` makes Telegram reject the whole message ("can't parse entities"). A message may hold 4,096
characters; we count the HTML we send in UTF-16 code units (what Telegram counts, and never less
than the visible text), keep the headline, facts and ack link, and drop or clip the rest.

Errors follow the Bot API: ``{"ok": false, "error_code": 429, "parameters": {"retry_after": 5}}``
means wait exactly that long. ``migrate_to_chat_id`` (a group became a supergroup) is followed
right away, once, with a warning to update the configuration. The bot token is part of the URL
path; it never appears in our errors or logs (httpx's own INFO log of request URLs does show it;
keep the ``httpx`` logger at WARNING in production).
"""

from __future__ import annotations

import html
import logging
from typing import Any

import httpx
import orjson

from crisisdesk.notify import render
from crisisdesk.notify.base import (
    DeliveryContext,
    DeliveryResult,
    PermanentError,
    RetryableError,
    SenderDeps,
    excerpt,
    retry_after_seconds,
)
from crisisdesk.notify.schemas import Notification, TelegramTarget

log = logging.getLogger(__name__)

MAX_CHARS = 4096
TITLE_CHARS = 256


def escape(value: str) -> str:
    """Text for Telegram HTML: only ``&``, ``<`` and ``>`` are special outside tags."""
    return html.escape(value, quote=False)


def escape_attr(value: str) -> str:
    return html.escape(value, quote=True)


def units(value: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts twice)."""
    return len(value.encode("utf-16-le")) // 2


def _fit(prefix: str, plain: str, suffix: str, budget: int) -> str | None:
    """``prefix + escape(clip of plain) + suffix`` as long as fits ``budget``; None if nothing does."""
    whole = prefix + escape(plain) + suffix
    if units(whole) <= budget:
        return whole
    lo, hi, best = 1, len(plain), None
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = prefix + escape(render.clip_lines(plain, mid)) + suffix
        if units(candidate) <= budget:
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return best


def message_html(n: Notification, limit: int = MAX_CHARS) -> str:
    """The message text; always balanced HTML of at most ``limit`` UTF-16 units.

    The headline, the facts and the ack link always stay; summary, reasons, terms and posts
    follow in that order while they fit, the first that does not fit is clipped, the rest dropped.
    """
    lang = n.lang
    title = render.clip(render.headline(n), TITLE_CHARS)
    head = f"<b>{escape(title)}</b>\n" + "\n".join(
        f"<b>{escape(k)}:</b> {escape(v)}" for k, v in render.facts(n))
    tail = f'<a href="{escape_attr(n.ack_url)}">{escape(render.action_label(n, lang))}</a>'
    blocks: list[tuple[str, str, str]] = []  # (html before, plain text, html after)
    if n.summary:
        blocks.append(("", n.summary, ""))
    if n.reasons:
        blocks.append((f"<b>{escape(render.text(lang, 'why'))}:</b>\n",
                       "\n".join(f"• {r}" for r in n.reasons), ""))
    if n.top_terms:
        blocks.append((f"<b>{escape(render.text(lang, 'terms'))}:</b> ", ", ".join(n.top_terms), ""))
    for i, p in enumerate(n.top_posts):
        meta = escape(render.post_meta(p, lang))
        if p.url:
            link = f'<a href="{escape_attr(p.url)}">{escape(render.text(lang, "open_post"))}</a>'
            meta = f"{meta} · {link}" if meta else link
        label = f"<b>{escape(render.text(lang, 'posts'))}:</b>\n" if i == 0 else ""
        blocks.append((f"{label}<blockquote>", render.clip(p.text, render.POST_CHARS),
                       "</blockquote>" + (f"\n{meta}" if meta else "")))
    parts = [head]
    budget = limit - units(head) - units(tail) - 2  # every part is joined by "\n\n"
    for prefix, plain, suffix in blocks:
        fitted = _fit(prefix, plain, suffix, budget - 2)
        if fitted is None:
            break
        parts.append(fitted)
        budget -= units(fitted) + 2
        if fitted != prefix + escape(plain) + suffix:
            break  # clipped: nothing after it fits either
    parts.append(tail)
    return "\n\n".join(parts)


def request_body(n: Notification, target: TelegramTarget, chat_id: int | str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "chat_id": chat_id,
        "text": message_html(n),
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "reply_markup": {"inline_keyboard": [[
            {"text": render.action_label(n), "url": n.ack_url},
        ]]},
    }
    if target.message_thread_id is not None:
        body["message_thread_id"] = target.message_thread_id
    return body


class TelegramSender:
    def __init__(self, deps: SenderDeps) -> None:
        self.deps = deps

    def send(
        self, notification: Notification, target: TelegramTarget, *, context: DeliveryContext | None = None
    ) -> DeliveryResult:
        try:
            return self._send(notification, target, target.chat_id)
        except _Migrated as moved:
            log.warning("Telegram chat %s became supergroup %s; sending there. Update chat_id in the "
                        "notify target configuration.", target.chat_id, moved.chat_id)
            try:
                return self._send(notification, target, moved.chat_id)
            except _Migrated as again:
                raise PermanentError(f"Telegram: chat moved twice (to {again.chat_id})") from again

    def _send(self, n: Notification, target: TelegramTarget, chat_id: int | str) -> DeliveryResult:
        url = f"{target.api_base_url.rstrip('/')}/bot{target.bot_token.get_secret_value()}/sendMessage"
        try:
            response = self.deps.http.post(
                url, content=orjson.dumps(request_body(n, target, chat_id)), timeout=target.timeout,
                headers={"Content-Type": "application/json", "User-Agent": self.deps.user_agent},
            )
        except httpx.TimeoutException as exc:
            raise RetryableError(f"Telegram: timed out after {target.timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise RetryableError(f"Telegram: {type(exc).__name__}") from exc
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            message = f"Telegram: HTTP {response.status_code}, not a Bot API answer: {excerpt(response.text)}"
            if response.status_code >= 500 or response.status_code == 429:
                raise RetryableError(message, retry_after=retry_after_seconds(
                    response.headers.get("Retry-After"), self.deps.clock.now()))
            raise PermanentError(message)
        if data.get("ok") is True and 200 <= response.status_code < 300:
            result = data.get("result")
            message_id = result.get("message_id") if isinstance(result, dict) else None
            return DeliveryResult(detail="sendMessage ok",
                                  remote_id=None if message_id is None else f"{chat_id}:{message_id}")
        code = data.get("error_code", response.status_code)
        raw_params = data.get("parameters")
        params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
        message = f"Telegram: {code} {excerpt(str(data.get('description', '')))}".rstrip()
        if params.get("migrate_to_chat_id") is not None:
            raise _Migrated(params["migrate_to_chat_id"])
        if code == 429 or (isinstance(code, int) and code >= 500) or response.status_code >= 500:
            retry_after = params.get("retry_after")
            raise RetryableError(message, retry_after=float(retry_after) if isinstance(
                retry_after, int | float) else retry_after_seconds(response.headers.get("Retry-After")))
        raise PermanentError(message)


class _Migrated(Exception):
    def __init__(self, chat_id: int | str) -> None:
        super().__init__(chat_id)
        self.chat_id = chat_id
