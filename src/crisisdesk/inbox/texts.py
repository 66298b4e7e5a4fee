"""Filling a prepared text (a saved reply, a rule's automatic answer) for one conversation.

Placeholders are ``{{contact.first_name}}``, ``{{contact.name}}``, ``{{agent.name}}`` and
``{{ticket}}``; an unknown one stays as written, so a typo shows in the preview instead of
vanishing. The text's language follows the person's message (German or English, the other as
the fallback).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy.orm import Session

from crisisdesk.inbox.models import Contact, Conversation
from crisisdesk.inbox.rules_config import Texts

_PLACEHOLDER = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
PLACEHOLDERS = ("contact.first_name", "contact.name", "agent.name", "ticket")


def values_for(session: Session, conversation: Conversation, *, agent: str | None = None) -> dict[str, str]:
    contact = session.get(Contact, conversation.contact_id) if conversation.contact_id else None
    name = ((contact.name if contact else None) or "").strip()
    return {"contact.name": name, "contact.first_name": name.split(" ")[0] if name else "",
            "agent.name": agent or "", "ticket": conversation.ticket or ""}


def fill(texts: Texts, lang: str | None, values: Mapping[str, str]) -> str:
    """The text in ``lang`` with the placeholders filled; a placeholder left empty takes the
    space before a following comma or full stop with it ("Hallo , …" reads "Hallo, …")."""
    filled = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), texts.pick(lang))
    return re.sub(r"[ \t]+([,.!?])", r"\1", filled).strip()
