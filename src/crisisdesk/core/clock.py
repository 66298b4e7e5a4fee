"""Clocks: every "now" in crisisdesk goes through one, so replays can run on stream time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Something that says what time it is."""

    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time, timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class StreamClock:
    """Time as the stream tells it: the newest ``created_at`` seen so far.

    Replays and imports use it so that detection (later) reasons about when posts were written, not
    about when the file happened to be read. It never runs backwards: a late post does not rewind it.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(1970, 1, 1, tzinfo=UTC)

    def advance(self, to: datetime) -> None:
        if to > self._now:
            self._now = to

    def now(self) -> datetime:
        return self._now
