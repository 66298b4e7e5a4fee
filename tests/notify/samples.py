"""Notifications and targets that tests share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from crisisdesk.notify.schemas import Notification, NotificationKind, TopPost

T0 = datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
SECRET = "s3cret-that-is-long-enough"
BOT_TOKEN = "123456:ABC-def_ghi"


def notification(**overrides: Any) -> Notification:
    values: dict[str, Any] = {
        "situation_id": 42,
        "monitor": "bahn",
        "severity": 4,
        "kind": NotificationKind.OPENED,
        "title": "Zugausfälle rund um Berlin",
        "summary": "Negative Erwähnungen 6× über dem Normalwert seit 07:40.",
        "reasons": ("312 Beiträge in 30 min (normal 48)", "41 % Beleidigungen"),
        "top_terms": ("ausfall", "s-bahn", "stellwerk"),
        "top_posts": (
            TopPost(text="Schon wieder alles <kaputt> & keiner sagt was", url="https://x.com/a/status/1",
                    author="@pendlerin", reach=12345),
            TopPost(text="Stellwerksstörung in Ostkreuz", author="@rbb24"),
        ),
        "channels": ("x", "mastodon"),
        "ack_url": "https://crisisdesk.example/ack/42?t=abc&step=1",
        "lang": "de",
        "occurred_at": T0 - timedelta(minutes=35),
    }
    values.update(overrides)
    return Notification(**values)


class FakeClock:
    """A clock that only moves when told to; ``sleep`` moves it (and records the wish)."""

    def __init__(self, start: datetime = T0) -> None:
        self._now = start
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)
