"""``inbox.business_hours`` and ``inbox.sla`` as the workspace declares them.

```yaml
inbox:
  business_hours: {days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00",
                   timezone: Europe/Berlin, holidays: [2026-12-24, 2026-12-25, 2026-12-26]}
  sla:
    enabled: true
    business_hours: true        # count business minutes only (false: every minute counts)
    warn_before_minutes: 30     # the view "SLA soon due" shows tickets this close to a due time
    targets:                    # minutes; a priority or target not given keeps its default
      urgent: {first_response: 30, next_response: 60, resolution: 480}
      low: {resolution: null}   # null: no such target for this priority
    severity: {urgent: 4, high: 3, normal: 2, low: 1}   # of the situation a breach opens
```
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crisisdesk.inbox.calendar import BusinessHours
from crisisdesk.inbox.models import Priority

__all__ = ["BusinessHours", "SlaConfig", "Targets"]

#: Longest target: a quarter of a year of (business) minutes.
_MAX_MINUTES = 90 * 24 * 60


class Targets(BaseModel):
    """Minutes until the first answer, until each later answer (after the person wrote again), and
    until the ticket is resolved; None: no such target."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_response: int | None = Field(default=None, gt=0, le=_MAX_MINUTES)
    next_response: int | None = Field(default=None, gt=0, le=_MAX_MINUTES)
    resolution: int | None = Field(default=None, gt=0, le=_MAX_MINUTES)


DEFAULT_TARGETS: dict[Priority, Targets] = {
    Priority.URGENT: Targets(first_response=30, next_response=60, resolution=480),
    Priority.HIGH: Targets(first_response=60, next_response=120, resolution=1440),
    Priority.NORMAL: Targets(first_response=240, next_response=480, resolution=2880),
    Priority.LOW: Targets(first_response=480, next_response=960, resolution=5760),
}
DEFAULT_SEVERITY: dict[Priority, int] = {
    Priority.URGENT: 4,
    Priority.HIGH: 3,
    Priority.NORMAL: 2,
    Priority.LOW: 1,
}


class SlaConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=False, description="Tickets get due times; breaches are escalated.")
    business_hours: bool = Field(default=True, description="Count only the minutes of inbox.business_hours.")
    warn_before_minutes: int = Field(
        default=30, ge=0, le=7 * 24 * 60, description="How close to a due time a ticket shows as soon due."
    )
    targets: dict[Priority, Targets] = Field(default_factory=lambda: dict(DEFAULT_TARGETS))
    severity: dict[Priority, int] = Field(default_factory=lambda: dict(DEFAULT_SEVERITY))

    @field_validator("targets", mode="before")
    @classmethod
    def _merge_targets(cls, value: Any) -> Any:
        """A priority or a target left out keeps its default (an explicit null removes it)."""
        if not isinstance(value, dict):
            return value
        merged: dict[Any, Any] = {p.value: DEFAULT_TARGETS[p].model_dump() for p in Priority}
        for key, given in value.items():
            base = merged.get(key)
            merged[key] = {**base, **given} if isinstance(base, dict) and isinstance(given, dict) else given
        return merged

    @field_validator("severity", mode="before")
    @classmethod
    def _merge_severity(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {**{p.value: s for p, s in DEFAULT_SEVERITY.items()}, **value}

    @field_validator("severity")
    @classmethod
    def _levels(cls, value: dict[Priority, int]) -> dict[Priority, int]:
        bad = {p.value: s for p, s in value.items() if not 1 <= s <= 4}
        if bad:
            raise ValueError(f"severity is 1 to 4: {bad}")
        return value

    def target(self, priority: str, kind: str) -> int | None:
        minutes: int | None = getattr(self.targets[Priority(priority)], kind)
        return minutes

    def severity_of(self, priority: str) -> int:
        return self.severity[Priority(priority)]
