"""Reading and saving the stored configuration; which one is in force.

Until a configuration is imported (``crisisdesk config import``, or saved in the browser), the
workspace file is in force, as before. From then on the database is: the file becomes what it is
imported from and exported to, and every process of a deployment sees the same configuration.
A saved document is validated exactly like the file (same parser, same errors with their place).
Literal secrets are masked for every reader and kept when a document comes back masked
(:mod:`.secrets`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy import text as sql
from sqlalchemy.engine import Connection, Engine

from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.configuration.models import WorkspaceDocument
from crisisdesk.configuration.secrets import mask_text, unmask_text
from crisisdesk.workspace import Workspace, WorkspaceConfig, parse_config

_docs: Table = WorkspaceDocument.__table__  # type: ignore[assignment]
STORED = "database"  # how a stored document is named in error messages


@dataclass(frozen=True)
class Stored:
    version: int
    text: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class Change:
    """What one form or API call changed (for the audit log; secrets already masked)."""

    kind: str
    key: str
    before: Any
    after: Any


def latest(conn: Connection) -> Stored | None:
    row = conn.execute(select(_docs).order_by(_docs.c.id.desc()).limit(1)).first()
    return None if row is None else Stored(row.id, row.text, row.created_at, row.created_by)


def lock(conn: Connection) -> None:
    """Serialise writers for the rest of the transaction, so that two people changing different
    items at the same moment both keep their change (each edit reads the newest version first).
    SQLite serialises writers by itself."""
    if conn.dialect.name == "postgresql":
        conn.execute(sql("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


_LOCK_KEY = 0x63726973  # "cris": the one lock of the configuration


def current_text(conn: Connection, fallback: str) -> str:
    """The text in force, under the writers' lock: the stored document, else ``fallback`` (the
    workspace file's text)."""
    lock(conn)
    stored = latest(conn)
    return stored.text if stored is not None else fallback


def save(conn: Connection, text: str, *, actor: Actor, at: datetime, note: str | None = None,
         ip: str | None = None, change: Change | None = None,
         fallback: str | None = None) -> tuple[Stored, WorkspaceConfig]:
    """Validate and store a new version (raises ConfigError naming the place of every problem).

    A secret sent back masked (as every reader gets it) keeps the value stored at the same place
    of the document in force: the newest version, else ``fallback`` (the workspace file's text).
    ``change`` is what a per-item edit changed; the audit entry then shows that item before and
    after instead of only the version numbers."""
    lock(conn)
    before = latest(conn)
    text = unmask_text(text, before.text if before is not None else fallback)
    config = parse_config(text, path=STORED)
    version = conn.execute(insert(_docs).values(text=text, created_at=at, created_by=actor.label,
                                                note=note).returning(_docs.c.id)).scalar_one()
    after: dict[str, Any] = {"version": version, "monitors": [m.name for m in config.monitors], "note": note}
    target_type, target_id = "workspace", int(version)  # type: str, str | int
    before_entry: dict[str, Any] | None = {"version": before.version} if before else None
    if change is not None:
        target_type, target_id = f"config.{change.kind}", change.key
        before_entry = {**(before_entry or {}), "value": change.before}
        after = {"version": version, "value": change.after, "note": note}
    record(conn, actor=actor, action=AuditAction.CONFIG_CHANGED, at=at, target_type=target_type,
           target_id=target_id, ip=ip, before=before_entry, after=after)
    return Stored(int(version), text, at, actor.label), config


def in_force(engine: Engine, workspace: Workspace) -> Workspace:
    """The workspace with the stored configuration when there is one (database wins)."""
    with engine.connect() as conn:
        stored = latest(conn)
    if stored is None:
        return workspace
    return dataclasses.replace(workspace, config=parse_config(stored.text, path=STORED),
                               stored_version=stored.version)


def file_ignored(file_workspace: Workspace, in_force: Workspace) -> int | None:
    """The stored version in force when the workspace file says something else (so its edits are
    ignored until imported); None when the file is in force or says the same. Comments, layout
    and the ``database`` section (which is always read from the file) do not count as different."""
    if in_force.stored_version is None:
        return None
    ignore = {"database"}
    if file_workspace.config.model_dump(exclude=ignore) == in_force.config.model_dump(exclude=ignore):
        return None
    return in_force.stored_version


def export_text(engine: Engine, workspace: Workspace, *, include_secrets: bool = False) -> str:
    """The configuration in force as YAML: the stored document, else the workspace file; literal
    secrets masked unless ``include_secrets`` (only ``crisisdesk config export`` asks for them)."""
    with engine.connect() as conn:
        stored = latest(conn)
    text = stored.text if stored is not None else workspace.path.read_text(encoding="utf-8")
    return text if include_secrets else mask_text(text)


def stored_in_force(workspace: Workspace) -> Workspace:
    """:func:`in_force` for commands that must not create or migrate a database just to look: an
    absent SQLite file or a database without the table means the file is in force."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from crisisdesk.db import make_engine

    url = make_url(workspace.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return workspace
    engine = make_engine(workspace.database_url)
    try:
        if not inspect(engine).has_table(WorkspaceDocument.__tablename__):
            return workspace
        return in_force(engine, workspace)
    finally:
        engine.dispose()
