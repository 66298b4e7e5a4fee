"""The cadence as a table: what is due when, for each rule (first, every N hours, on change)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crisisdesk.updates.cadence import CrisisNow, Due, next_due
from crisisdesk.updates.config import Audience, AudiencePlan

T0 = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def crisis(severity: int = 3, *, open_: bool = True, since: float = 0, levels: dict[int, float] | None = None,
           typ: str | None = "safety") -> CrisisNow:
    state = {"severity": severity, "type": typ, "status": "open" if open_ else "resolved"}
    lv = levels if levels is not None else dict.fromkeys(range(1, severity + 1), 0.0)
    return CrisisNow(open=open_, severity=severity, state=state, state_since=h(since),
                     level_since={k: h(v) for k, v in lv.items()})


EVERY2 = AudiencePlan(audience=Audience.CUSTOMERS, channels=["status_page"], every_hours=2, from_severity=2)
CHANGES = AudiencePlan(audience=Audience.PRESS, channels=["press_release"], every_hours=None, from_severity=3)
QUIET = AudiencePlan(audience=Audience.PARTNERS, channels=["status_page"], every_hours=4, on_change=False)
SAME = {"severity": 3, "type": "safety", "status": "open"}

CASES = [
    # nothing told yet: the first update within the hour of reaching the level
    ("first, cadence", EVERY2, crisis(3, levels={1: 0, 2: 0.5, 3: 1}), None, None, Due(h(1.5), "first")),
    ("first, changes only: at once", CHANGES, crisis(3, levels={1: 0, 2: 0, 3: 2}), None, None,
     Due(h(2), "first")),
    ("below the level: nothing", CHANGES, crisis(2, levels={1: 0, 2: 0}), None, None, None),
    # after an update: every two hours while at the level
    ("cadence", EVERY2, crisis(3), h(3), SAME, Due(h(5), "cadence")),
    ("level fell below: no cadence", EVERY2, crisis(1, since=3.5), h(3), {**SAME, "severity": 1}, None),
    # a change after the last update makes one due at once, before the cadence
    ("change", EVERY2, crisis(4, since=3.5), h(3), SAME, Due(h(3.5), "change")),
    ("change told already", EVERY2, crisis(4, since=2.5), h(3), {**SAME, "severity": 4},
     Due(h(5), "cadence")),
    ("change but not wanted", QUIET, crisis(4, since=3.5), h(3), SAME, Due(h(7), "cadence")),
    # resolved: one last update on the change, then nothing
    ("resolved: last update", EVERY2, crisis(3, open_=False, since=6), h(5), SAME, Due(h(6), "change")),
    ("resolved and told", EVERY2, crisis(3, open_=False, since=6), h(6.5),
     {**SAME, "status": "resolved"}, None),
    ("resolved, never told", EVERY2, crisis(3, open_=False), None, None, None),
]


@pytest.mark.parametrize(("name", "plan", "now", "last_at", "last_state", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_next_due(name: str, plan: AudiencePlan, now: CrisisNow, last_at: datetime | None,
                  last_state: dict[str, object] | None, expected: Due | None) -> None:
    assert next_due(plan, now, last_at=last_at, last_state=last_state) == expected


def test_missed_after_the_grace() -> None:
    due = Due(h(2), "cadence")
    assert not due.missed(h(2.4), timedelta(minutes=30))
    assert due.missed(h(2.5), timedelta(minutes=30))
