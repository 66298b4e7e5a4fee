"""Inbox teams as the workspace declares them: who belongs to a team, and when each member is on
shift (round-robin assignment only picks members on shift).

```yaml
inbox:
  teams:
    care:
      title: Kundenservice
      members:
        - anna@example.com                      # on shift whenever her account is active
        - user: ben@example.com
          shift: {days: [mon, tue, wed, thu, fri], start: "14:00", end: "22:00"}
      max_open: 25                              # round robin skips a member with this many open
```

Members are accounts (their e-mail address), not the people of the escalation chain: the inbox
is worked by people who sign in. An address with no active account is skipped when assigning, so
that a colleague who left never receives work.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crisisdesk.escalation.config import WorkingHours

_TEAM = r"^[\w][\w.\-]*$"


class Member(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$",
                      description="The member's account (its e-mail address).")
    shift: WorkingHours | None = Field(default=None, description="None: on shift whenever active.")

    @field_validator("user")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


class TeamConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str | None = Field(default=None, max_length=200, description="What the team sees.")
    members: list[Member] = Field(min_length=1)
    max_open: int | None = Field(default=None, ge=1, le=10_000, description="Round robin passes over a "
                                 "member with this many open conversations.")

    @field_validator("members", mode="before")
    @classmethod
    def _addresses(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"user": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _once(self) -> TeamConfig:
        seen: set[str] = set()
        for m in self.members:
            if m.user in seen:
                raise ValueError(f"member {m.user!r} given twice")
            seen.add(m.user)
        return self


def check_team_name(name: str) -> str:
    if not re.match(_TEAM, name) or len(name) > 64:
        raise ValueError(f"team name {name!r}: letters, digits, _ . - (at most 64)")
    return name
