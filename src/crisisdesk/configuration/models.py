"""Versions of the workspace configuration (the YAML document, as people wrote it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crisisdesk.db import Base, BigIntKey, UTCDateTime


class WorkspaceDocument(Base):
    """One saved version; the newest is the configuration in force. Old versions stay, so a change
    can be looked up and undone (the audit log names who saved which version)."""

    __tablename__ = "workspace_documents"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
