"""Words every target shares, in German and English, and the plain-text form of a notification.

Each sender builds its own markup (MIME, Block Kit, Adaptive Card, Telegram HTML) from these
pieces, so that a label reads the same on every channel and a translation is fixed in one place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from crisisdesk.notify.schemas import Lang, Notification, NotificationKind, TopPost

STRINGS: Final[dict[Lang, dict[str, str]]] = {
    "en": {
        "severity.1": "Low",
        "severity.2": "Elevated",
        "severity.3": "High",
        "severity.4": "Critical",
        "kind.opened": "New situation",
        "kind.updated": "Situation updated",
        "kind.escalated": "Situation escalated",
        "kind.resolved": "Situation resolved",
        "kind.inbox": "Inbox",
        "kind.reminder": "Reminder",
        "kind.update": "Stakeholder update",
        "open_page": "Open the page",
        "page_line": "The page: {url}",
        "conversation": "Conversation",
        "open_conversation": "Open the conversation",
        "conversation_line": "The conversation: {url}",
        "severity": "Severity",
        "monitor": "Monitor",
        "situation": "Situation",
        "channels": "Channels",
        "since": "Since",
        "why": "Why this severity",
        "terms": "Top terms",
        "posts": "Top posts",
        "reach": "reach",
        "open_post": "open",
        "acknowledge": "Acknowledge",
        "ack_line": "Acknowledge this alert: {url}",
        "open_situation": "Open the situation",
        "open_line": "The situation: {url}",
        "more": "… and {n} more",
        "footer": "Sent by crisisdesk. Acknowledging stops the escalation for everyone.",
    },
    "de": {
        "severity.1": "Niedrig",
        "severity.2": "Erhöht",
        "severity.3": "Hoch",
        "severity.4": "Kritisch",
        "kind.opened": "Neue Lage",
        "kind.updated": "Lage aktualisiert",
        "kind.escalated": "Lage eskaliert",
        "kind.resolved": "Lage beendet",
        "kind.inbox": "Posteingang",
        "kind.reminder": "Erinnerung",
        "kind.update": "Stakeholder-Update",
        "open_page": "Seite öffnen",
        "page_line": "Zur Seite: {url}",
        "conversation": "Unterhaltung",
        "open_conversation": "Unterhaltung öffnen",
        "conversation_line": "Zur Unterhaltung: {url}",
        "severity": "Schweregrad",
        "monitor": "Monitor",
        "situation": "Lage",
        "channels": "Kanäle",
        "since": "Seit",
        "why": "Warum dieser Schweregrad",
        "terms": "Häufigste Begriffe",
        "posts": "Wichtigste Beiträge",
        "reach": "Reichweite",
        "open_post": "öffnen",
        "acknowledge": "Bestätigen",
        "ack_line": "Alarm bestätigen: {url}",
        "open_situation": "Lage öffnen",
        "open_line": "Zur Lage: {url}",
        "more": "… und {n} weitere",
        "footer": "Gesendet von crisisdesk. Eine Bestätigung stoppt die Eskalation für alle.",
    },
}

#: How long a post's text may get in any message before it is clipped.
POST_CHARS: Final = 280


def text(lang: Lang, key: str) -> str:
    return STRINGS[lang][key]


def action_label(n: Notification, lang: Lang | None = None) -> str:
    """The button's words: acknowledge an alert; a resolved situation's link only opens its page
    (there is nothing left to acknowledge)."""
    if n.kind is NotificationKind.INBOX:
        return text(lang or n.lang, "open_conversation")
    if n.kind in (NotificationKind.REMINDER, NotificationKind.UPDATE):
        return text(lang or n.lang, "open_page")
    return text(lang or n.lang, "open_situation" if n.kind is NotificationKind.RESOLVED else "acknowledge")


def action_line(n: Notification, lang: Lang | None = None) -> str:
    key = {NotificationKind.RESOLVED: "open_line", NotificationKind.INBOX: "conversation_line",
           NotificationKind.REMINDER: "page_line", NotificationKind.UPDATE: "page_line"}.get(
        n.kind, "ack_line")
    return text(lang or n.lang, key).format(url=n.ack_url)


def severity_label(n: Notification) -> str:
    return n.severity_label or text(n.lang, f"severity.{n.severity}")


def kind_label(n: Notification) -> str:
    return text(n.lang, f"kind.{n.kind.value}")


def headline(n: Notification) -> str:
    """``Kritisch · Neue Lage: Zugausfälle in Berlin`` — the first line everywhere."""
    return f"{severity_label(n)} · {kind_label(n)}: {n.title}"


def subject(n: Notification) -> str:
    return f"[crisisdesk] {headline(n)} ({n.monitor})"


def number(value: int, lang: Lang) -> str:
    """12,345 in English, 12.345 in German."""
    grouped = f"{value:,}"
    return grouped.replace(",", ".") if lang == "de" else grouped


def when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def clip(value: str, limit: int) -> str:
    """At most ``limit`` characters, whitespace collapsed, an ellipsis where it was cut."""
    flat = " ".join(value.split())
    if len(flat) <= limit:
        return flat
    return flat[: max(limit - 1, 0)].rstrip() + "…"


def clip_lines(value: str, limit: int) -> str:
    """Like :func:`clip`, but line breaks are kept (for text that is already laid out)."""
    if len(value) <= limit:
        return value
    return value[: max(limit - 1, 0)].rstrip() + "…"


def facts(n: Notification) -> list[tuple[str, str]]:
    """Label/value pairs shown as a table or field list."""
    out = [
        (text(n.lang, "severity"), f"{severity_label(n)} ({n.severity}/4)"),
        (text(n.lang, "monitor"), n.monitor),
    ]
    if n.situation_id is not None:
        out.append((text(n.lang, "situation"), f"#{n.situation_id}"))
    if n.conversation_id is not None:
        out.append((text(n.lang, "conversation"), f"#{n.conversation_id}"))
    if n.channels:
        out.append((text(n.lang, "channels"), ", ".join(n.channels)))
    if n.occurred_at is not None:
        out.append((text(n.lang, "since"), when(n.occurred_at)))
    return out


def post_meta(post: TopPost, lang: Lang) -> str:
    """``@kunde42 · Reichweite 12.345`` (empty when nothing is known)."""
    parts = []
    if post.author:
        parts.append(post.author)
    if post.reach is not None:
        parts.append(f"{text(lang, 'reach')} {number(post.reach, lang)}")
    return " · ".join(parts)


def plain_text(n: Notification) -> str:
    """The whole message as plain text: the e-mail text part and every fallback text."""
    lines = [headline(n), ""]
    lines += [f"{label}: {value}" for label, value in facts(n)]
    if n.summary:
        lines += ["", n.summary]
    if n.reasons:
        lines += ["", f"{text(n.lang, 'why')}:"] + [f"- {r}" for r in n.reasons]
    if n.top_terms:
        lines += ["", f"{text(n.lang, 'terms')}: {', '.join(n.top_terms)}"]
    if n.top_posts:
        lines += ["", f"{text(n.lang, 'posts')}:"]
        for p in n.top_posts:
            meta = post_meta(p, n.lang)
            lines.append(f"- {clip(p.text, POST_CHARS)}" + (f" ({meta})" if meta else ""))
            if p.url:
                lines.append(f"  {p.url}")
    lines += ["", action_line(n), "", "-- ", text(n.lang, "footer")]
    return "\n".join(lines) + "\n"
