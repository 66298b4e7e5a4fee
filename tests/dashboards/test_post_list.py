"""The post list: every filter, combined filters, keyset pages, literal search text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from crisisdesk.dashboards import post_list as pl
from crisisdesk.dashboards import service
from crisisdesk.dashboards.schemas import PostRow
from crisisdesk.pipeline.events import NormalizedPost
from tests.dashboards.conftest import T0, Stream


def _all_pages(fetch: Callable[..., Any], limit: int) -> list[PostRow]:
    out: list[PostRow] = []
    cursor = None
    for _ in range(1000):
        page = fetch(cursor=cursor, limit=limit)
        assert len(page.items) <= limit
        out.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return out
    raise AssertionError("pages never ended")


def _expected(
    stream: Stream, keep: Callable[[NormalizedPost], bool], monitor: str | None = "brand"
) -> list[str]:
    chosen = [p for p in stream.posts if (monitor is None or monitor in p.monitors) and keep(p)]
    return [p.external_id for p in chosen]


def _ids(rows: list[PostRow]) -> list[str]:
    return [r.external_id for r in rows]


def _newest_first(rows: list[PostRow]) -> None:
    keys = [(r.created_at, r.id) for r in rows]
    assert keys == sorted(keys, reverse=True)
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("limit", [1, 7, 50])
def test_pages_have_no_duplicates_and_no_gaps(posts: Stream, limit: int) -> None:
    mid = posts.ids["rival"]
    with posts.engine.connect() as conn:
        rows = _all_pages(lambda **kw: service.post_list(conn, monitor_id=mid, **kw), limit)
    _newest_first(rows)
    assert sorted(_ids(rows)) == sorted(_expected(posts, lambda p: True, "rival"))


def test_first_page_without_monitor_is_the_newest_posts(posts: Stream) -> None:
    with posts.engine.connect() as conn:
        page = service.post_list(conn, limit=20)
        everything = _all_pages(lambda **kw: service.post_list(conn, **kw), 200)
    newest = sorted(posts.posts, key=lambda p: p.created_at, reverse=True)[:20]
    assert {r.external_id for r in page.items} == {p.external_id for p in newest}
    assert page.next_cursor is not None and not page.partial
    _newest_first(everything)
    assert len(everything) == len(posts.posts)


def _sentiment(p: NormalizedPost) -> str:
    return str(p.enrichment["sentiment"]["label"])


FILTERS: list[tuple[dict[str, Any], Callable[[NormalizedPost], bool]]] = [
    ({"lang": "de"}, lambda p: p.lang == "de"),
    ({"sentiment": "negative"}, lambda p: _sentiment(p) == "negative"),
    ({"insult": True}, lambda p: p.enrichment["insult"]["label"] == "offense"),
    ({"insult": False}, lambda p: p.enrichment["insult"]["label"] != "offense"),
    ({"complaint": "billing_price"}, lambda p: "billing_price" in p.enrichment["complaint_types"]),
    ({"channel": "mastodon"}, lambda p: p.platform == "mastodon"),
    (
        {"start": T0 + timedelta(days=1), "end": T0 + timedelta(days=1, hours=4)},
        lambda p: T0 + timedelta(days=1) <= p.created_at < T0 + timedelta(days=1, hours=4),
    ),
    (
        {
            "lang": "en",
            "sentiment": "negative",
            "insult": True,
            "complaint": "billing_price",
            "channel": "mastodon",
        },
        lambda p: (
            p.lang == "en"
            and _sentiment(p) == "negative"
            and p.enrichment["insult"]["label"] == "offense"
            and "billing_price" in p.enrichment["complaint_types"]
            and p.platform == "mastodon"
        ),
    ),
    ({"q": "BRAND #1", "lang": "en"}, lambda p: "brand #1" in p.text.lower() and p.lang == "en"),
]


@pytest.mark.parametrize(("filters", "keep"), FILTERS)
@pytest.mark.parametrize("monitor", ["brand", None])
def test_each_filter_and_combined(
    posts: Stream, filters: dict[str, Any], keep: Callable[[NormalizedPost], bool], monitor: str | None
) -> None:
    mid = posts.ids["brand"] if monitor else None
    with posts.engine.connect() as conn:
        rows = _all_pages(lambda **kw: service.post_list(conn, monitor_id=mid, **filters, **kw), 9)
    _newest_first(rows)
    expected = _expected(posts, keep, monitor)
    assert expected, "the filter must keep something"
    assert sorted(_ids(rows)) == sorted(expected)


@pytest.mark.parametrize(
    ("q", "texts"),
    [
        ("100%", ["100% sure"]),
        ("%", ["100% sure"]),
        ("_", ["snake_case"]),
        ("snake_case", ["snake_case"]),
        ("it's", ["it's fine"]),
        ('"cheese"', ['say "cheese"']),
        ("\\", ["back\\slash"]),
        ("ärger", ["Ärger mit der Bahn", "ÄRGER überall"]),
        ("PLAIN", ["plain text"]),
    ],
)
def test_search_text_is_literal_and_case_insensitive(posts: Stream, q: str, texts: list[str]) -> None:
    with posts.engine.connect() as conn:
        rows = _all_pages(lambda **kw: service.post_list(conn, monitor_id=posts.ids["brand"], q=q, **kw), 50)
    assert {r.text.rsplit(" brand #", 1)[0] for r in rows} == set(texts)
    assert len(rows) == 6 * len(texts)


def test_rows_carry_author_and_analysis(posts: Stream) -> None:
    with posts.engine.connect() as conn:
        page = service.post_list(
            conn, monitor_id=posts.ids["brand"], q="100% sure", complaint="billing_price", limit=1
        )
    row = page.items[0]
    assert row.author is not None and row.author.handle and row.author.followers == 100
    assert row.sentiment == "negative" and row.complaint_types == ["billing_price"]
    assert row.insult in {"offense", "none"} and row.created_at.tzinfo is not None


def test_a_rare_filter_stops_at_the_scan_bound_and_continues(
    posts: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pl, "SCAN_LIMIT", 25)
    mid = posts.ids["brand"]
    with posts.engine.connect() as conn:
        first = service.post_list(conn, monitor_id=mid, q="snake_case", limit=5)
        rows = _all_pages(lambda **kw: service.post_list(conn, monitor_id=mid, q="snake_case", **kw), 5)
    assert first.partial and first.next_cursor is not None and first.scanned_until is not None
    assert len(rows) == 6 and {r.text.split(" brand")[0] for r in rows} == {"snake_case"}


def test_a_foreign_cursor_is_refused(posts: Stream) -> None:
    with posts.engine.connect() as conn, pytest.raises(pl.CursorError):
        service.post_list(conn, cursor="'; DROP TABLE posts; --")
    at = T0 + timedelta(microseconds=123456)
    assert pl.decode_cursor(pl.encode_cursor(at, 42)) == (at, 42)
