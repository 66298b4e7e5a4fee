"""The situation lifecycle on the demo screen: open situations, a timeline, the notifications sent.

Fed with every ``alert.*`` event the runner publishes (opened, updated, escalated, resolved, and
what people do: acknowledgements through the signed link, the web page or the API, severity
changes and resolutions by hand) and the notifications its local sink received. The events come
through :class:`AlertFeed`, a runner listener, so that the board is changed from the demo's own
thread only. Like the rest of the dashboard it reasons on stream time, and its memory is bounded:
situations are few (one per monitor and cause), the timeline and the notification list are deques.
"""

from __future__ import annotations

import queue
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crisisdesk.bus.base import Message
from crisisdesk.demo.sink import Received

ALERT_LABELS: Final[dict[str, str]] = {
    "situations": "Situations",
    "no_situations": "no open situations: all calm",
    "timeline": "Timeline (stream time)",
    "no_timeline": "nothing has happened yet",
    "notifications": "Notifications received by the demo sink",
    "no_notifications": "none yet",
    "more": "… and {n} more",
    "terms": "terms",
    "why": "why",
    "ack_by": "acknowledged by {by}",
    "escalating": "step {step} sent",
    "resolved": "resolved",
}
#: How an event names where a person acted (``via``), as the timeline says it.
VIA_LABELS: Final[dict[str, str]] = {"link": "signed link", "web": "web", "api": "API", "cli": "CLI"}
#: Badge colours by severity level (1 watch … 4 severe crisis).
SEVERITY_STYLES: Final = {1: "black on yellow", 2: "black on dark_orange", 3: "bold white on red",
                          4: "bold white on magenta"}
_TIMELINE_SIZE: Final = 10
_LOG_LIMIT: Final = 5_000
_NOTIFICATIONS_SHOWN: Final = 6
_SITUATIONS_SHOWN: Final = 5
#: The fewest lines the three panels get on a live screen, however small the terminal.
_MIN_LINES: Final = 14


@dataclass
class Situation:
    """What the screen knows about one situation."""

    id: int
    monitor: str
    cause: str
    opened_at: datetime | None
    severity: int = 1
    severity_name: str = ""
    peak: int = 1
    peak_name: str = ""
    status: str = "open"  # open | resolved
    summary: str = ""
    top_terms: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    steps: list[tuple[int, int, tuple[str, ...]]] = field(default_factory=list)  # (step, round, people)
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    updates: int = 0


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    at: datetime | None
    event: str  # opened | raised | lowered | escalated | acknowledged | resolved | inbox | approval
    text: str


def badge(level: int, name: str) -> Text:
    return Text(f" {level} {name} ".rstrip() + " ", style=SEVERITY_STYLES.get(level, "reverse"))


def stamp(at: datetime | None) -> str:
    return at.strftime("%a %d %b %H:%M") if at else "–"  # day month, 24-hour (stream time, UTC)


class SituationBoard:
    """State and panels of the situation lifecycle; ``observe`` returns False for other events."""

    def __init__(self, people: Mapping[str, str] | None = None) -> None:
        self.people = dict(people or {})  # person key → display name
        self.situations: dict[int, Situation] = {}
        self.timeline: deque[Entry] = deque(maxlen=_TIMELINE_SIZE)
        self._log: deque[Entry] = deque(maxlen=_LOG_LIMIT)
        self.notifications: deque[Received] = deque(maxlen=_NOTIFICATIONS_SHOWN)
        self.per_target: Counter[tuple[str, str]] = Counter()
        #: (situation, by, at, escalations stopped, via: web | api | cli | link | None)
        self.acknowledgements: list[tuple[int, str, datetime | None, int, str | None]] = []

    # -- feeding ----------------------------------------------------------------------------

    def observe(self, event: Mapping[str, Any], at: datetime | None) -> bool:
        name = str(event.get("event") or "")
        sid = event.get("situation")
        if not name.startswith("alert.") or not isinstance(sid, int) or isinstance(sid, bool):
            return False
        handler = {"alert.opened": self._opened, "alert.updated": self._updated,
                   "alert.escalated": self._escalated, "alert.acknowledged": self._acknowledged,
                   "alert.resolved": self._resolved}.get(name)
        if handler is None:
            return False
        handler(self._situation(sid, event, at), event, at)
        return True

    def add_notification(self, received: Received) -> None:
        """A notification the sink accepted (its own panel; the timeline shows the steps)."""
        self.notifications.append(received)
        self.per_target[(received.target, received.kind)] += 1

    def drain_log(self) -> Iterator[Entry]:
        """The timeline entries since the last call, oldest first (for a log without a screen)."""
        while self._log:
            yield self._log.popleft()

    def note(self, at: datetime | None, event: str, text: str) -> None:
        """A line of the timeline from elsewhere in the demo (the simulated team's moves)."""
        self._note(at, event, text)

    def _situation(self, sid: int, event: Mapping[str, Any], at: datetime | None) -> Situation:
        found = self.situations.get(sid)
        if found is None:
            found = Situation(sid, str(event.get("monitor") or "?"), str(event.get("cause") or "?"), at)
            self.situations[sid] = found
        return found

    def _note(self, at: datetime | None, event: str, text: str) -> None:
        entry = Entry(at, event, text)
        self.timeline.append(entry)
        self._log.append(entry)

    def _facts(self, s: Situation, event: Mapping[str, Any]) -> None:
        level = event.get("severity")
        if isinstance(level, int) and not isinstance(level, bool):
            s.severity = level
            s.severity_name = str(event.get("severity_name") or level)
            if level >= s.peak:
                s.peak, s.peak_name = level, s.severity_name
        if event.get("summary"):
            s.summary = str(event["summary"])
        terms = event.get("top_terms")
        if isinstance(terms, list) and terms:
            s.top_terms = [str(t) for t in terms]
        reasons = event.get("reasons")
        if isinstance(reasons, list) and reasons:
            s.reasons = [str(r) for r in reasons]

    def _opened(self, s: Situation, event: Mapping[str, Any], at: datetime | None) -> None:
        s.status, s.resolved_at = "open", None
        s.opened_at = s.opened_at or at
        self._facts(s, event)
        again = " again" if event.get("reopened") else ""
        self._note(at, "opened", f"#{s.id} {s.monitor} ({s.cause}) opened{again} at level "
                                 f"{s.severity} {s.severity_name}: {s.summary}")

    def _updated(self, s: Situation, event: Mapping[str, Any], at: datetime | None) -> None:
        before = s.severity
        self._facts(s, event)
        s.updates += 1
        if event.get("manual"):  # a person set it, either way: say who, where and why
            before = _int(event.get("previous_severity")) or before
            what = "raised" if s.severity > before else "lowered"
            self._note(at, what, f"#{s.id} {s.monitor} ({s.cause}) severity {before} → {s.severity} "
                                 f"{s.severity_name} by {_by(event)}{_reason(event)}")
        elif s.severity > before:
            self._note(at, "raised", f"#{s.id} {s.monitor} ({s.cause}) severity {before} → {s.severity} "
                                     f"{s.severity_name}: {s.summary}")

    def _escalated(self, s: Situation, event: Mapping[str, Any], at: datetime | None) -> None:
        step, rnd = _int(event.get("step")), _int(event.get("round"))
        people = tuple(self.people.get(str(p), str(p)) for p in event.get("notified") or ())
        s.steps.append((step, rnd, people))
        targets = ", ".join(str(t) for t in event.get("targets") or ())
        again = f", round {rnd}" if rnd > 1 else ""
        via = f" via {targets}" if targets else ""
        who = ", ".join(people) or "nobody"
        self._note(at, "escalated", f"#{s.id} {s.monitor} escalation step {step}{again} "
                                    f"(level {_int(event.get('severity'))}) → {who}{via}")

    def _acknowledged(self, s: Situation, event: Mapping[str, Any], at: datetime | None) -> None:
        by = str(event.get("by") or "?")
        stopped = _int(event.get("escalations_stopped"))
        if s.acknowledged_by is None:
            s.acknowledged_by, s.acknowledged_at = by, at
        via = event.get("via")
        self.acknowledgements.append((s.id, by, at, stopped, str(via) if via else None))
        what = "escalation stopped" if stopped else "nothing left to stop"
        self._note(at, "acknowledged", f"#{s.id} {s.monitor} by {_by(event)}: {what}")

    def _resolved(self, s: Situation, event: Mapping[str, Any], at: datetime | None) -> None:
        s.status, s.resolved_at = "resolved", at
        lasted = f" after {_duration(s.opened_at, at)}" if s.opened_at and at else ""
        by = f" by {_by(event)}{_reason(event)}" if event.get("manual") else ""
        self._note(at, "resolved", f"#{s.id} {s.monitor} ({s.cause}) resolved{lasted}, "
                                   f"peak level {s.peak} {s.peak_name}{by}")

    # -- reading ----------------------------------------------------------------------------

    def open_situations(self) -> list[Situation]:
        found = [s for s in self.situations.values() if s.status == "open"]
        return sorted(found, key=lambda s: (-s.severity, s.id))

    def summary(self) -> dict[str, Any]:
        events = Counter(e.event for e in self.timeline)
        return {
            "situations": len(self.situations),
            "open": len(self.open_situations()),
            "escalation_steps": sum(len(s.steps) for s in self.situations.values()),
            "acknowledged": len(self.acknowledgements),
            "notifications": sum(self.per_target.values()),
            "recent": dict(events),
        }

    # -- rendering --------------------------------------------------------------------------

    def panels(self, max_lines: int | None = None) -> list[RenderableType]:
        """The three panels; ``max_lines``: no more lines than that in all (a live screen), each
        situation then on one line, and the lists cut to what fits with "… and N more"."""
        if not self.situations and not self.notifications:
            return []
        if max_lines is None:
            return [self._situations_panel(), self._timeline_panel(), self._notifications_panel()]
        budget = max(max_lines, _MIN_LINES)
        # A panel costs 2 border lines, a table 1 header line; a "more" line is kept free.
        rows = max(budget // 2 - 4, 1)
        situations = self._situations_panel(rows=rows)
        left = budget - _lines_of_situations(len(self.open_situations()), rows)
        timeline = max((left - 2 - 3) // 2, 1)
        notes = max(left - (2 + min(timeline, len(self.timeline) or 1)) - 3, 1)
        return [situations, self._timeline_panel(limit=timeline), self._notifications_panel(limit=notes)]

    def _situations_panel(self, rows: int | None = None) -> Panel:
        """Open situations, most severe first; ``rows``: at most that many, one line each."""
        open_now = self.open_situations()
        if not open_now:
            return Panel(Text(ALERT_LABELS["no_situations"], style="green"),
                         title=ALERT_LABELS["situations"], title_align="left")
        shown = _SITUATIONS_SHOWN if rows is None else rows
        table = Table(expand=True, show_edge=False, pad_edge=False)
        table.add_column("Level", no_wrap=True)
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("Monitor", style="bold cyan", no_wrap=True)
        table.add_column("Cause", no_wrap=True)
        table.add_column("Since (stream)", no_wrap=True)
        table.add_column("Status", no_wrap=True, max_width=26, overflow="ellipsis")
        compact = rows is not None
        table.add_column("What and why", ratio=1, overflow="ellipsis" if compact else "fold", no_wrap=compact)
        for s in open_now[:shown]:
            table.add_row(badge(s.severity, s.severity_name), str(s.id), Text(s.monitor), s.cause,
                          stamp(s.opened_at), _status(s), _explanation(s, one_line=compact))
        rest = len(open_now) - shown
        if rest > 0:
            table.add_row("", "", Text(ALERT_LABELS["more"].format(n=rest), style="dim"), "", "", "", "")
        return Panel(table, title=f"{ALERT_LABELS['situations']} ({len(open_now)} open)", title_align="left")

    def _timeline_panel(self, limit: int | None = None) -> Panel:
        """The newest entries; ``limit``: only the newest that many, one line each."""
        if not self.timeline:
            body: RenderableType = Text(ALERT_LABELS["no_timeline"], style="dim")
        else:
            entries = list(self.timeline)[-limit:] if limit is not None else list(self.timeline)
            lines = [timeline_line(e, width=160) for e in entries]
            for line in lines:
                line.no_wrap, line.overflow = True, "ellipsis"
            body = Group(*lines)
        return Panel(body, title=ALERT_LABELS["timeline"], title_align="left")

    def _notifications_panel(self, limit: int | None = None) -> Panel:
        """The newest notifications received; ``limit``: only the newest that many."""
        if not self.notifications:
            return Panel(Text(ALERT_LABELS["no_notifications"], style="dim"),
                         title=ALERT_LABELS["notifications"], title_align="left")
        table = Table(expand=True, show_edge=False, pad_edge=False)
        table.add_column("Received (wall, UTC)", no_wrap=True)
        table.add_column("Target", style="cyan", no_wrap=True)
        table.add_column("Kind", no_wrap=True)
        table.add_column("Situation", justify="right", no_wrap=True)
        table.add_column("Message", no_wrap=True, overflow="ellipsis", ratio=1)
        received = list(self.notifications)
        for n in received[-limit:] if limit is not None else received:
            table.add_row(n.received_at.strftime("%H:%M:%S"), Text(n.target), n.kind,
                          f"#{n.situation}" if n.situation is not None else "–", Text(n.headline))
        counts = ", ".join(f"{t} {c}" for (t, _k), c in sorted(self.per_target.items()))
        title = f"{ALERT_LABELS['notifications']} ({sum(self.per_target.values())}: {counts})"
        return Panel(table, title=title, title_align="left")


class AlertFeed:
    """A runner listener that queues situation events, whichever thread published them (a batch,
    a tick, a person on the web page or the API), until the demo's own thread :meth:`pump` s them
    into the board: the board is then changed from one thread only."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Message] = queue.SimpleQueue()

    def __call__(self, events: list[Message]) -> None:
        for event in events:
            self._queue.put(event)

    def pump(self, observe: Callable[[Mapping[str, Any]], object]) -> int:
        """Hand every queued event to ``observe``, oldest first; returns how many."""
        count = 0
        while True:
            try:
                event = self._queue.get_nowait()
            except queue.Empty:
                return count
            observe(event)
            count += 1


_EVENT_STYLES: Final = {"opened": "bold red", "raised": "bold dark_orange", "lowered": "bold yellow",
                        "escalated": "bold magenta", "acknowledged": "bold green", "resolved": "bold blue",
                        "inbox": "bold cyan", "approval": "bold green", "update": "bold blue"}


def timeline_line(entry: Entry, width: int = 200) -> Text:
    line = Text.assemble((f"{stamp(entry.at)}  ", "dim"),
                         (f"{entry.event:<12}", _EVENT_STYLES.get(entry.event, "")), " ", entry.text)
    line.truncate(width, overflow="ellipsis")
    return line


def _status(s: Situation) -> Text:
    if s.acknowledged_by:
        return Text(ALERT_LABELS["ack_by"].format(by=s.acknowledged_by), style="green")
    if s.steps:
        return Text(ALERT_LABELS["escalating"].format(step=s.steps[-1][0]), style="magenta")
    return Text("new", style="bold")


def _lines_of_situations(open_count: int, rows: int) -> int:
    """Lines the compact situations panel takes: borders, header, rows, a "more" line."""
    if open_count == 0:
        return 3
    return 2 + 1 + min(open_count, rows) + (1 if open_count > rows else 0)


def _explanation(s: Situation, *, one_line: bool = False) -> Text:
    if one_line:  # the summary, then the terms, on the one line there is room for
        terms = f" · {ALERT_LABELS['terms']}: {', '.join(s.top_terms[:6])}" if s.top_terms else ""
        return Text(" ".join(s.summary.split()) + terms)
    text = Text(s.summary)
    if s.top_terms:
        text.append(f"\n{ALERT_LABELS['terms']}: ", style="dim").append(", ".join(s.top_terms[:6]))
    if s.reasons:
        text.append(f"\n{ALERT_LABELS['why']}: ", style="dim").append("; ".join(s.reasons[:2]))
    return text


def _by(event: Mapping[str, Any]) -> str:
    """Who acted, and where when the event says: ``Lena Wagner (signed link)``."""
    via = event.get("via")
    where = f" ({VIA_LABELS.get(str(via), str(via))})" if via else ""
    return f"{event.get('by') or '?'}{where}"


#: Where an acknowledgement came from, as the demo's summary says it.
CHANNEL_PHRASES: Final[dict[str, str]] = {"link": "through the signed link", "web": "in the browser",
                                          "api": "through the API", "cli": "on the command line"}


def channel(via: str | None) -> str:
    """``"through the signed link"``, ``"in the browser"``…; the event's own word when it is new,
    and "(channel not recorded)" rather than a guess when the event does not say."""
    if via is None:
        return "(channel not recorded)"
    return CHANNEL_PHRASES.get(via, f"via {via}")


def _reason(event: Mapping[str, Any]) -> str:
    reason = event.get("reason")
    return f": {reason}" if reason and reason != "-" else ""


def _duration(start: datetime, end: datetime) -> str:
    minutes = int((end - start).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0

