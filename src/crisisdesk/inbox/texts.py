"""Filling a prepared text (a saved reply, a rule's automatic answer) for one conversation.

Placeholders are ``{{contact.first_name}}``, ``{{contact.name}}``, ``{{agent.name}}``,
``{{ticket}}`` and ``{{situation.summary}}`` (what the crisis team wrote or detection said about
the open situation the conversation belongs to, in the person's language); an unknown one stays
as written, so a typo shows in the preview instead of vanishing. The text's language follows the
person's message (German or English, the other as the fallback).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from crisisdesk.detection.models import Situation
from crisisdesk.inbox.models import Contact, Conversation
from crisisdesk.inbox.rules_config import Texts
from crisisdesk.posts.models import Post
from crisisdesk.sources.models import Monitor, MonitorMatch

_PLACEHOLDER = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
PLACEHOLDERS = ("contact.first_name", "contact.name", "agent.name", "ticket", "situation.summary")


def values_for(
    session: Session, conversation: Conversation, *, agent: str | None = None, lang: str | None = None
) -> dict[str, str]:
    contact = session.get(Contact, conversation.contact_id) if conversation.contact_id else None
    name = ((contact.name if contact else None) or "").strip()
    return {
        "contact.name": name,
        "contact.first_name": name.split(" ")[0] if name else "",
        "agent.name": agent or "",
        "ticket": conversation.ticket or "",
        "situation.summary": situation_summary(session, conversation, lang),
    }


def situation_summary(session: Session, conversation: Conversation, lang: str | None) -> str:
    """The summary of the most severe open situation of a monitor that matched one of the
    conversation's messages (in ``lang`` where detection wrote one per language); "" if none."""
    in_thread = and_(Post.platform == conversation.platform, Post.conversation_id == conversation.thread)
    row = session.execute(
        select(Situation.explanation)
        .join(Monitor, Monitor.id == Situation.monitor_id)
        .where(
            Situation.status == "open",
            Monitor.active,
            Situation.monitor_id.in_(
                select(MonitorMatch.monitor_id).join(Post, Post.id == MonitorMatch.post_id).where(in_thread)
            ),
        )
        .order_by(Situation.severity.desc(), Situation.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return ""
    try:
        explanation = json.loads(row.explanation or "{}")
    except ValueError:
        return ""
    summaries = explanation.get("summaries") or {}
    text = summaries.get(lang or "") or explanation.get("summary") or ""
    return str(text).strip()


def fill(texts: Texts, lang: str | None, values: Mapping[str, str]) -> str:
    """The text in ``lang`` with the placeholders filled; a placeholder left empty takes the
    space before a following comma or full stop with it ("Hallo , …" reads "Hallo, …")."""
    filled = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), texts.pick(lang))
    return re.sub(r"[ \t]+([,.!?])", r"\1", filled).strip()
