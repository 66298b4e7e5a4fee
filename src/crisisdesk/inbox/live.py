"""Telling open inbox pages what colleagues changed, after the change is committed.

New messages already reach open pages from the pipeline (``inbox.updated``). Everything else that
changes a conversation — an assignment, a status, a note, a ticket, a reply queued, and what became
of a reply (sent, refused, delivered, read) — is seen here, whoever made it (a page, the API, the
outbox sender, a status webhook), without each place having to remember to say so: the timeline
events and outbox items a session flushes are noted, and once the session commits they are
announced as ``{"event": "inbox.changed", "conversations": [ids], "threads": [threads], "by":
[who]}`` through the runtime's inbox listeners (the live hub; across processes in the distributed
mode). A rolled back session announces nothing. The outbox's own updates (Core statements) note
their threads in the session (:data:`crisisdesk.channels.outbox.TOUCHED`); those are the system's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, UOWTransaction

from crisisdesk.channels.models import OutboxItem
from crisisdesk.channels.outbox import TOUCHED
from crisisdesk.inbox.models import ConversationEvent

Announce = Callable[[dict[str, Any]], None]

_KEY = "crisisdesk.inbox.changed"
_lock = threading.Lock()
_announcers: dict[int, tuple[Engine, Announce]] = {}


def watch(engine: Engine, announce: Announce) -> None:
    """Announce committed inbox changes made on ``engine`` (one announcer per engine)."""
    with _lock:
        _announcers[id(engine)] = (engine, announce)


def unwatch(engine: Engine) -> None:
    with _lock:
        _announcers.pop(id(engine), None)


def _noted(session: Session) -> dict[str, set[Any]]:
    found: dict[str, set[Any]] = session.info.setdefault(_KEY, {"conversations": set(), "threads": set(),
                                                                 "by": set()})
    return found


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, ConversationEvent):
            noted = _noted(session)
            noted["conversations"].add(obj.conversation_id)
            noted["by"].add(obj.actor)
        elif isinstance(obj, OutboxItem) and obj.thread:
            noted = _noted(session)
            noted["threads"].add(obj.thread)
            noted["by"].add(obj.created_by if obj in session.new else "system")


def _engine_of(bind: Engine | Connection | None) -> Engine | None:
    if isinstance(bind, Connection):
        return bind.engine
    return bind


def _after_commit(session: Session) -> None:
    noted = session.info.pop(_KEY, None)
    outbox = session.info.pop(TOUCHED, None)
    if outbox:
        noted = noted or {"conversations": set(), "threads": set(), "by": set()}
        noted["threads"].update(outbox)
        noted["by"].add("system")
    if not noted or not (noted["conversations"] or noted["threads"]):
        return
    engine = _engine_of(session.bind)
    with _lock:
        found = _announcers.get(id(engine)) if engine is not None else None
    if found is None or found[0] is not engine:
        return
    found[1]({"event": "inbox.changed", "conversations": sorted(noted["conversations"]),
              "threads": sorted(noted["threads"]), "by": sorted(noted["by"])})


def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
    session.info.pop(TOUCHED, None)


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_rollback", _after_rollback)
