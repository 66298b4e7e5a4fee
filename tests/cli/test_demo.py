"""`crisisdesk demo` end to end on the embedded default."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from crisisdesk.cli.main import app
from crisisdesk.db import make_engine
from crisisdesk.posts.service import count_posts
from crisisdesk.sources.service import match_counts

runner = CliRunner()


def test_demo_replays_scenario_into_a_kept_workspace(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--speed", "max", "--calm-days", "1", "--crisis-days", "1",
                                 "--keep", str(target), "--no-live"])
    assert result.exit_code == 0, result.output
    assert "What the monitors caught" in result.stdout
    assert "battery-safety" in result.stdout
    engine = make_engine(f"sqlite:///{target / 'crisisdesk.db'}")
    try:
        stored = count_posts(engine)
        counts = match_counts(engine)
    finally:
        engine.dispose()
    lines = (target / "scenario.jsonl").read_text().count("\n")
    assert stored == lines > 1000
    assert counts["voltaro"] > counts["kinetta"] > 0
    assert counts["battery-safety"] > 100
    # imported from the file, or arrived on Voltaro's channels: every post of the scenario once
    imported = re.search(r"imported ([\d,]+)", result.stdout)
    arrived = re.search(r"channel items: .* ([\d,]+) posts; refused 0", result.stdout)
    assert imported and arrived, result.stdout
    assert int(imported[1].replace(",", "")) + int(arrived[1].replace(",", "")) == lines


def test_demo_cleans_up_its_temporary_workspace(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    result = runner.invoke(app, ["demo", "--speed", "max", "--calm-days", "1", "--crisis-days", "1",
                                 "--no-live"])
    assert result.exit_code == 0, result.output
    assert list(tmp_path.iterdir()) == []
