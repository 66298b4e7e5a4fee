"""The audit log as it leaves the service: one entry, a page of them, and the query filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    actor_user_id: int | None
    action: str
    target_type: str | None
    target_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str | None


class AuditPage(BaseModel):
    entries: list[AuditEntryRead]
    #: Pass as ``before_id`` for the next (older) page; None on the last page.
    next_before_id: int | None


class AuditFilter(BaseModel):
    """All given conditions must hold; ``since`` is inclusive, ``until`` exclusive."""

    actor: str | None = Field(default=None, description="Exact actor, e.g. lena@example.org or cli:root")
    actor_user_id: int | None = None
    action: str | None = Field(default=None, description="Exact action, or a prefix ending in '.': user.")
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
