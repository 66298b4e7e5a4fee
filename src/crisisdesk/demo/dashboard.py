"""A live terminal view of the ingest stream for ``crisisdesk demo``, driven by pipeline events.

It reasons on *stream* time (the newest time it has seen in the events), never on the wall clock, so a
replay of two weeks in thirty seconds shows the same rates and sparklines as the real fortnight would.
Memory stays bounded however long the stream is: per-minute and per-hour counters live in deques
pruned by stream time, and the top posts are kept per minute in heaps of at most ``top_n`` entries,
which is enough to know the exact top ``top_n`` of the whole window without holding every post.
The situation lifecycle (``alert.*`` events, notifications) has its own panels in ``dashboard_alerts``,
what arrived on Voltaro's channels its own table in ``dashboard_channels``.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crisisdesk.demo.buckets import BucketSeries as BucketSeries  # re-exported: older imports
from crisisdesk.demo.dashboard_alerts import SituationBoard
from crisisdesk.demo.dashboard_channels import ChannelBoard

# Every label on screen, in one place so a later i18n pass only has to swap this mapping.
LABELS: Final[dict[str, str]] = {
    "stream_time": "Stream time",
    "posts": "Posts",
    "updates": "updates",
    "waiting": "waiting for the first event…",
    "monitors": "Monitors",
    "monitor": "Monitor",
    "per_minute": "/min ({window} min)",
    "in_window": "in window",
    "total": "total",
    "negative": "negative",
    "last_24h": "last 24 h (hourly)",
    "top_posts": "Top posts of the last {window} min by reach",
    "reach": "Reach",
    "platform": "Platform",
    "author": "Author",
    "matched": "Monitors",
    "text": "Text",
    "no_posts": "no matched posts in the window yet",
    "events": "Events",
}
SPARK_CHARS: Final = "▁▂▃▄▅▆▇█"
SPARK_HOURS: Final = 24
POST_EVENT: Final = "post.ingested"
_EVENT_LOG_SIZE: Final = 5
_TEXT_CHARS: Final = 90


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO string (naive strings are taken as UTC), else ``None``."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def reach(post: Mapping[str, Any]) -> int:
    """How many people a post can reach: the author's followers plus likes, shares and replies."""
    author = post.get("author") or {}
    metrics = post.get("metrics") or {}
    parts = (author.get("followers"), metrics.get("likes"), metrics.get("shares"), metrics.get("replies"))
    return sum(int(p) for p in parts if isinstance(p, int | float))


def sparkline(values: Sequence[int]) -> str:
    """Unicode blocks scaled to the largest value; an empty bucket is a blank so gaps stay visible."""
    peak = max(values, default=0)
    if peak <= 0:
        return " " * len(values)
    steps = len(SPARK_CHARS)
    return "".join(" " if v <= 0 else SPARK_CHARS[min(steps - 1, (v * steps - 1) // peak)] for v in values)


def one_line(text: str, limit: int = _TEXT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


@dataclass
class MonitorStats:
    minutes: BucketSeries
    hours: BucketSeries
    negative: BucketSeries  # per minute, posts the analysis called negative
    total: int = 0


@dataclass(order=True)
class _Ranked:
    reach: int
    seq: int
    key: tuple[str, str] = field(compare=False)
    post: dict[str, Any] = field(compare=False)
    monitors: tuple[str, ...] = field(compare=False)


class LiveDashboard:
    """The state behind the demo's live screen; feed it events, hand it to ``rich.live.Live``."""

    def __init__(self, monitor_names: Sequence[str], *, title: str = "crisisdesk demo",
                 window_minutes: int = 60, top_n: int = 5, people: Mapping[str, str] | None = None) -> None:
        if window_minutes < 1 or top_n < 1:
            raise ValueError("window_minutes and top_n must be at least 1")
        self.title = title
        self.window_minutes = window_minutes
        self.top_n = top_n
        self._stats: dict[str, MonitorStats] = {}
        for name in monitor_names:
            self._monitor(name)
        self._all = MonitorStats(BucketSeries(window_minutes), BucketSeries(SPARK_HOURS),
                                 BucketSeries(window_minutes))
        self._clock: datetime | None = None
        self._first: datetime | None = None
        self._updates = 0
        self._top: deque[tuple[int, list[_Ranked]]] = deque()  # (minute, min-heap of <= top_n)
        self._seq = itertools.count()
        self._events: deque[tuple[str, str, str]] = deque(maxlen=_EVENT_LOG_SIZE)
        self._event_counts: dict[str, int] = {}
        self.alerts = SituationBoard(people)  # person key -> name, for who was notified
        #: Per channel counts, filled by the demo when its workspace has channels (else not shown).
        self.channels = ChannelBoard()
        #: Fit the terminal's height (a live screen); False: render everything (a printed report).
        self.fit = False

    # --- feeding ---------------------------------------------------------------------------------

    def observe(self, event: Mapping[str, Any]) -> None:
        """Take one pipeline event; anything malformed or unknown is noted, never raised."""
        name = str(event.get("event") or "?")
        self._event_counts[name] = self._event_counts.get(name, 0) + 1
        at = parse_time(event.get("at"))
        if name != POST_EVENT:
            self._advance(at)
            if not self.alerts.observe(event, at):
                self._events.append((name, at.isoformat(timespec="seconds") if at else "", _details(event)))
            return
        post = event.get("post")
        if not isinstance(post, Mapping):
            return
        created = parse_time(post.get("created_at")) or at
        self._advance(at)
        self._advance(created)
        if created is None:
            return
        monitors = tuple(str(m) for m in event.get("monitors") or ())
        minute, hour = _minute(created), _hour(created)
        now_minute, now_hour = self._now_minute(), self._now_hour()
        if event.get("action") == "updated":
            self._updates += 1
            if not self._refresh_top(post, monitors) and monitors:
                self._remember_top(minute, now_minute, post, monitors)
            return
        enrichment = post.get("enrichment")
        sentiment = enrichment.get("sentiment") if isinstance(enrichment, Mapping) else None
        negative = isinstance(sentiment, Mapping) and sentiment.get("label") == "negative"
        for stats in (self._all, *(self._monitor(m) for m in monitors)):
            stats.total += 1
            stats.minutes.add(minute, now_minute)
            stats.hours.add(hour, now_hour)
            if negative:
                stats.negative.add(minute, now_minute)
        if monitors:
            self._remember_top(minute, now_minute, post, monitors)

    def _monitor(self, name: str) -> MonitorStats:
        if name not in self._stats:
            self._stats[name] = MonitorStats(BucketSeries(self.window_minutes), BucketSeries(SPARK_HOURS),
                                             BucketSeries(self.window_minutes))
        return self._stats[name]

    def _advance(self, at: datetime | None) -> None:
        """Move the stream clock forward (never back) and let old buckets fall out of the window."""
        if at is None:
            return
        if self._first is None or at < self._first:
            self._first = at
        if self._clock is not None and at <= self._clock:
            return
        self._clock = at
        now_minute, now_hour = self._now_minute(), self._now_hour()
        for stats in (self._all, *self._stats.values()):
            stats.minutes.prune(now_minute)
            stats.hours.prune(now_hour)
        while self._top and self._top[0][0] <= now_minute - self.window_minutes:
            self._top.popleft()

    def _remember_top(self, minute: int, now_minute: int, post: Mapping[str, Any],
                      monitors: tuple[str, ...]) -> None:
        if minute <= now_minute - self.window_minutes:
            return
        entry = _Ranked(reach(post), next(self._seq), _key(post), _slim(post), monitors)
        heap = self._minute_heap(minute)
        if len(heap) < self.top_n:
            heapq.heappush(heap, entry)
        elif entry > heap[0]:
            heapq.heapreplace(heap, entry)

    def _minute_heap(self, minute: int) -> list[_Ranked]:
        top = self._top
        for i in range(len(top) - 1, -1, -1):
            if top[i][0] == minute:
                return top[i][1]
            if top[i][0] < minute:
                top.insert(i + 1, (minute, []))
                return top[i + 1][1]
        top.appendleft((minute, []))
        return top[0][1]

    def _refresh_top(self, post: Mapping[str, Any], monitors: tuple[str, ...]) -> bool:
        """An updated post (new metrics) keeps its place in time but may climb or fall in reach."""
        key = _key(post)
        for _minute_index, heap in self._top:
            for entry in heap:
                if entry.key == key:
                    entry.reach = reach(post)
                    entry.post = _slim(post)
                    entry.monitors = monitors or entry.monitors
                    heapq.heapify(heap)
                    return True
        return False

    def _now_minute(self) -> int:
        return _minute(self._clock) if self._clock else 0

    def _now_hour(self) -> int:
        return _hour(self._clock) if self._clock else 0

    # --- reading ---------------------------------------------------------------------------------

    def window_count(self, monitor: str | None = None) -> int:
        """Posts (of ``monitor``, or all) created in the last ``window_minutes`` of stream time."""
        stats = self._all if monitor is None else self._stats.get(monitor)
        return stats.minutes.total(self._now_minute()) if stats else 0

    def negative_share(self, monitor: str | None = None) -> float | None:
        """Share of the window's posts the analysis called negative (None: no posts)."""
        stats = self._all if monitor is None else self._stats.get(monitor)
        if stats is None:
            return None
        now = self._now_minute()
        total = stats.minutes.total(now)
        return stats.negative.total(now) / total if total else None

    def rate_per_minute(self, monitor: str | None = None) -> float:
        return self.window_count(monitor) / self.window_minutes

    def hourly(self, monitor: str | None = None) -> list[int]:
        """Posts per stream hour for the last 24 hours, oldest first, the current hour last."""
        stats = self._all if monitor is None else self._stats.get(monitor)
        return stats.hours.series(self._now_hour()) if stats else [0] * SPARK_HOURS

    def top_posts(self) -> list[tuple[int, dict[str, Any], tuple[str, ...]]]:
        """The ``top_n`` matched posts of the window by reach: (reach, post, monitor names)."""
        now_minute = self._now_minute()
        live = (e for m, heap in self._top if m > now_minute - self.window_minutes for e in heap)
        best = heapq.nlargest(self.top_n, live)
        return [(e.reach, e.post, e.monitors) for e in best]

    def summary(self) -> dict[str, Any]:
        """The numbers worth printing when the demo ends (and worth asserting in tests)."""
        span = (self._clock - self._first).total_seconds() if self._clock and self._first else 0.0
        return {
            "total_posts": self._all.total,
            "updated_posts": self._updates,
            "monitors": {name: stats.total for name, stats in self._stats.items()},
            "first_at": self._first.isoformat() if self._first else None,
            "last_at": self._clock.isoformat() if self._clock else None,
            "span_seconds": span,
            "events": dict(self._event_counts),
            "situations": self.alerts.summary(),
            "channels": self.channels.summary(),
        }

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """Everything, or with :attr:`fit` only what fits the terminal's height: a live view taller
        than the screen scrolls away and repaints garbage, so the situation lists are cut to the
        lines left under the fixed parts ("… and N more")."""
        fixed: list[RenderableType] = [self._header(), self._monitor_table(), self._top_table()]
        if self.channels:
            fixed.insert(2, self.channels.table())
        events = self._event_panel()
        if not self.fit:
            yield Group(*fixed, *self.alerts.panels(), *events)
            return
        height = options.height or console.size.height
        free = options.update(height=None)
        used = sum(len(console.render_lines(part, free, pad=False)) for part in (*fixed, *events))
        yield Group(*fixed, *self.alerts.panels(max_lines=height - used - 1), *events)

    def _header(self) -> Panel:
        if self._clock is None:
            line = Text(LABELS["waiting"], style="dim")
        else:
            line = Text.assemble(
                (f"{LABELS['stream_time']}: ", "bold"), self._clock.strftime("%a %Y-%m-%d %H:%M:%S UTC"),
                "   ", (f"{LABELS['posts']}: ", "bold"), f"{self._all.total:,}",
                f" ({self._updates:,} {LABELS['updates']})" if self._updates else "",
                "   ", f"{self.rate_per_minute():.1f}",
                LABELS["per_minute"].format(window=self.window_minutes),
            )
        return Panel(line, title=Text(self.title, style="bold"), title_align="left")

    def _monitor_table(self) -> Table:
        table = Table(title=LABELS["monitors"], title_justify="left", expand=True)
        table.add_column(LABELS["monitor"], style="bold cyan", no_wrap=True)
        table.add_column(LABELS["per_minute"].format(window=self.window_minutes), justify="right")
        table.add_column(LABELS["in_window"], justify="right")
        table.add_column(LABELS["negative"], justify="right")
        table.add_column(LABELS["total"], justify="right")
        table.add_column(LABELS["last_24h"], no_wrap=True, style="green")
        for name in self._stats:
            share = self.negative_share(name)
            table.add_row(Text(name), f"{self.rate_per_minute(name):.2f}", f"{self.window_count(name):,}",
                          "–" if share is None else Text(f"{share:.0%}", style="red" if share >= 0.5 else ""),
                          f"{self._stats[name].total:,}", sparkline(self.hourly(name)))
        return table

    def _top_table(self) -> Table:
        table = Table(title=LABELS["top_posts"].format(window=self.window_minutes), title_justify="left",
                      expand=True)
        table.add_column(LABELS["reach"], justify="right", no_wrap=True)
        table.add_column(LABELS["platform"], no_wrap=True)
        table.add_column(LABELS["author"], no_wrap=True, max_width=24, overflow="ellipsis")
        table.add_column(LABELS["matched"], no_wrap=True, max_width=24, overflow="ellipsis", style="cyan")
        table.add_column(LABELS["text"], no_wrap=True, overflow="ellipsis", ratio=1)
        top = self.top_posts()
        if not top:
            table.add_row("", "", "", "", Text(LABELS["no_posts"], style="dim"))
        for score, post, monitors in top:
            table.add_row(f"{score:,}", Text(str(post.get("platform", ""))), Text(_author_label(post)),
                          Text(", ".join(monitors)), Text(one_line(str(post.get("text", "")))))
        return table

    def _event_panel(self) -> list[Panel]:
        if not self._events:
            return []
        lines = Text("\n").join(
            Text.assemble((name, "bold magenta"), "  ", at, "  ", details)
            for name, at, details in self._events
        )
        return [Panel(lines, title=LABELS["events"], title_align="left")]


def _minute(at: datetime) -> int:
    return int(at.timestamp() // 60)


def _hour(at: datetime) -> int:
    return int(at.timestamp() // 3600)


def _key(post: Mapping[str, Any]) -> tuple[str, str]:
    return (str(post.get("platform", "")), str(post.get("id", "")))


def _slim(post: Mapping[str, Any]) -> dict[str, Any]:
    """Keep only what the screen shows, so the heaps never pin whole payloads in memory."""
    author = post.get("author") or {}
    return {"platform": post.get("platform"), "id": post.get("id"),
            "text": one_line(str(post.get("text") or ""), 200),
            "author": {"handle": author.get("handle"), "name": author.get("name"),
                       "verified": author.get("verified")}}


def _author_label(post: Mapping[str, Any]) -> str:
    author = post.get("author") or {}
    label = str(author.get("handle") or author.get("name") or "–")
    return f"{label} ✓" if author.get("verified") else label


def _details(event: Mapping[str, Any]) -> str:
    """A one-line gist of an event we do not know: its first few scalar fields."""
    parts = [f"{k}={v}" for k, v in event.items()
             if k not in {"event", "at"} and isinstance(v, str | int | float | bool)][:3]
    return one_line(" ".join(parts), 80)

