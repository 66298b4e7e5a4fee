"""Analysis in the pipeline and at the CLI: what users see, with the shipped model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from crisisdesk.cli.main import app
from crisisdesk.models import Post
from tests.factories import post, write_jsonl

runner = CliRunner()

TEXTS = {
    "angry_de": "Die Bahn ist schon wieder 40 Minuten zu spät, ihr Vollidioten!",
    "happy_en": "Thanks @united, the crew was amazing and the flight was on time!",
    "fire_de": "Der Akku hat Feuer gefangen, das ist lebensgefährlich",
    "emoji": "🦄",  # an emoji no cue list knows: nothing to judge
}


def _posts() -> list[object]:
    return [post(i, id=name, text=text, lang=None) for i, (name, text) in enumerate(TEXTS.items(), 1)]


def test_import_stores_the_four_analyses(workspace_file: Path, tmp_path: Path, database_url: str) -> None:
    src = write_jsonl(tmp_path / "p.jsonl", _posts())
    result = runner.invoke(app, ["import", str(src), "--config", str(workspace_file), "--json"])
    assert result.exit_code == 0, result.output
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = {r.external_id: r for r in conn.execute(select(
                Post.external_id, Post.lang, Post.sentiment, Post.sentiment_score, Post.insult,
                Post.insult_kind, Post.complaint_types))}
    finally:
        engine.dispose()
    angry, happy, fire, emoji = (rows[k] for k in TEXTS)
    assert (angry.lang, angry.sentiment, angry.insult) == ("de", "negative", "offense")
    assert angry.insult_kind in {"insult", "abuse", "profanity"}
    assert json.loads(angry.complaint_types) == ["delivery_delay"]
    assert (happy.lang, happy.sentiment, happy.insult, happy.insult_kind) == ("en", "positive", "none", None)
    assert json.loads(fire.complaint_types) == ["safety"]
    assert (emoji.lang, emoji.sentiment, emoji.sentiment_score) == (None, "neutral", 0.0)  # nothing to judge


def test_analysis_can_be_switched_off(workspace_file: Path, tmp_path: Path, database_url: str) -> None:
    workspace_file.write_text(workspace_file.read_text() + "analysis:\n  enabled: false\n")
    src = write_jsonl(tmp_path / "p.jsonl", _posts())
    assert runner.invoke(app, ["import", str(src), "--config", str(workspace_file)]).exit_code == 0
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert {r[0] for r in conn.execute(select(Post.sentiment))} == {None}
    finally:
        engine.dispose()


@pytest.mark.parametrize(("languages", "lang"), [("", "de"), ("analysis:\n  languages: []\n", "nl")])
def test_the_enrich_stage_uses_the_workspace_languages(
    workspace_file: Path, tmp_path: Path, database_url: str, languages: str, lang: str
) -> None:
    workspace_file.write_text(workspace_file.read_text() + languages)
    short = post(1, id="short", text="Ekelhaft. Schimmel im Brot.", lang=None)  # CLD2 alone: Dutch
    src = write_jsonl(tmp_path / "p.jsonl", [short])
    assert runner.invoke(app, ["import", str(src), "--config", str(workspace_file)]).exit_code == 0
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(Post.lang)).scalar_one() == lang
    finally:
        engine.dispose()


def test_replay_events_carry_the_analysis(workspace_file: Path, tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "p.jsonl", _posts())
    events = tmp_path / "events.jsonl"
    result = runner.invoke(app, ["replay", str(src), "--config", str(workspace_file),
                                 "--events-out", str(events), "--post-events"])
    assert result.exit_code == 0, result.output
    got = {e["post"]["id"]: e["post"]["enrichment"] for e in map(json.loads, events.read_text().splitlines())}
    assert got["angry_de"]["sentiment"]["label"] == "negative"
    assert got["fire_de"]["complaint_types"] == ["safety"]


def test_analyze_cli_keeps_order_ids_and_reports_broken_lines(tmp_path: Path) -> None:
    lines: list[object] = [{"id": k, "text": t} for k, t in TEXTS.items()]
    lines.insert(2, "{broken")
    src = write_jsonl(tmp_path / "in.jsonl", lines)
    result = runner.invoke(app, ["analyze", str(src)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["angry_de", "happy_en", None, "fire_de", "emoji"]
    assert out[2]["line"] == 3
    assert "error" in out[2]
    for o in (out[0], out[1], out[3], out[4]):
        assert set(o) == {"id", "lang", "lang_score", "sentiment", "insult", "complaint_types"}
        assert o["sentiment"]["label"] in {"negative", "neutral", "positive"}
        assert 0.0 <= o["sentiment"]["score"] <= 1.0
        assert o["insult"]["label"] in {"offense", "none"}


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😡😡😡", "#fail", "@user", "https://t.co/x", "A" * 100_000, "a\x00b\x07c", "RAGE!!!!!!",
     "Des is fei a Schmarrn, Servus", "mixed Deutsch und English text, total verrückt lol"],
)
def test_nasty_inputs_never_crash(text: str) -> None:
    from crisisdesk.analysis.analyzer import build_analyzer

    (result,) = build_analyzer().analyze([text])
    assert result["sentiment"]["label"] in {"negative", "neutral", "positive"}
    assert result["insult"]["label"] in {"offense", "none"}
    assert isinstance(result["complaint_types"], list)
