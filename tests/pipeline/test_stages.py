"""Pipeline stages as pure functions: table-driven."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from crisisdesk.pipeline.enrich import NoEnrichment
from crisisdesk.pipeline.events import NormalizedPost, RawItem, StoredPost
from crisisdesk.pipeline.stages import dedupe, emit, enrich, match, normalize
from crisisdesk.sources.matcher import MonitorSet
from tests.factories import post


def items(*rows: Any) -> list[RawItem]:
    return [RawItem("test", i, r) for i, r in enumerate(rows, 1)]


def one(row: Any, **kw: Any) -> NormalizedPost:
    result = normalize(items(orjson.dumps(row).decode()), max_text_chars=kw.get("limit", 1000))
    assert not result.rejections, result.rejections
    return result.posts[0]


def test_normalize_converts_to_utc_and_keeps_raw() -> None:
    raw = orjson.dumps(post(1, created_at="2026-11-02T09:00:00+01:00", lang="DE")).decode()
    p = normalize(items(raw), max_text_chars=1000).posts[0]
    assert p.created_at == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert p.lang == "de"
    assert p.raw == raw
    assert p.author is not None and p.author.external_id == "u1"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"platform": "x", "id": "1", "text": "t"}, "created_at: required field missing"),
        ({"platform": "x", "id": "1", "text": "t", "created_at": "2026-13-01T00:00:00Z"}, "created_at"),
        ({"platform": "x", "id": "1", "text": "t", "created_at": "2026-11-01T00:00:00"}, "timezone"),
        ({"platform": "icq", "id": "1", "text": "t", "created_at": "2026-11-01T00:00:00Z"}, "platform"),
        ({"platform": "x", "id": "", "text": "t", "created_at": "2026-11-01T00:00:00Z"}, "id"),
        ({"platform": "x", "id": "1", "text": "t", "created_at": "2026-11-01T00:00:00Z",
          "metrics": {"likes": -1}}, "metrics.likes"),
        ({"platform": "x", "id": "1", "text": "t", "created_at": "2026-11-01T00:00:00Z",
          "author": {"followers": "many"}}, "author.followers"),
        ({"platform": "x", "id": "1", "text": "x" * 11, "created_at": "2026-11-01T00:00:00Z"},
         "11 characters, over the limit of 10"),
    ],
)
def test_normalize_rejects_with_field_and_reason(row: dict[str, Any], reason: str) -> None:
    limit = 10 if len(row["text"]) == 11 else 1000
    result = normalize(items(post(1, text="ok"), row, post(2, text="ok")), max_text_chars=limit)
    assert [p.external_id for p in result.posts] == ["p1", "p2"]
    assert len(result.rejections) == 1
    assert result.rejections[0].position == 2
    assert reason in result.rejections[0].reason


def test_normalize_keeps_good_neighbours() -> None:
    result = normalize(items(post(1), "[1,2]", "{", post(2)), max_text_chars=1000)
    assert [p.external_id for p in result.posts] == ["p1", "p2"]
    assert [(r.position, r.reason) for r in result.rejections] == [
        (2, "expected a JSON object"), (3, result.rejections[1].reason)]
    assert "not valid JSON" in result.rejections[1].reason


def test_normalize_cleans_nul_and_lone_surrogates() -> None:
    line = orjson.dumps(post(1, text="TEXT")).decode().replace("TEXT", "a\\u0000b \\ud83d c")
    result = normalize(items(line), max_text_chars=1000)
    assert not result.rejections, result.rejections
    assert result.posts[0].text == "ab  c"  # removed, as docs/ingest.md says
    result.posts[0].text.encode("utf-8")  # storable


def test_numeric_ids_are_kept_as_strings() -> None:
    p = one(post(1, id=1234567890123456789, author={"id": 42, "handle": "h"}))
    assert p.external_id == "1234567890123456789"
    assert p.author is not None and p.author.external_id == "42"


def test_dedupe_new_changed_duplicate_and_in_batch_versions() -> None:
    a1, b1 = one(post(1)), one(post(2))
    a2 = one(post(1, metrics={"likes": 99}))
    c1, c1_again, c2 = one(post(3)), one(post(3)), one(post(3, text="edited"))
    known = {a1.key: a1.content_hash, b1.key: b1.content_hash}
    result = dedupe([a2, b1, c1, c1_again, c2], known)
    assert [p.external_id for p in result.new] == ["p3"]
    assert result.new[0].text == "edited"  # the later version within the batch wins
    assert [p.external_id for p in result.changed] == ["p1"]
    assert result.duplicates == 2  # b1 (stored), c1_again (same as c1)
    assert result.superseded == 1


def test_content_hash_ignores_nothing_that_matters() -> None:
    base = one(post(1))
    for change in ({"text": "other"}, {"metrics": {"likes": 2}}, {"author": {"id": "u1", "followers": 1}},
                   {"lang": "en"}, {"kind": "reply"}, {"created_at": "2026-11-02T08:01:01+01:00"}):
        assert one(post(1, **change)).content_hash != base.content_hash, change
    assert one(post(1)).content_hash == base.content_hash


class Upper:
    name = "upper"

    def enrich(self, posts: Any) -> list[dict[str, Any]]:
        return [{"lang": "xx", "shout": p.text.upper()} for p in posts]


def test_enrich_hook_fills_missing_lang_only() -> None:
    given = one(post(1, lang="de"))
    missing = one(post(2, lang=None))
    out = enrich([given, missing], Upper())
    assert [p.lang for p in out] == ["de", "xx"]
    assert out[1].enrichment["shout"] == missing.text.upper()
    assert enrich([one(post(3))], NoEnrichment())[0].enrichment == {}


def test_match_and_emit() -> None:
    monitors = MonitorSet.compile([("bahn", "bahn"), ("en", "lang:en")])
    posts = match([one(post(1, text="Bahn kaputt", lang="de")), one(post(2, text="hi", lang="en"))], monitors)
    assert [p.monitors for p in posts] == [["bahn"], ["en"]]
    at = datetime(2026, 11, 2, tzinfo=UTC)
    events = emit([StoredPost(posts[0], 7, "created")], at)
    assert events[0]["event"] == "post.ingested"
    assert events[0]["at"] == at.isoformat()
    assert events[0]["monitors"] == ["bahn"]
    assert events[0]["post"]["author"]["handle"] == "user1"
    orjson.dumps(events)  # JSON-able: it crosses the bus
