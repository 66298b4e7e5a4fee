"""Label corrections through the CLI and the API, and retraining that uses them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from crisisdesk.api.app import create_app
from crisisdesk.cli.main import app
from crisisdesk.core.clock import SystemClock
from crisisdesk.models import LabelCorrection, Post
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.training.corrections import training_examples
from crisisdesk.workspace import load_workspace
from tests.factories import post, write_jsonl

runner = CliRunner()


@pytest.fixture
def imported(workspace_file: Path, tmp_path: Path) -> Path:
    src = write_jsonl(tmp_path / "p.jsonl", [
        post(1, text="Die Bahn ist super, alles pünktlich!", lang="de"),
        post(2, text="The delay was fine, no worries", lang="en"),
    ])
    assert runner.invoke(app, ["import", str(src), "--config", str(workspace_file)]).exit_code == 0
    return workspace_file


def test_cli_correction_updates_post_and_is_kept(imported: Path, database_url: str) -> None:
    result = runner.invoke(app, ["label", "x:p1", "--sentiment", "negative", "--insult", "offense",
                                 "--complaints", "delivery_delay,safety", "--config", str(imported)])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["sentiment"] == {"label": "negative", "score": 1.0}
    assert shown["complaint_types"] == ["delivery_delay", "safety"]
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(Post.sentiment, Post.insult).where(Post.external_id == "p1")).one()
            tasks = sorted(r[0] for r in conn.execute(select(LabelCorrection.task)))
        assert tuple(row) == ("negative", "offense")
        assert tasks == ["complaints", "insult", "sentiment"]
        # a second verdict wins for training; both stay on record
        runner.invoke(app, ["label", "x:p1", "--sentiment", "neutral", "--config", str(imported)])
        examples = training_examples(engine, "sentiment")
        assert [(e.label, e.lang) for e in examples] == [("neutral", "de")]
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x:nope", "--sentiment", "negative"], "no post x:nope"),
        (["x:p1", "--sentiment", "furious"], "use one of negative, neutral, positive"),
        (["x:p1", "--complaints", "weather"], "unknown complaint type(s) weather"),
        (["x:p1"], "nothing to correct"),
        (["p1", "--sentiment", "negative"], "PLATFORM:ID"),
    ],
)
def test_cli_correction_errors(imported: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["label", *args, "--config", str(imported)])
    assert result.exit_code == 2
    assert message in result.stderr.replace("\n", "")


@pytest.fixture
def client(imported: Path) -> Iterator[TestClient]:
    runtime = build_runtime(load_workspace(imported, Settings()), Settings(), clock=SystemClock())
    with TestClient(create_app(runtime, api_token="t")) as c:
        yield c
    runtime.close()


def test_api_correction(client: TestClient) -> None:
    auth = {"Authorization": "Bearer t"}
    r = client.post("/api/v1/posts/x/p2/labels", json={"sentiment": "positive", "complaint_types": []},
                    headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["sentiment"]["label"] == "positive"
    assert client.post("/api/v1/posts/x/p2/labels", json={"insult": "maybe"}, headers=auth).status_code == 422
    assert client.post("/api/v1/posts/x/zzz/labels", json={"insult": "none"}, headers=auth).status_code == 404
    assert client.post("/api/v1/posts/x/p2/labels", json={"insult": "none"}).status_code == 401
    from sqlalchemy import select

    from crisisdesk.audit.models import AuditEntry

    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with runtime.engine.connect() as conn:
        entries = conn.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target_id)).all()
    assert [tuple(e) for e in entries] == [("service", "post.labelled", "x:p2")]  # only the one that applied
