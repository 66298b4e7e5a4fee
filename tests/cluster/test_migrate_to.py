"""`crisisdesk migrate-to`: an embedded workspace copied into PostgreSQL, counted on both sides, and
usable there (ids keep growing where the copy left them)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from crisisdesk.accounts.models import User
from crisisdesk.cli.main import app
from crisisdesk.core.clock import SystemClock
from crisisdesk.db import make_engine
from crisisdesk.pipeline.events import RawItem
from crisisdesk.posts.models import Post
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.conftest import PG_URL, WORKSPACE_YAML
from tests.factories import post, write_jsonl

runner = CliRunner()


@pytest.fixture
def target(redis_url: str) -> Iterator[str]:  # redis_url: only so that CI requires the servers
    from tests.conftest import _pg_error

    if _pg_error():
        pytest.skip("no PostgreSQL")
    schema = f"m_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_an_embedded_workspace_moves_to_postgresql(tmp_path: Path, target: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRISISDESK_DATABASE_URL", raising=False)
    ws = tmp_path / "crisisdesk.yaml"
    ws.write_text(WORKSPACE_YAML, encoding="utf-8")
    data = write_jsonl(tmp_path / "posts.jsonl", [post(i) for i in range(300)])
    assert runner.invoke(app, ["import", str(data), "--config", str(ws)]).exit_code == 0
    added = runner.invoke(app, ["users", "add", "lea@example.org", "--name", "Lea", "--role", "admin",
                                "--password-stdin", "--config", str(ws)], input="a-long-password-1\n")
    assert added.exit_code == 0, added.output

    moved = runner.invoke(app, ["migrate-to", target, "--config", str(ws)])
    assert moved.exit_code == 0, moved.output
    assert "rows copied and counted" in moved.output and "DIFFERENT" not in moved.output

    engine = make_engine(target)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Post)).scalar_one() == 300
        assert conn.execute(select(User.email)).scalars().all() == ["lea@example.org"]
        highest = conn.execute(select(func.max(Post.id))).scalar_one()
    engine.dispose()
    # the workspace runs on the copy: new posts get new ids after the copied ones
    settings = Settings(database_url=target)
    runtime = build_runtime(load_workspace(ws, settings), settings, clock=SystemClock())
    result = runtime.runner.handle([RawItem("api", 0, post(1000))])
    assert result.summary.imported == 1
    with runtime.engine.connect() as conn:
        assert conn.execute(select(func.max(Post.id))).scalar_one() > highest
    runtime.close()

    again = runner.invoke(app, ["migrate-to", target, "--config", str(ws)])
    assert again.exit_code == 2 and "not empty" in again.output


def test_a_bad_url_or_the_same_database_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRISISDESK_DATABASE_URL", raising=False)
    ws = tmp_path / "crisisdesk.yaml"
    ws.write_text(WORKSPACE_YAML, encoding="utf-8")
    bad = runner.invoke(app, ["migrate-to", "not a url", "--config", str(ws)])
    assert bad.exit_code == 2 and "not a database URL" in bad.output
    same = runner.invoke(app, ["migrate-to", f"sqlite:///{tmp_path / 'crisisdesk.db'}", "--config", str(ws)])
    assert same.exit_code == 2 and "own database" in same.output
