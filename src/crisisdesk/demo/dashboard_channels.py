"""The demo's channel panel: what arrived on each of Voltaro's channels, and what became of it.

The numbers are the channels' own records (the stored deliveries by status and the unparsed parts,
as ``crisisdesk channels list`` counts them), read after every replay step, plus the posts the
processor made of them. So the panel shows what crisisdesk received, not what the demo meant to
send; ``sent`` and ``refused`` are the demo's side (deliveries posted, or articles published),
which the totals must match.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

from rich.table import Table
from rich.text import Text
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from crisisdesk.channels.models import ChannelDelivery, DeliveryStatus, UnparsedItem
from crisisdesk.demo.own_channels import DemoChannel

LABELS: Final[dict[str, str]] = {
    "title": "Voltaro's channels",
    "channel": "Channel",
    "via": "via",
    "received": "received",
    "processed": "processed",
    "posts": "posts",
    "unparsed": "unparsed",
    "failed": "failed",
    "webhook": "webhook",
    "feed": "feed",
}


@dataclass
class ChannelRow:
    key: str
    platform: str
    way: str
    #: The demo's side: deliveries posted and accepted (articles published), and refused ones.
    sent: int = 0
    refused: int = 0
    #: crisisdesk's side: deliveries stored, processed, waiting, failed; posts made; parts kept unparsed.
    received: int = 0
    processed: int = 0
    waiting: int = 0
    failed: int = 0
    posts: int = 0
    unparsed: int = 0


class ChannelBoard:
    """Per channel counts; empty (and not shown) when the demo runs without channels."""

    def __init__(self, channels: Sequence[DemoChannel] = ()) -> None:
        self.rows = {c.key: ChannelRow(c.key, c.platform, c.way) for c in channels}

    def __bool__(self) -> bool:
        return bool(self.rows)

    def refresh(self, engine: Engine) -> None:
        """Read the stored deliveries and unparsed parts of the demo's channels (two small queries)."""
        keys = list(self.rows)
        if not keys:
            return
        with engine.connect() as conn:
            by_status = conn.execute(
                select(ChannelDelivery.channel, ChannelDelivery.status, func.count())
                .where(ChannelDelivery.channel.in_(keys))
                .group_by(ChannelDelivery.channel, ChannelDelivery.status)).all()
            unparsed: dict[str, int] = dict(conn.execute(
                select(UnparsedItem.channel, func.count()).where(UnparsedItem.channel.in_(keys))
                .group_by(UnparsedItem.channel)).all())
        for row in self.rows.values():
            counts = {status: n for channel, status, n in by_status if channel == row.key}
            row.received = sum(counts.values())
            row.processed = counts.get(DeliveryStatus.PROCESSED.value, 0)
            row.waiting = counts.get(DeliveryStatus.PENDING.value, 0)
            row.failed = counts.get(DeliveryStatus.FAILED.value, 0)
            row.unparsed = unparsed.get(row.key, 0)

    def count_posts(self, by_channel: Mapping[str, int]) -> None:
        """Posts the processor made of the channels' deliveries (its report per channel)."""
        for key, posts in by_channel.items():
            if key in self.rows:
                self.rows[key].posts += posts

    def table(self, title: str | None = None) -> Table:
        table = Table(title=title or LABELS["title"], title_justify="left", expand=True)
        table.add_column(LABELS["channel"], style="bold cyan", no_wrap=True)
        table.add_column(LABELS["via"], no_wrap=True)
        for name in ("received", "processed", "posts", "unparsed", "failed"):
            table.add_column(LABELS[name], justify="right")
        for row in self.rows.values():
            waiting = f" (+{row.waiting:,})" if row.waiting else ""
            table.add_row(row.key, f"{row.platform} {LABELS[row.way]}", f"{row.received:,}",
                          f"{row.processed:,}{waiting}", f"{row.posts:,}",
                          Text(f"{row.unparsed:,}", style="yellow" if row.unparsed else ""),
                          Text(f"{row.failed:,}", style="red" if row.failed else ""))
        return table

    def summary(self) -> dict[str, dict[str, Any]]:
        return {key: asdict(row) for key, row in self.rows.items()}
