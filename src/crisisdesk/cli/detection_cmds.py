"""``crisisdesk eval detection``: replay a labelled stream and score the detector's alerts.

The stream is replayed at maximum speed through the whole pipeline (analysis included) into a
fresh temporary SQLite database, never the workspace's own; the alert events are then scored
against the onsets file by :mod:`crisisdesk.detection.evaluation`.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from crisisdesk.bus.base import Message
from crisisdesk.cli.common import ConfigOption, err, friendly_errors, open_workspace, out
from crisisdesk.core.clock import StreamClock
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.db import sqlite_url
from crisisdesk.detection.config import DetectionConfig
from crisisdesk.detection.evaluation import (
    Alert,
    Scorecard,
    ScoringOptions,
    alerts_from_events,
    load_onsets,
    score,
)
from crisisdesk.ingest.importer import IngestRun, RejectsWriter, read_file, replay_items
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import Workspace


class Method(StrEnum):
    PREV12 = "prev12"
    SEASONAL = "seasonal"
    MULTISCALE = "multiscale"


@dataclass(frozen=True)
class ReplayOutcome:
    alerts: list[Alert]
    start: datetime
    end: datetime
    read: int
    rejected: int
    monitors: int


def stream_span(path: Path) -> tuple[datetime, datetime]:
    """First and last ``created_at`` of a JSON Lines stream (unreadable lines are skipped)."""
    first: datetime | None = None
    last: datetime | None = None
    with path.open("rb") as f:
        for line in f:
            try:
                data = orjson.loads(line)
                at = datetime.fromisoformat(str(data["created_at"]).replace("Z", "+00:00"))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
            if at.tzinfo is None:
                continue
            first = at if first is None or at < first else first
            last = at if last is None or at > last else last
    if first is None or last is None:
        raise CrisisdeskError(f"{path}: no post with a readable created_at")
    return first, last


def with_detection(workspace: Workspace, detection: DetectionConfig, database: Path) -> Workspace:
    """The same workspace with another detection config, pointed at ``database``."""
    config = workspace.config.model_copy(update={"detection": detection})
    return dataclasses.replace(workspace, config=config, database_url=sqlite_url(database))


def replay_alerts(stream: Path, workspace: Workspace, settings: Settings) -> ReplayOutcome:
    """Replay ``stream`` at max speed into a fresh temporary database; return the alert events."""
    if not stream.is_file():
        raise CrisisdeskError(f"{stream}: no such stream file")
    start, end = stream_span(stream)
    events: list[Message] = []
    with tempfile.TemporaryDirectory(prefix="crisisdesk-eval-") as tmp:
        temp = with_detection(workspace, workspace.config.detection, Path(tmp) / "eval.db")
        runtime = build_runtime(temp, settings.model_copy(update={"database_url": None}),
                                clock=StreamClock())
        rejects = RejectsWriter(Path(tmp) / "rejects.jsonl")

        def keep(event: Message) -> None:
            if str(event.get("event", "")).startswith("alert."):
                events.append(event)

        run = IngestRun(runtime.runner, rejects, [("eval-detection", keep)])
        try:
            total = replay_items(run, read_file(stream, "jsonl", None), speed=None,
                                 batch_size=settings.batch_size)
        finally:
            rejects.close()
            runtime.close()
    return ReplayOutcome(alerts_from_events(events), start, end, total.summary.read,
                         total.summary.rejected, len(workspace.config.monitors))


def _minutes(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _print(card: Scorecard, outcome: ReplayOutcome, method: str) -> None:
    table = Table(title=f"Detection ({method}): delay from onset to first alert")
    for col in ("monitor", "event", "onset (UTC)", "detected", "first alert", "cause", "delay min",
                "false alarms before"):
        table.add_column(col, justify="right" if col in {"delay min", "false alarms before"} else "left")
    for e in card.events:
        table.add_row(e.onset.monitor, e.onset.name, e.onset.onset.strftime("%Y-%m-%d %H:%M"),
                      "[green]yes[/]" if e.detected else "[red]no[/]",
                      e.first_alert.at.strftime("%Y-%m-%d %H:%M") if e.first_alert else "–",
                      e.first_alert.cause if e.first_alert else "–", _minutes(e.delay_minutes),
                      str(e.false_alarms_before))
    out.print(table)
    s = card.summary
    rate = "–" if s.detection_rate is None else f"{s.detection_rate:.0%}"
    out.print(f"events detected [bold]{s.detected}/{s.events}[/] ({rate}), median delay "
              f"{_minutes(s.median_delay)} min, p90 {_minutes(s.p90_delay)} min; false alarms "
              f"[bold]{s.false_alarms}[/] in {s.days:.1f} days = {s.false_alarms_per_day:.2f}/day "
              f"({s.false_alarms_per_monitor_day:.2f} per monitor-day, {s.monitors} monitors); "
              f"posts read {outcome.read}, rejected {outcome.rejected}", highlight=False)


@friendly_errors
def eval_detection(
    stream: Annotated[Path, typer.Option("--stream", help="Canonical posts (JSON Lines) to replay.",
                                         dir_okay=False, show_default=False)],
    onsets: Annotated[Path, typer.Option(
        "--onsets", help='Labelled events, one JSON object per line: {"monitor", "onset", "name", "end"?}.',
        dir_okay=False, show_default=False)],
    config: ConfigOption = None,
    method: Annotated[Method | None, typer.Option(
        "--method", help="Override the workspace's detection method.")] = None,
    cause: Annotated[list[str] | None, typer.Option(
        "--cause", help="Count only alerts of this cause (spike, keyword, influencer; repeatable) "
        "[default: all]")] = None,
    tolerance: Annotated[float, typer.Option(
        "--tolerance-minutes", help="An alert this long before an onset still detects it.")] = 30,
    horizon: Annotated[float, typer.Option(
        "--horizon-hours", help="Window after an onset when the event gives no end.")] = 24,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scorecard as one JSON object.")] = False,
) -> None:
    """Replay a labelled stream into a temporary database and report detection delay and false alarms."""
    labelled = load_onsets(onsets)  # a broken onsets file fails before the (long) replay
    settings, workspace = open_workspace(config)
    detection = workspace.config.detection
    if method is not None:
        detection = detection.model_copy(update={"method": method.value})
    config_ = workspace.config.model_copy(update={"detection": detection})
    workspace = dataclasses.replace(workspace, config=config_)
    names = {m.name for m in workspace.config.monitors}
    unknown = sorted({o.monitor for o in labelled} - names)
    if unknown:
        raise CrisisdeskError(f"{onsets}: monitor(s) {', '.join(unknown)} not in the workspace "
                              f"(it has {', '.join(sorted(names)) or 'none'})")
    if not detection.enabled:
        err.print("warning: detection is disabled in the workspace; no alert will be raised")
    outcome = replay_alerts(stream, workspace, settings)
    options = ScoringOptions(tolerance=timedelta(minutes=tolerance), horizon=timedelta(hours=horizon),
                             causes=frozenset(cause) if cause else None)
    card = score(outcome.alerts, labelled, start=outcome.start, end=outcome.end, options=options,
                 monitors=outcome.monitors)
    if as_json:
        body: dict[str, Any] = card.as_dict() | {
            "method": detection.method, "causes": sorted(cause) if cause else None,
            "read": outcome.read, "rejected": outcome.rejected}
        typer.echo(orjson.dumps(body).decode())
    else:
        _print(card, outcome, detection.method)
