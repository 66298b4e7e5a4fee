"""normalize refuses what cannot be stored, per item and with the field named; the JSON text of a
line (import) and the parsed object (API) give the same answer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crisisdesk.pipeline.events import RawItem
from crisisdesk.pipeline.parallel import PrepareWorkers, decode
from crisisdesk.pipeline.stages import MAX_DEPTH, normalize
from crisisdesk.posts.schemas import MAX_COUNT
from tests.factories import post


def nested(depth: int, leaf: Any = 0) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def both_forms(row: dict[str, Any]) -> list[RawItem]:
    """The row as a JSON Lines line (stdlib escapes) and as the object the API hands over."""
    return [RawItem("t", 1, json.dumps(row)), RawItem("t", 1, row)]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (post(1, metrics={"likes": MAX_COUNT + 1}), f"metrics.likes: {MAX_COUNT + 1} is over the limit"),
        (post(1, metrics={"views": 2**63}), f"metrics.views: {2**63} is over the limit"),
        (post(1, author={"id": "a", "followers": 2**100}), "author.followers: "),
        (post(1, junk=nested(MAX_DEPTH)), "junk: nested more than 64 levels deep"),
        (post(1, junk=nested(400)), "junk: nested more than 64 levels deep"),
        (post(1, **{"x\ud800": nested(400)}), "x\\ud800: nested more than 64 levels deep"),
        (post(1, id="a\x00"), "id: contains a NUL character"),
        (post(1, channel="c\x00"), "channel: contains a NUL character"),
        (post(1, id="a\ud800"), "id: contains an unpaired surrogate"),
        (post(1, url="https://x/\udfff"), "url: contains an unpaired surrogate"),
        (post(1, author={"id": "a\ud83d"}), "author.id: contains an unpaired surrogate"),
        (post(1, created_at="0001-01-01T00:30:00+01:00"),
         "created_at: 0001-01-01T00:30:00+01:00 is out of range"),
    ],
)
def test_refused_the_same_from_text_and_from_objects(row: dict[str, Any], reason: str) -> None:
    for item in both_forms(row):
        result = normalize([RawItem("t", 0, post(0)), item, RawItem("t", 2, post(2))], max_text_chars=1000)
        assert [p.external_id for p in result.posts] == ["p0", "p2"], type(item.data)
        assert [r.position for r in result.rejections] == [1]
        assert result.rejections[0].reason.startswith(reason), (type(item.data), result.rejections[0].reason)
        result.rejections[0].reason.encode("utf-8")  # sendable, storable


@pytest.mark.parametrize(
    ("row", "text", "handle", "name"),
    [
        (post(1, text="a\x00b\ud83d", author={"id": "a", "handle": "h\ud800", "name": "N\x00"}),
         "ab", "h", "N"),
        (post(1, text="ok", author={"id": "a", "handle": "ok", "name": "Jür\udc00gen"}),
         "ok", "ok", "Jürgen"),
        (post(1, junk=nested(MAX_DEPTH - 1), big=2**80, lone="\ud800"), post(1)["text"], "user1", "User 1"),
    ],
)
def test_free_text_is_cleaned_and_the_rest_kept(row: dict[str, Any], text: str, handle: str,
                                                name: str) -> None:
    hashes = set()
    for item in both_forms(row):
        result = normalize([item], max_text_chars=1000)
        assert not result.rejections, result.rejections
        p = result.posts[0]
        assert p.author is not None
        assert (p.text, p.author.handle, p.author.name) == (text, handle, name)
        p.raw.encode("utf-8")  # the raw payload is storable, whatever was sent
        hashes.add(p.content_hash)
    assert len(hashes) == 1  # import and API see the same post


def test_worker_processes_pass_on_rejections_holding_what_orjson_refuses() -> None:
    workers = PrepareWorkers(1, max_text_chars=1000, monitors=[])
    try:
        items = [RawItem("t", 1, post(1)), RawItem("t", 2, post(2, id="x\ud800", big=2**80)),
                 RawItem("t", 3, json.dumps(post(3)))]
        result = decode(workers.submit(items).result(), items)
    finally:
        workers.close()
    assert [p.external_id for p in result.posts] == ["p1", "p3"]
    assert [r.position for r in result.rejections] == [2]
    assert result.rejections[0].reason.startswith("id: contains an unpaired surrogate")
    data = result.rejections[0].data
    assert isinstance(data, dict) and data["id"] == "x\ufffd" and data["big"] == str(2**80)
