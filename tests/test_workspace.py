"""Workspace files: init, loading, and errors that name the place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crisisdesk.cli.main import app
from crisisdesk.core.errors import ConfigError
from crisisdesk.settings import Settings
from crisisdesk.workspace import WORKSPACE_TEMPLATE, load_workspace, parse_config

runner = CliRunner()


def test_init_creates_commented_config_and_wal_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRISISDESK_DATABASE_URL", raising=False)
    target = tmp_path / "ws"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    text = (target / "crisisdesk.yaml").read_text()
    assert text == WORKSPACE_TEMPLATE and text.count("#") > 10
    db = target / "crisisdesk.db"
    assert db.is_file()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"posts", "authors", "monitors", "monitor_matches", "alembic_version"} <= tables
        assert conn.execute("SELECT name FROM monitors").fetchall() == [("bahn",)]
    again = runner.invoke(app, ["init", str(target)])
    assert again.exit_code == 2 and "--force" in again.stderr


def test_config_env_variable_and_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "elsewhere.yaml"
    cfg.write_text(WORKSPACE_TEMPLATE.replace("path: crisisdesk.db", "path: data/x.db"))
    monkeypatch.setenv("CRISISDESK_CONFIG", str(cfg))
    monkeypatch.delenv("CRISISDESK_DATABASE_URL", raising=False)
    (tmp_path / "data").mkdir()
    result = runner.invoke(app, ["monitors"])
    assert result.exit_code == 0, result.output
    assert "bahn" in result.stdout
    assert (tmp_path / "data" / "x.db").is_file()
    monkeypatch.setenv("CRISISDESK_DATABASE_URL", "sqlite:////tmp/other.db")
    assert load_workspace(cfg, Settings()).database_url == "sqlite:////tmp/other.db"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("monitors: [\n  - name: a\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping"),
        ("monitors:\n  - name: a\n", "monitors[0].query: Field required"),
        ("monitors:\n  - name: a\n    query: x\n    colour: red\n", "monitors[0].colour: Extra inputs"),
        ("monitors:\n  - {name: a, query: x}\n  - {name: a, query: y}\n", "used twice"),
        ("monitors:\n  - {name: ok, query: x}\n  - {name: bad, query: 'bahn AND'}\n",
         "monitors[1].query (monitor 'bad')"),
        ("monitorz: []\n", "monitorz: Extra inputs"),
    ],
)
def test_config_errors_name_file_and_place(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, path="ws/crisisdesk.yaml")
    assert str(info.value).startswith("ws/crisisdesk.yaml")
    assert expected in str(info.value)


def test_query_error_in_config_shows_at_cli(tmp_path: Path) -> None:
    cfg = tmp_path / "crisisdesk.yaml"
    cfg.write_text("monitors:\n  - name: broken\n    query: '(bahn OR zug'\n")
    result = runner.invoke(app, ["monitors", "--config", str(cfg)])
    assert result.exit_code == 2
    assert "monitors[0].query" in result.stderr.replace("\n", "")
