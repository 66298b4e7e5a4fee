"""IANA time zones: checking a name, and the list a form offers.

Times are stored in UTC (see :mod:`crisisdesk.core.clock`) and shown in a zone that a person
chose (their own, else the workspace's), so every check of a zone name goes through here.
"""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

#: The workspace's zone when its configuration names none: the team this was built for works in
#: Germany, and the escalation's working hours default to the same zone.
DEFAULT_ZONE = "Europe/Berlin"


def check_zone(value: str) -> str:
    """The name as given when it is a known IANA zone; ValueError naming it otherwise."""
    name = value.strip()
    try:
        if not name or name.startswith(("/", ".")):
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (an IANA name such as Europe/Berlin or UTC)") from exc
    return name


@functools.cache
def zone_names() -> tuple[str, ...]:
    """Every zone a person may pick, sorted (for a form's suggestions)."""
    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))
