"""`crisisdesk eval detection`: a small labelled stream replayed into a temporary database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crisisdesk.cli.main import app
from tests.factories import post, write_jsonl

runner = CliRunner()
T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
ONSET = T0 + timedelta(hours=30)

WORKSPACE = """\
version: 1
database:
  path: mine.db
analysis:
  enabled: false
detection:
  method: prev12
monitors:
  - name: bahn
    query: '"deutsche bahn"'
"""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CRISISDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("CRISISDESK_CONFIG", raising=False)
    path = tmp_path / "ws.yaml"
    path.write_text(WORKSPACE, encoding="utf-8")
    return path


@pytest.fixture
def stream(tmp_path: Path) -> Path:
    """A post every 20 minutes for two days, and 60 posts in the quarter hour after ``ONSET``."""
    rows = []
    for i in range(3 * 24 * 2):
        at = T0 + timedelta(minutes=20 * i)
        rows.append(post(i, created_at=at.isoformat(), text=f"Fahrt mit der Deutsche Bahn Nummer {i}"))
    for j in range(60):
        at = ONSET + timedelta(seconds=15 * j)
        rows.append(post(10_000 + j, created_at=at.isoformat(), text=f"Deutsche Bahn Stellwerk kaputt {j}"))
    return write_jsonl(tmp_path / "stream.jsonl", rows)


def write_onsets(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_reports_delay_and_false_alarms_as_json(workspace: Path, stream: Path, tmp_path: Path) -> None:
    onsets = write_onsets(tmp_path / "o.jsonl", json.dumps(
        {"monitor": "bahn", "onset": ONSET.isoformat(), "name": "stellwerk"}))
    result = runner.invoke(app, ["eval", "detection", "--stream", str(stream), "--onsets", str(onsets),
                                 "--config", str(workspace), "--cause", "spike", "--json"])
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    (event,) = card["events"]
    assert event["detected"] is True
    assert event["cause"] == "spike"
    assert 0 <= event["delay_minutes"] <= 15
    assert card["summary"]["false_alarms"] == 0
    assert card["summary"]["days"] == pytest.approx(2.0, abs=0.02)
    assert card["method"] == "prev12"
    assert card["read"] == 3 * 24 * 2 + 60
    assert not (tmp_path / "mine.db").exists()  # the workspace's own database is never touched


def test_table_output_and_method_override(workspace: Path, stream: Path, tmp_path: Path) -> None:
    onsets = write_onsets(tmp_path / "o.jsonl", json.dumps(
        {"monitor": "bahn", "onset": ONSET.isoformat(), "name": "stellwerk"}))
    result = runner.invoke(app, ["eval", "detection", "--stream", str(stream), "--onsets", str(onsets),
                                 "--config", str(workspace), "--method", "multiscale"])
    assert result.exit_code == 0, result.output
    assert "Detection (multiscale)" in result.stdout
    assert "events detected 1/1" in result.stdout


def test_negative_control_counts_false_alarms(workspace: Path, tmp_path: Path) -> None:
    calm = write_jsonl(tmp_path / "calm.jsonl", [
        post(i, created_at=(T0 + timedelta(minutes=20 * i)).isoformat(), text=f"Deutsche Bahn {i}")
        for i in range(6 * 24)])
    onsets = write_onsets(tmp_path / "none.jsonl")
    result = runner.invoke(app, ["eval", "detection", "--stream", str(calm), "--onsets", str(onsets),
                                 "--config", str(workspace), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["false_alarms"] == 0


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"monitor": "bahn", "onset": "2026-11-03T06:00:00Z", "name": "a"}', "{oops"],
         "line 2: not valid JSON"),
        (['{"monitor": "bahn", "name": "a"}'], "line 1: onset: required field missing"),
        (['{"monitor": "zug", "onset": "2026-11-03T06:00:00Z", "name": "a"}'],
         "monitor(s) zug not in the workspace"),
    ],
)
def test_broken_onsets_fail_clearly(workspace: Path, stream: Path, tmp_path: Path, lines: list[str],
                                    message: str) -> None:
    onsets = write_onsets(tmp_path / "o.jsonl", *lines)
    result = runner.invoke(app, ["eval", "detection", "--stream", str(stream), "--onsets", str(onsets),
                                 "--config", str(workspace)])
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())


def test_missing_files(workspace: Path, stream: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "detection", "--stream", str(stream), "--onsets",
                                 str(tmp_path / "nope.jsonl"), "--config", str(workspace)])
    assert result.exit_code == 2
    assert "no such onsets file" in result.stderr
    onsets = write_onsets(tmp_path / "o.jsonl")
    result = runner.invoke(app, ["eval", "detection", "--stream", str(tmp_path / "nope.jsonl"), "--onsets",
                                 str(onsets), "--config", str(workspace)])
    assert result.exit_code == 2
    assert "no such stream file" in result.stderr
