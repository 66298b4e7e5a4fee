"""The bulk store: statement shapes, the author cache, author profile updates."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from crisisdesk.bulk import _sizes
from crisisdesk.cli.main import app
from crisisdesk.models import Author
from crisisdesk.posts.service import AuthorCache
from tests.factories import post, write_jsonl

runner = CliRunner()


def test_statement_sizes_come_from_a_fixed_set() -> None:
    for n in (0, 1, 7, 512, 513, 1000, 1537, 4095):
        sizes = _sizes(n, 512)
        assert sum(sizes) == n
        assert all(s == 512 or s & (s - 1) == 0 for s in sizes)  # the largest, or a power of two


def test_author_cache_stays_bounded_and_keeps_recent_entries() -> None:
    cache = AuthorCache(max_size=100)
    for i in range(250):
        cache.remember({("x", str(i)): (i, None, None, None, None)})
    assert len(cache) <= 100
    assert cache.get(("x", "249")) == (249, None, None, None, None)
    assert cache.get(("x", "0")) is None


def test_author_profile_changes_are_stored(workspace_file: Path, tmp_path: Path, database_url: str) -> None:
    first = [post(1, author={"id": "a1", "handle": "anna", "followers": 10})]
    later = [post(2, author={"id": "a1", "handle": "anna_k", "followers": 5000, "verified": True})]
    for i, rows in enumerate((first, later)):
        src = write_jsonl(tmp_path / f"{i}.jsonl", rows)
        result = runner.invoke(app, ["import", str(src), "--config", str(workspace_file), "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout.strip().splitlines()[-1])["imported"] == 1
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            got = conn.execute(select(Author.handle, Author.followers, Author.verified)).all()
    finally:
        engine.dispose()
    assert got == [("anna_k", 5000, True)]
