"""The review's changes as they cross the API and the page forms: notes and improvement actions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

NoteText = Annotated[str, Field(max_length=20_000)]


class NotesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strengths: NoteText = ""
    weaknesses: NoteText = ""
    internal_views: NoteText = Field(default="", max_length=20_000, description="What the team says of it.")
    external_views: NoteText = Field(default="", max_length=20_000, description="What people outside said.")


class NotesOut(BaseModel):
    strengths: str
    weaknesses: str
    internal_views: str
    external_views: str
    updated_at: str | None
    updated_by: str | None


class ImprovementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    owner: str = Field(min_length=1, max_length=255, description="A person's e-mail or key, or role:NAME.")
    due_at: AwareDatetime = Field(description="When it is due (with its time zone).")
    links_to: str | None = Field(
        default=None,
        max_length=255,
        pattern=r"^(playbook|rule|monitor|policy):\S.*$",
        description="What it changes: playbook:KEY, rule:NAME, monitor:NAME, policy:NAME.",
    )


class DoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    done: bool = Field(strict=True)


class ImprovementOut(BaseModel):
    id: int
    crisis: int
    title: str
    owner: str
    due_at: str
    links_to: str | None
    done: bool = Field(strict=True)
    done_at: str | None
    done_by: str | None
    overdue: bool
    created_at: str
    created_by: str


class QuestionnaireIn(BaseModel):
    """One person's answers to the team's questionnaire (at least one)."""

    model_config = ConfigDict(extra="forbid")

    went_well: str = Field(default="", max_length=4000)
    went_badly: str = Field(default="", max_length=4000)
    change: str = Field(default="", max_length=4000)
    prepared: int | None = Field(default=None, ge=1, le=5, strict=True, description="1 not at all … 5 fully.")


class QuestionnaireOut(BaseModel):
    person: str
    went_well: str
    went_badly: str
    change: str
    prepared: int | None
    answered_at: datetime


class AskedOut(BaseModel):
    asked: list[str] = Field(description="The person keys asked this time (empty: all were asked before).")
