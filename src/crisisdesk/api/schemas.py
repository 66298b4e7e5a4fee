"""What the JSON API answers beyond the dashboards' own models (:mod:`crisisdesk.dashboards.schemas`),
and the bodies it accepts for changes to situations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crisisdesk.dashboards.schemas import MonitorPage, PostRow, Series, SituationMarker


class ErrorOut(BaseModel):
    """Every refusal except a validation error: ``detail`` says what is wrong."""

    detail: str = Field(examples=["no situation 42"])


#: The documented error answers of a read that needs permission ``view``.
READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not signed in (no or an unknown token / session)."},
    403: {"model": ErrorOut, "description": "Signed in, but the role lacks the permission."},
}


def errors(**extra: str) -> dict[int | str, dict[str, Any]]:
    """``READ_ERRORS`` plus more, e.g. ``errors(e404="no such monitor")``."""
    out = dict(READ_ERRORS)
    for key, description in extra.items():
        code = int(key.removeprefix("e"))
        out[code] = {"description": description, "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/HTTPValidationError"}}}} if code == 422 else {
            "model": ErrorOut, "description": description}
    return out


class PostList(BaseModel):
    """One page of posts, newest first."""

    items: list[PostRow]
    next: str | None = Field(description="Opaque: pass back as `?cursor=` (with the same filters) for the "
                             "next, older page; null when nothing older matches.")
    partial: bool = Field(default=False, description="The page stopped at the bound of posts one request "
                          "examines (a rare filter or search term): it may hold fewer than `limit` items "
                          "although `next` continues further back.")


class MonitorRead(BaseModel):
    id: int
    name: str
    query: str
    description: str | None = Field(default=None, description="From the configuration.")
    active: bool = Field(description="False once removed from the configuration (its data is kept).")


class MonitorDetail(MonitorRead):
    """The monitor with everything its page shows for the chosen range."""

    dashboard: MonitorPage


class MonitorSeries(Series):
    """The monitor page's volume chart: one point per step, empty steps included, and the
    situations marked on it."""

    monitor_id: int
    monitor: str
    situations: list[SituationMarker]


class SeverityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    severity: int = Field(ge=1, le=4, strict=True, examples=[3])
    reason: str = Field(min_length=1, max_length=2000, examples=["Press enquiry from a national paper"])

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give a reason for the change")
        return value


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=2000, examples=["Statement published, volume back to normal"])


class SituationChanged(BaseModel):
    """The event a person's change produced (live pages and notifications get the same)."""

    event: Literal["alert.updated", "alert.resolved"]
    situation: int
    monitor: str
    cause: str
    severity: int
    severity_name: str
    previous_severity: int | None = Field(default=None, description="Only for a severity change.")
    at: datetime
    by: str
    reason: str
    via: str
    manual: bool = True
