"""What a new user stumbled over at the CLI: acknowledgements, labels, the ignored file, tables in
pipes, monitors left over from the template. Output is captured (not a terminal), as in a script."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, select
from typer.testing import CliRunner

from crisisdesk.audit.models import AuditEntry
from crisisdesk.cli.main import app
from crisisdesk.detection.models import Situation
from crisisdesk.models import Monitor
from tests.factories import post, write_jsonl

runner = CliRunner()
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PEOPLE = """\
notify:
  targets:
    room: {kind: slack, webhook_url: "https://hooks.example.org/x"}
people:
  anna: {name: Anna Berg, targets: [room]}
"""


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def situation(url: str, *, status: str = "open") -> int:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            monitor = conn.execute(select(Monitor.id).where(Monitor.name == "bahn")).scalar_one()
            sid: int = conn.execute(insert(Situation).values(
                monitor_id=monitor, cause="spike", status=status, severity=2, opened_at=T0, updated_at=T0,
                explanation="{}").returning(Situation.id)).scalar_one()
            return sid
    finally:
        engine.dispose()


def audit(url: str, action: str) -> list[AuditEntry]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(AuditEntry).where(AuditEntry.action == action)).all())  # type: ignore[arg-type]
    finally:
        engine.dispose()


def test_ack_refuses_unknown_people_and_resolved_situations_and_is_audited(
        workspace_file: Path, database_url: str) -> None:
    workspace_file.write_text(workspace_file.read_text(encoding="utf-8") + PEOPLE, encoding="utf-8")
    ws = str(workspace_file)
    assert cli("monitors", "--config", ws)[0] == 0
    sid = situation(database_url)

    code, _, err = cli("ack", str(sid), "--by", "lena", "--config", ws)
    assert code == 1
    assert "'lena': no such person" in err and "anna" in err
    assert audit(database_url, "situation.acknowledged") == []

    code, out, _ = cli("ack", str(sid), "--by", "anna", "--config", ws)
    assert code == 0, out
    assert "as Anna Berg" in out
    [entry] = audit(database_url, "situation.acknowledged")
    assert entry.actor == f"cli:{getpass.getuser()}"
    assert entry.target_id == str(sid) and entry.after is not None
    assert entry.after["acknowledged_by"] == "Anna Berg"

    code, out, _ = cli("ack", str(sid), "--config", ws)
    assert code == 0
    assert "already acknowledged by Anna Berg at 2" in out and "UTC" in out
    assert len(audit(database_url, "situation.acknowledged")) == 1  # nothing changed, nothing logged

    resolved = situation(database_url, status="resolved")
    code, _, err = cli("ack", str(resolved), "--by", "anna", "--config", ws)
    assert code == 1 and "is resolved" in err
    assert len(audit(database_url, "situation.acknowledged")) == 1


def test_label_is_audited(workspace_file: Path, tmp_path: Path, database_url: str) -> None:
    src = write_jsonl(tmp_path / "posts.jsonl", [post(1)])
    assert cli("import", str(src), "--config", str(workspace_file))[0] == 0
    code, out, _ = cli("label", "x:p1", "--sentiment", "positive", "--config", str(workspace_file))
    assert code == 0, out
    [entry] = audit(database_url, "post.labelled")
    assert entry.actor == f"cli:{getpass.getuser()}" and entry.target_id == "x:p1"
    assert entry.after is not None and entry.after["sentiment"]["label"] == "positive"


def test_a_file_ignored_after_config_import_is_named_once_it_differs(workspace_file: Path) -> None:
    ws = str(workspace_file)
    assert cli("config", "import", ws, "--config", ws)[0] == 0
    _, _, err = cli("monitors", "--config", ws)
    assert "is ignored" not in err  # the file says what the database says
    workspace_file.write_text(workspace_file.read_text(encoding="utf-8")
                              + "  - name: lufthansa\n    query: lufthansa\n", encoding="utf-8")
    code, out, err = cli("monitors", "--config", ws)
    assert code == 0
    assert (f"configuration version 1 is in force from the database; {workspace_file.resolve()} is ignored "
            f"— `crisisdesk config import {workspace_file.resolve()}` to apply it") in err
    assert "lufthansa" not in out  # indeed ignored
    code, out, err = cli("situations", "--json", "--config", ws)
    assert code == 0 and "is ignored" in err
    assert json.loads(out) == []  # stdout stays clean JSON


def test_template_monitors_replaced_before_any_post_are_gone(tmp_path: Path, database_url: str,
                                                             monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("CRISISDESK_DATABASE_URL", database_url)
    ws = tmp_path / "ws"
    assert cli("init", str(ws))[0] == 0
    ours = tmp_path / "ours.yaml"
    ours.write_text("version: 1\nmonitors:\n  - name: acme\n    query: acme\n", encoding="utf-8")
    code, out, _ = cli("config", "import", str(ours), "--config", str(ws / "crisisdesk.yaml"))
    assert code == 0, out
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(Monitor.name)).scalars().all() == ["acme"]
    finally:
        engine.dispose()


def test_a_monitor_with_posts_is_only_deactivated(workspace_file: Path, tmp_path: Path,
                                                  database_url: str) -> None:
    ws = str(workspace_file)
    assert cli("import", str(write_jsonl(tmp_path / "p.jsonl", [post(1)])), "--config", ws)[0] == 0
    ours = tmp_path / "ours.yaml"
    ours.write_text("version: 1\nmonitors:\n  - name: acme\n    query: acme\n", encoding="utf-8")
    assert cli("config", "import", str(ours), "--config", ws)[0] == 0
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert sorted(tuple(r) for r in conn.execute(select(Monitor.name, Monitor.active))) == [
                ("acme", True), ("bahn", False)]  # bahn keeps its matches; streik had none
    finally:
        engine.dispose()


def test_tables_are_not_cut_when_stdout_is_a_pipe(workspace_file: Path) -> None:
    long_query = " OR ".join(f"negativwort{i}" for i in range(30))
    workspace_file.write_text(f"version: 1\nmonitors:\n  - name: lang\n    query: '{long_query}'\n",
                              encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2] / "src")
    done = subprocess.run([sys.executable, "-m", "crisisdesk.cli.main", "monitors", "--config",
                           str(workspace_file)], capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert long_query in done.stdout  # whole, on one line
    assert "…" not in done.stdout
