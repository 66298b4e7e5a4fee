"""When the next update to an audience is due, as a pure function of the plan and the crisis.

Three things make an update due, the earliest wins:

* **first**: nobody of this audience has heard anything yet and the crisis has reached the plan's
  ``from_severity``: due then (with a cadence: within at most an hour, the holding statement);
* **cadence**: ``every_hours`` after the last published update while the crisis is open and at or
  above ``from_severity``;
* **change**: the crisis's status (severity, type, open or resolved) differs from what the last
  update told, and changed after it: due at once (``on_change``). A resolved crisis asks for one
  last update this way and then nothing more.

An update is *missed* once it is ``grace`` overdue: then the crisis lead hears of it (reminders.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crisisdesk.updates.config import AudiencePlan

FIRST_WITHIN = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class CrisisNow:
    """What the cadence needs to know of a crisis."""

    open: bool
    severity: int
    #: What an update tells of it (``{"severity", "type", "status"}``); compared with the last one's.
    state: Mapping[str, Any]
    #: Since when ``state`` holds (first seen by the sweep).
    state_since: datetime
    #: Since when the crisis has been at or above each level (first seen), for levels reached.
    level_since: Mapping[int, datetime]


@dataclass(frozen=True, slots=True)
class Due:
    at: datetime
    reason: str  # first | cadence | change

    def missed(self, now: datetime, grace: timedelta) -> bool:
        return now >= self.at + grace


def next_due(plan: AudiencePlan, crisis: CrisisNow, *, last_at: datetime | None,
             last_state: Mapping[str, Any] | None) -> Due | None:
    """The next update due to ``plan``'s audience, or None while none is due at all."""
    candidates: list[Due] = []
    at_level = crisis.open and crisis.severity >= plan.from_severity
    if last_at is None:
        reached = min((at for lv, at in crisis.level_since.items() if lv >= plan.from_severity), default=None)
        if at_level and reached is not None:
            within = timedelta(0)
            if plan.every_hours:
                within = min(FIRST_WITHIN, timedelta(hours=plan.every_hours))
            candidates.append(Due(reached + within, "first"))
    else:
        if at_level and plan.every_hours:
            candidates.append(Due(last_at + timedelta(hours=plan.every_hours), "cadence"))
        changed = last_state is not None and dict(last_state) != dict(crisis.state)
        if plan.on_change and changed and crisis.state_since > last_at:
            candidates.append(Due(crisis.state_since, "change"))
    return min(candidates, key=lambda d: d.at) if candidates else None
