"""Batches prepared in worker processes give exactly what the in-process path gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from crisisdesk.cli.main import app
from crisisdesk.models import Author, Monitor, MonitorMatch, Post
from crisisdesk.pipeline.events import NormalizedPost, RawItem
from crisisdesk.pipeline.stages import normalize
from tests.factories import post, write_jsonl

runner = CliRunner()


def test_row_form_round_trips() -> None:
    rows = [post(1), post(2, author=None, metrics=None, url="https://example.org/ä", lang=None),
            post(3, visibility="private", attachments=[{"type": "image", "media_id": "m1", "size": 10}])]
    items = [RawItem("t", i, json.dumps(r)) for i, r in enumerate(rows)]
    items[2].delivery_id = 42
    items = RawItem.batch_from_message(json.loads(json.dumps(RawItem.batch_to_message(items))))
    assert [i.delivery_id for i in items] == [None, None, 42]
    posts = normalize(items, max_text_chars=1000).posts
    posts[0].monitors = ["bahn"]
    posts[0].enrichment = {"lang": "de", "score": 0.5}
    assert (posts[2].visibility, posts[2].attachments, posts[2].delivery_id) == (
        "private", [{"type": "image", "media_id": "m1", "size": 10}], 42)
    again = [NormalizedPost.from_row(json.loads(json.dumps(p.to_row()))) for p in posts]
    assert again == posts


def _snapshot(url: str) -> tuple[list[tuple[object, ...]], ...]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            posts = conn.execute(select(Post.platform, Post.external_id, Post.text, Post.content_hash,
                                        Post.version, Post.created_at, Post.sentiment, Post.complaint_types,
                                        Post.visibility, Post.attachments)
                                 .order_by(Post.external_id)).all()
            authors = conn.execute(select(Author.external_id, Author.followers)
                                   .order_by(Author.external_id)).all()
            matches = conn.execute(select(Monitor.name, Post.external_id)
                                   .join(MonitorMatch, MonitorMatch.monitor_id == Monitor.id)
                                   .join(Post, Post.id == MonitorMatch.post_id)
                                   .order_by(Monitor.name, Post.external_id)).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in posts], [tuple(r) for r in authors], [tuple(r) for r in matches]


@pytest.mark.parametrize("workers", ["0", "2"])
def test_workers_store_the_same_as_in_process(workspace_file: Path, tmp_path: Path, database_url: str,
                                               monkeypatch: pytest.MonkeyPatch, workers: str) -> None:
    monkeypatch.setenv("CRISISDESK_IMPORT_WORKERS", workers)
    monkeypatch.setenv("CRISISDESK_BATCH_SIZE", "7")  # many small batches, several in flight
    rows: list[object] = [post(i, text=("Streik! " if i % 3 else "Deutsche Bahn ") + str(i))
                          for i in range(1, 60)]
    rows[10] = "{broken"
    rows[19] = post(20, text="Streik! 20", visibility="public", attachments=[{"type": "video", "size": 5}])
    rows.append(post(5, text="Deutsche Bahn fällt aus"))  # an update of a post from an earlier batch
    rows.append(post(6, text="Deutsche Bahn 6"))  # a duplicate of an earlier batch's post
    src = write_jsonl(tmp_path / "p.jsonl", rows)
    result = runner.invoke(app, ["import", str(src), "--config", str(workspace_file), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "read": 61, "imported": 58, "updated": 1, "duplicates": 1, "rejected": 1}
    posts, authors, matches = _snapshot(database_url)
    assert len(posts) == 58
    assert {r[1]: r[2] for r in posts}["p5"] == "Deutsche Bahn fällt aus"
    assert all(r[6] in {"negative", "neutral", "positive"} for r in posts)  # analysed on either path
    assert {r[1]: r[7] for r in posts}["p5"] == '["outage"]'  # "fällt aus" re-analysed after the edit
    assert {r[1]: r[8:] for r in posts}["p20"] == ("public", [{"type": "video", "size": 5}])
    assert len(authors) == 7
    streik = {ext for name, ext in matches if name == "streik"}
    bahn = {ext for name, ext in matches if name == "bahn"}
    assert "p5" in bahn  # re-matched after the edit
    assert "p5" not in streik
    assert len(bahn) == 20
    assert len(streik) == 38
