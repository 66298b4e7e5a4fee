"""Reading over the JSON API what the monitor and overview pages show: the post list with its
filters and keyset pages, one post in full, the overview, the monitors and their series.

The data went through the real store and detection engine (tests/dashboards/conftest.py); what
each filter should keep is computed from the posts as they were written, and what the charts
should show from the dashboard service the pages use.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from crisisdesk.accounts.roles import Role
from crisisdesk.dashboards import service
from crisisdesk.pipeline.events import NormalizedPost
from crisisdesk.sources.models import Monitor
from tests.accounts.fixtures import SERVICE_TOKEN, World
from tests.dashboards.conftest import NOW, ONSET, T0, Stream

Desk = tuple[World, Stream]


def _get(world: World, path: str, **params: Any) -> Any:
    r = world.client.get(path, params=params, headers=world.bearer(Role.ANALYST))
    assert r.status_code == 200, r.text
    return r.json()


def _all_pages(world: World, limit: int, **params: Any) -> list[dict[str, Any]]:
    """Follow ``next`` to the end; every page within the limit."""
    out: list[dict[str, Any]] = []
    cursor = None
    for _ in range(2000):
        page = _get(world, "/api/v1/posts", limit=limit, **params, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= limit
        out.extend(page["items"])
        cursor = page["next"]
        if cursor is None:
            return out
    raise AssertionError("pages never ended")


def _keys(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(i["platform"], i["external_id"]) for i in items]


def _newest_first(items: list[dict[str, Any]]) -> None:
    keys = [(datetime.fromisoformat(i["created_at"]), i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True)


def _sentiment(p: NormalizedPost) -> str:
    return str(p.enrichment["sentiment"]["label"])


DAY1, DAY1_4H = T0 + timedelta(days=1), T0 + timedelta(days=1, hours=4)

#: (query parameters, which posts they keep)
FILTERS: list[tuple[dict[str, Any], Callable[[NormalizedPost], bool]]] = [
    ({"monitor": "rival"}, lambda p: "rival" in p.monitors),
    ({"platform": "mastodon"}, lambda p: p.platform == "mastodon"),
    ({"lang": "de"}, lambda p: p.lang == "de"),
    ({"sentiment": "negative"}, lambda p: _sentiment(p) == "negative"),
    ({"insult": "true"}, lambda p: p.enrichment["insult"]["label"] == "offense"),
    ({"insult": "false"}, lambda p: p.enrichment["insult"]["label"] != "offense"),
    ({"complaint_type": "billing_price"}, lambda p: "billing_price" in p.enrichment["complaint_types"]),
    ({"since": DAY1.isoformat(), "until": DAY1_4H.isoformat()}, lambda p: DAY1 <= p.created_at < DAY1_4H),
    ({"since": "2026-11-03T14:30:00"}, lambda p: p.created_at >= datetime(2026, 11, 3, 14, 30, tzinfo=UTC)),
    ({"q": "ärger"}, lambda p: "ärger" in p.text.lower()),  # across every monitor
    ({"q": "100%"}, lambda p: "100%" in p.text),
    ({"q": "BRAND #1", "monitor": "brand", "lang": "en"},
     lambda p: "brand #1" in p.text.lower() and "brand" in p.monitors and p.lang == "en"),
    ({"monitor": "brand", "sentiment": "negative", "insult": "true", "complaint_type": "billing_price",
      "platform": "mastodon", "lang": "en"},
     lambda p: ("brand" in p.monitors and _sentiment(p) == "negative" and p.lang == "en"
                and p.enrichment["insult"]["label"] == "offense" and p.platform == "mastodon"
                and "billing_price" in p.enrichment["complaint_types"])),
]


@pytest.mark.parametrize(("params", "keep"), FILTERS, ids=[str(f[0]) for f in FILTERS])
def test_each_filter_narrows_to_exactly_the_matching_posts(
        desk: Desk, params: dict[str, Any], keep: Callable[[NormalizedPost], bool]) -> None:
    world, stream = desk
    items = _all_pages(world, 40, **params)
    expected = [(p.platform, p.external_id) for p in stream.posts if keep(p)]
    assert expected and len(expected) < len(stream.posts), "the filter must keep some posts, not all"
    _newest_first(items)
    assert sorted(_keys(items)) == sorted(expected)


@pytest.mark.parametrize(("limit", "params"), [(200, {}), (13, {"monitor": "rival"}),
                                               (9, {"sentiment": "negative", "monitor": "brand"})])
def test_pages_visit_every_post_exactly_once(desk: Desk, limit: int, params: dict[str, Any]) -> None:
    world, stream = desk
    items = _all_pages(world, limit, **params)
    keys = _keys(items)
    assert len(keys) == len(set(keys)), "a post came twice"
    _newest_first(items)
    monitor, negative = params.get("monitor"), "sentiment" in params
    expected = {(p.platform, p.external_id) for p in stream.posts
                if (monitor is None or monitor in p.monitors)
                and (not negative or _sentiment(p) == "negative")}
    assert set(keys) == expected


def test_the_first_page_is_the_newest_and_new_posts_do_not_shift_the_next(desk: Desk) -> None:
    world, stream = desk
    first = _get(world, "/api/v1/posts", limit=5)
    newest = sorted(stream.posts, key=lambda p: p.created_at, reverse=True)[:5]
    assert {i["external_id"] for i in first["items"]} == {p.external_id for p in newest}
    assert isinstance(first["next"], str) and first["partial"] is False
    second = _get(world, "/api/v1/posts", limit=5, cursor=first["next"])
    stream.feed([stream.post(NOW, "brand new post")])  # arrives between two pages
    again = _get(world, "/api/v1/posts", limit=5, cursor=first["next"])
    assert again["items"] == second["items"]
    assert _get(world, "/api/v1/posts", limit=1)["items"][0]["text"] == "brand new post"


def test_rows_carry_author_and_analysis(desk: Desk) -> None:
    world, _ = desk
    item = _get(world, "/api/v1/posts", q="100% sure", complaint_type="billing_price", limit=1)["items"][0]
    assert item["author"]["handle"] and item["author"]["followers"] == 100
    assert item["sentiment"] == "negative" and item["complaint_types"] == ["billing_price"]
    assert item["text"].startswith("100% sure")


BAD = [
    ({"sentiment": "angry"}, "sentiment"),
    ({"platform": "myspace"}, "platform"),
    ({"insult": "maybe"}, "insult"),
    ({"limit": "0"}, "limit"),
    ({"limit": "201"}, "limit"),
    ({"since": "yesterday"}, "since"),
    ({"since": "2026-11-03T00:00:00Z", "until": "2026-11-02T00:00:00Z"}, "until"),
    ({"cursor": "'; DROP TABLE posts; --"}, "cursor"),
    ({"cursor": "99999999999999999999999.1"}, "cursor"),  # no clock reaches that time
    ({"cursor": "1.99999999999999999999"}, "cursor"),  # no 64-bit id
    ({"since": "0001-01-01T00:00:00+14:00"}, "since"),  # no UTC time at all
    ({"until": "1900-01-01T00:00:00Z"}, "until"),
    ({"monitor": "nobody"}, "monitor"),
    ({"complaint_type": "weather"}, "complaint_type"),
]


@pytest.mark.parametrize(("params", "name"), BAD, ids=[b[1] + str(i) for i, b in enumerate(BAD)])
def test_a_bad_filter_value_is_a_422_naming_the_parameter(world: World, params: dict[str, str],
                                                           name: str) -> None:
    r = world.client.get("/api/v1/posts", params=params, headers=world.bearer(Role.ANALYST))
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [["query", name]]


def test_one_post_in_full(desk: Desk) -> None:
    world, stream = desk
    shared = next(p for p in stream.posts if set(p.monitors) == {"brand", "rival"} and p.platform == "x")
    path = f"/api/v1/posts/x/{shared.external_id}"
    post = _get(world, path)
    assert post["text"] == shared.text and post["monitors"] == ["brand", "rival"]
    assert post["author"] == {"external_id": shared.author.external_id if shared.author else None,
                              "handle": f"@{shared.author.external_id}" if shared.author else None,
                              "name": f"User {shared.author.external_id}" if shared.author else None,
                              "followers": 100, "verified": False}
    assert post["metrics"] == {"likes": shared.likes, "shares": shared.shares, "replies": shared.replies,
                               "views": shared.views, "saves": shared.saves}
    assert post["analysis"]["sentiment"] == _sentiment(shared)
    assert post["analysis"]["insult"] == shared.enrichment["insult"]["label"]
    assert post["corrections"] == []
    r = world.client.post(path + "/labels", json={"sentiment": "positive", "complaint_types": ["outage"]},
                          headers=world.bearer(Role.AGENT))
    assert r.status_code == 200, r.text
    corrected = _get(world, path)
    assert corrected["analysis"]["sentiment"] == "positive"
    assert corrected["analysis"]["complaint_types"] == ["outage"]
    assert [(c["task"], c["label"], c["source"]) for c in corrected["corrections"]] == [
        ("sentiment", "positive", "api"), ("complaints", '["outage"]', "api")]
    missing = world.client.get("/api/v1/posts/x/nope", headers=world.bearer(Role.ANALYST))
    assert missing.status_code == 404 and missing.json()["detail"] == "no post x:nope"


def test_a_post_whose_id_holds_slashes(world: World) -> None:
    article = {"platform": "news", "id": "https://example.org/2026/bahn", "kind": "article",
               "created_at": "2026-12-01T08:00:00Z", "text": "Die Deutsche Bahn streikt"}
    r = world.client.post("/api/v1/posts", json=article, headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert r.status_code == 200 and r.json()["summary"]["imported"] == 1, r.text
    for path in ("/api/v1/posts/news/https%3A%2F%2Fexample.org%2F2026%2Fbahn",
                 "/api/v1/posts/news/https://example.org/2026/bahn"):
        found = _get(world, path)
        assert found["external_id"] == "https://example.org/2026/bahn" and found["kind"] == "article"
        assert found["monitors"] == ["bahn", "streik"] and found["author"] is None
    assert [i["external_id"] for i in _get(world, "/api/v1/posts", q="streikt")["items"]] == [article["id"]]


def test_the_overview_is_the_pages_overview(desk: Desk) -> None:
    world, stream = desk
    body = _get(world, "/api/v1/overview")
    with stream.engine.connect() as conn:
        page = service.overview(conn, now=NOW)
    assert body == page.model_dump(mode="json")
    brand = next(m for m in body["monitors"] if m["name"] == "brand")
    assert body["monitors"][0]["name"] == "brand"  # the crisis comes first
    assert brand["open_situations"] and brand["last_hour"]["volume"] > 300
    day = NOW - timedelta(hours=24)
    in_day = [p for p in stream.posts if "brand" in p.monitors and day <= p.created_at < NOW]
    assert abs(brand["day"]["volume"] - len(in_day)) <= 2  # minute rollups: whole edge minutes


def test_the_monitors_and_one_monitor(desk: Desk) -> None:
    world, stream = desk
    with world.engine.begin() as conn:  # the holder of a channel's health alerts: not a monitor
        conn.execute(insert(Monitor).values(name="channel:voltaro-fb", query="", active=False,
                                            created_at=NOW, updated_at=NOW))
    listed = _get(world, "/api/v1/monitors")
    assert [(m["name"], m["active"]) for m in listed] == [
        ("bahn", True), ("brand", True), ("other", True), ("rival", True)]
    assert next(m for m in listed if m["name"] == "brand")["description"] == "The brand we listen for"
    one = _get(world, "/api/v1/monitors/brand", range="7d")
    with stream.engine.connect() as conn:
        page = service.monitor_page(conn, monitor_id=stream.ids["brand"], start=NOW - timedelta(days=7),
                                    end=NOW, now=NOW)
    assert one["id"] == stream.ids["brand"] and one["query"] == "brand"
    assert one["dashboard"] == page.model_dump(mode="json")
    assert one["dashboard"]["totals"]["volume"] == sum("brand" in p.monitors for p in stream.posts)
    missing = world.client.get("/api/v1/monitors/nobody", headers=world.bearer(Role.ANALYST))
    assert missing.status_code == 404


@pytest.mark.parametrize(("params", "span"), [
    ({}, timedelta(hours=24)), ({"range": "7d"}, timedelta(days=7)), ({"range": "30d"}, timedelta(days=30)),
    ({"since": (ONSET - timedelta(hours=3)).isoformat()}, timedelta(hours=3, minutes=40)),
])
def test_the_series_is_the_pages_chart(desk: Desk, params: dict[str, str], span: timedelta) -> None:
    world, stream = desk
    body = _get(world, "/api/v1/monitors/brand/series", **params)
    with stream.engine.connect() as conn:
        page = service.monitor_page(conn, monitor_id=stream.ids["brand"], start=NOW - span, end=NOW, now=NOW)
    assert {k: body[k] for k in ("resolution", "step_seconds", "start", "end", "points")} \
        == page.series.model_dump(mode="json")
    assert body["situations"] == [m.model_dump(mode="json") for m in page.situations]
    assert body["monitor"] == "brand" and body["situations"]
    first = datetime.fromisoformat(body["start"])
    counted = [p for p in stream.posts if "brand" in p.monitors and first <= p.created_at < NOW]
    assert sum(p["volume"] for p in body["points"]) == len(counted)


def test_a_series_with_a_step_of_its_own(desk: Desk) -> None:
    world, stream = desk
    since, until = T0 + timedelta(hours=1, minutes=30), T0 + timedelta(days=2, hours=15)
    body = _get(world, "/api/v1/monitors/rival/series", since=since.isoformat(), until=until.isoformat(),
                step=7200)
    assert body["resolution"] == "h" and body["step_seconds"] == 7200
    starts = [datetime.fromisoformat(p["start"]) for p in body["points"]]
    assert starts[0] == T0 and all(b - a == timedelta(hours=2) for a, b in itertools.pairwise(starts))
    assert starts[-1] < until <= starts[-1] + timedelta(hours=2)
    for point, at in zip(body["points"], starts, strict=True):
        expected = [p for p in stream.posts
                    if "rival" in p.monitors and at <= p.created_at < at + timedelta(hours=2)]
        assert point["volume"] == len(expected), at


@pytest.mark.parametrize(("params", "name"), [
    ({"range": "1y"}, "range"), ({"step": "90"}, "step"), ({"step": "30"}, "step"),
    ({"step": "60", "range": "30d"}, "step"), ({"until": "2026-11-03T00:00:00Z"}, "since"),
    ({"step": str(10**12)}, "step"), ({"since": "0001-01-01T00:00:00Z"}, "since"),
    ({"since": "2026-11-03T00:00:00Z", "until": "2026-11-02T00:00:00Z"}, "until"),
])
def test_bad_series_parameters_are_named(world: World, params: dict[str, str], name: str) -> None:
    r = world.client.get("/api/v1/monitors/bahn/series", params=params, headers=world.bearer(Role.ANALYST))
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [["query", name]]


def test_reads_need_a_principal_with_view(world: World) -> None:
    for path in ("/api/v1/posts", "/api/v1/overview", "/api/v1/monitors", "/api/v1/monitors/bahn/series"):
        assert world.client.get(path).status_code == 401
        service = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
        assert world.client.get(path, headers=service).status_code == 403


def test_the_openapi_names_the_answers_and_the_errors(world: World) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    expected = {
        ("/api/v1/posts", "get"): ("PostList", {"401", "403", "422"}),
        ("/api/v1/posts/{platform}/{external_id}", "get"): ("PostDetail", {"401", "403", "404"}),
        ("/api/v1/overview", "get"): ("Overview", {"401", "403"}),
        ("/api/v1/monitors/{name}", "get"): ("MonitorDetail", {"401", "403", "404", "422"}),
        ("/api/v1/monitors/{name}/series", "get"): ("MonitorSeries", {"401", "403", "404", "422"}),
        ("/api/v1/situations/{situation_id}/severity", "post"): ("SituationChanged",
                                                                 {"401", "403", "404", "409", "422"}),
        ("/api/v1/situations/{situation_id}/resolve", "post"): ("SituationChanged",
                                                                {"401", "403", "404", "409", "422"}),
    }
    for (path, method), (model, codes) in expected.items():
        responses = paths[path][method]["responses"]
        assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith(f"/{model}"), path
        assert codes <= set(responses), (path, set(responses))
    invalid = paths["/api/v1/posts"]["get"]["responses"]["422"]
    assert invalid["content"]["application/json"]["schema"]["$ref"].endswith("/HTTPValidationError")
    assert "names the parameter" in invalid["description"]
    listed = paths["/api/v1/monitors"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["items"]["$ref"].endswith("/MonitorRead")
