"""`crisisdesk replay`: stream order, stream clock, events out, pacing."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from crisisdesk.cli.main import app
from crisisdesk.core.clock import StreamClock
from crisisdesk.ingest.importer import IngestRun, RejectsWriter, replay_items
from crisisdesk.ingest.readers import read_jsonl
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.factories import post, write_jsonl

runner = CliRunner()


def test_replay_orders_by_created_at_and_writes_events(workspace_file: Path, tmp_path: Path) -> None:
    times = ["2026-11-02T10:00:00+00:00", "2026-11-02T08:00:00+00:00", "2026-11-02T09:30:00+01:00",
             "2026-11-02T12:00:00+00:00"]
    rows = [post(i, created_at=t) for i, t in enumerate(times, start=1)]
    rows.append({"platform": "x", "id": "broken", "text": "no time"})
    src = write_jsonl(tmp_path / "stream.jsonl", rows)
    events = tmp_path / "events.jsonl"
    result = runner.invoke(app, ["replay", str(src), "--config", str(workspace_file), "--speed", "max",
                                 "--events-out", str(events), "--post-events", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "read": 5, "imported": 4, "updated": 0, "duplicates": 0, "rejected": 1}
    got = [json.loads(line) for line in events.read_text().splitlines()]
    assert [e["event"] for e in got] == ["post.ingested"] * 4
    assert [e["post"]["id"] for e in got] == ["p2", "p3", "p1", "p4"]  # 08:00, 08:30Z, 10:00, 12:00
    assert all(e["monitors"] == ["bahn"] for e in got)
    # the stream clock: each event is stamped with stream time, never wall time
    stamps = [datetime.fromisoformat(e["at"]) for e in got]
    assert stamps == sorted(stamps)
    assert stamps[-1] == datetime.fromisoformat("2026-11-02T12:00:00+00:00")


def test_replay_rejects_bad_speed(workspace_file: Path, tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "s.jsonl", [post(1)])
    result = runner.invoke(app, ["replay", str(src), "--config", str(workspace_file), "--speed", "fast"])
    assert result.exit_code == 2
    assert "--speed" in result.stderr


def test_replay_paces_on_stream_time(workspace_file: Path, tmp_path: Path) -> None:
    """At speed 60 an hour of posts takes a minute of (fake) wall time, in order."""
    times = [f"2026-11-02T08:{m:02d}:00+00:00" for m in (0, 0, 10, 30, 60 - 1)]
    src = write_jsonl(tmp_path / "s.jsonl", [post(i, created_at=t) for i, t in enumerate(times, 1)])
    workspace = load_workspace(workspace_file, Settings())
    runtime = build_runtime(workspace, Settings(), clock=StreamClock())
    wall = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        wall[0] += seconds

    batches: list[int] = []
    try:
        run = IngestRun(runtime.runner, RejectsWriter(tmp_path / "r.jsonl"), [])
        total = replay_items(run, read_jsonl(src), speed=60.0, batch_size=100,
                             on_batch=lambda r: batches.append(r.summary.read),
                             sleep=sleep, monotonic=lambda: wall[0])
    finally:
        runtime.close()
    assert total.summary.imported == 5
    assert batches == [2, 1, 1, 1]  # the two posts at 08:00 go together
    assert [round(s, 6) for s in slept] == [10.0, 20.0, 29.0]  # minutes of stream → seconds of wall
    assert wall[0] == 59.0


def test_replay_rejects_naive_times_without_crashing(workspace_file: Path, tmp_path: Path) -> None:
    rows = [post(1, created_at="2026-11-02T10:00:00+00:00"), post(2, created_at="2026-11-02T09:00:00"),
            post(3, created_at="2026-11-02T11:00:00+00:00")]
    src = write_jsonl(tmp_path / "mixed.jsonl", rows)
    result = runner.invoke(app, ["replay", str(src), "--config", str(workspace_file), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "read": 3, "imported": 2, "updated": 0, "duplicates": 0, "rejected": 1}
    assert '"line":2' in (tmp_path / "mixed.rejects.jsonl").read_text()


def test_a_full_speed_batch_spans_at_most_a_quarter_hour(workspace_file: Path, tmp_path: Path) -> None:
    """At full speed, posts go in batches of at most 15 minutes of stream time, so that crises are
    grouped on the situations as they were at each event, not hours ahead (crises/tracker)."""
    minutes = [0, 5, 14, 16, 20, 95, 300, 301]
    times = [f"2026-11-02T{8 + m // 60:02d}:{m % 60:02d}:00+00:00" for m in minutes]
    src = write_jsonl(tmp_path / "s.jsonl", [post(i, created_at=t) for i, t in enumerate(times, 1)])
    workspace = load_workspace(workspace_file, Settings())
    runtime = build_runtime(workspace, Settings(), clock=StreamClock())
    batches: list[int] = []
    try:
        run = IngestRun(runtime.runner, RejectsWriter(tmp_path / "r.jsonl"), [])
        total = replay_items(run, read_jsonl(src), speed=None, batch_size=100,
                             on_batch=lambda r: batches.append(r.summary.read))
    finally:
        runtime.close()
    assert total.summary.imported == 8
    assert batches == [3, 2, 1, 2]  # 08:00–08:14, 08:16–08:20, 09:35, 13:00–13:01
