"""Times as the Graph API writes them: ISO 8601 with a ``+0000`` offset
(``2026-12-01T10:00:00+0000``), in list answers, insights ``end_time`` and Instagram webhooks."""

from __future__ import annotations

from datetime import UTC, datetime


def graph_time(value: object) -> datetime | None:
    """A Graph time as an aware datetime (one without an offset is UTC), None where it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("+0000", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
