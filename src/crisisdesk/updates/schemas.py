"""What crosses the HTTP boundary for stakeholder updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from crisisdesk.updates.config import Audience, AudiencePlan, Phase


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    audiences: list[AudiencePlan] = Field(description="The crisis's plan, replacing its current one.")


class DueOut(BaseModel):
    audience: Audience
    at: datetime | None = Field(description="When the next update is due; null: none is due.")
    reason: str | None = Field(description="first, cadence or change.")
    missed: bool
    last_published_at: datetime | None


class PlanOut(BaseModel):
    source: str = Field(description="playbook:TYPE while as copied, edited after a change.")
    audiences: list[AudiencePlan]
    due: list[DueOut]


class UpdateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    audience: Audience
    lang: Literal["de", "en"] = "de"


class UpdateChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=300)
    body: str | None = Field(default=None, min_length=1, max_length=20_000)
    channels: list[str] | None = Field(default=None, min_length=1, max_length=40)
    phase: Phase | None = None
    next_update_at: AwareDatetime | None = None


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field(min_length=1, max_length=2000, description="Why, for the author.")


class PublicationOut(BaseModel):
    channel: str
    state: str = Field(description="queued, delivered, partly or failed.")
    detail: str
    at: datetime


class UpdateOut(BaseModel):
    id: int
    crisis_id: int
    audience: str
    lang: str
    phase: str
    title: str
    body: str
    channels: list[str]
    status: str = Field(description="draft, awaiting_approval, approved, rejected or published.")
    findings: list[dict[str, Any]] = Field(description="The guideline checker's findings when submitted.")
    next_update_at: datetime | None
    created_at: datetime
    created_by: str
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None
    published_at: datetime | None
    published_by: str | None
    publications: list[PublicationOut]
