"""Overview and monitor page on a stream that went through the real store and detection engine."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from crisisdesk.dashboards import reads, service
from crisisdesk.pipeline.events import NormalizedPost
from tests.dashboards.conftest import NOW, ONSET, T0, Stream


def _in(posts: list[NormalizedPost], monitor: str, start: datetime, end: datetime) -> list[NormalizedPost]:
    return [p for p in posts if monitor in p.monitors and start <= p.created_at < end]


def _neg(posts: list[NormalizedPost]) -> int:
    return sum(p.enrichment["sentiment"]["label"] == "negative" for p in posts)


def test_overview_numbers_match_the_posts(stream: Stream) -> None:
    with stream.engine.connect() as conn:
        ov = service.overview(conn, now=NOW)
    by_name = {m.name: m for m in ov.monitors}
    assert set(by_name) == {"brand", "rival", "other"}
    brand = by_name["brand"]
    hour = timedelta(hours=1)
    last = _in(stream.posts, "brand", NOW - hour, NOW)
    before = _in(stream.posts, "brand", NOW - 2 * hour, NOW - hour)
    day = _in(stream.posts, "brand", NOW - 24 * hour, NOW)
    # minute rollups: a post counts in the minute it falls in; edge minutes are whole minutes
    assert abs(brand.last_hour.volume - len(last)) <= 2
    assert abs(brand.previous_hour.volume - len(before)) <= 2
    assert abs(brand.day.volume - len(day)) <= 2
    assert brand.last_hour.volume > 300 > brand.previous_hour.volume
    assert brand.last_hour.negative_share == pytest.approx(_neg(last) / len(last), abs=0.02)
    assert brand.last_hour.insult > 0 and 0 < brand.last_hour.insult_share < 0.2
    assert brand.last_hour.reach >= 300 * 5000
    assert brand.change is not None and brand.change > 5
    # sparkline: 24 hours, the last one still filling
    assert len(brand.sparkline) == 24 and brand.sparkline_partial_last
    assert brand.sparkline[-1].start == datetime(2026, 11, 3, 14, tzinfo=UTC)
    assert sum(p.volume for p in brand.sparkline) == len(
        _in(stream.posts, "brand", brand.sparkline[0].start, NOW + timedelta(minutes=1))
    )
    assert brand.sparkline[-1].negative_share > 0.5
    # the crisis: an open situation, listed first, and what changed in the last hour
    assert ov.monitors[0].name == "brand"
    assert brand.open_situations and brand.max_severity >= 2
    assert {s.cause for s in brand.open_situations} >= {"spike"}
    assert all(s.status == "open" and s.summary for s in brand.open_situations)
    assert not by_name["rival"].open_situations
    kinds = {(c.monitor, c.kind) for c in ov.changes}
    assert ("brand", "opened") in kinds
    assert all(NOW - hour <= c.at <= NOW for c in ov.changes)
    assert ov.changes == sorted(ov.changes, key=lambda c: c.at, reverse=True)
    movers = [(m.name, m.metric) for m in ov.movers]
    assert ("brand", "volume") in movers and movers[0] == ("brand", "volume")


def test_overview_of_selected_monitors_and_of_a_quiet_time(stream: Stream) -> None:
    with stream.engine.connect() as conn:
        only = service.overview(conn, now=NOW, monitors=[stream.ids["rival"]])
        early = service.overview(conn, now=T0 - timedelta(days=1))
        nothing = service.overview(conn, now=NOW, monitors=[])
    assert [m.name for m in only.monitors] == ["rival"] and not only.changes
    assert all(m.last_hour.volume == 0 and m.change is None for m in early.monitors)
    assert early.movers == [] and early.changes == []
    assert all(sum(p.volume for p in m.sparkline) == 0 for m in early.monitors)
    assert nothing.monitors == []


@pytest.mark.parametrize(
    ("span", "resolution", "step"),
    [
        (timedelta(minutes=30), "m", 60),
        (timedelta(hours=6), "m", 60),
        (timedelta(hours=7), "m", 300),
        (timedelta(hours=24), "m", 300),
        (timedelta(hours=48), "m", 600),
        (timedelta(hours=49), "h", 3600),
        (timedelta(days=7), "h", 3600),
        (timedelta(days=14), "h", 3600),
        (timedelta(days=15), "d", 86400),
        (timedelta(days=30), "d", 86400),
        (timedelta(days=800), "d", 2 * 86400),
    ],
)
def test_resolution_follows_the_range(span: timedelta, resolution: str, step: int) -> None:
    assert service.choose_resolution(NOW - span, NOW) == (resolution, step)
    n = span.total_seconds() / step
    assert n <= service.MAX_POINTS


@pytest.mark.parametrize(
    "span",
    [
        timedelta(hours=3),
        timedelta(hours=24),
        timedelta(days=2, hours=10),
        timedelta(days=7),
        timedelta(days=30),
    ],
)
def test_monitor_page_series_is_complete_and_adds_up(stream: Stream, span: timedelta) -> None:
    start = NOW - span
    with stream.engine.connect() as conn:
        page = service.monitor_page(conn, monitor_id=stream.ids["brand"], start=start, end=NOW, now=NOW)
    s = page.series
    step = timedelta(seconds=s.step_seconds)
    assert (s.resolution, s.step_seconds) == service.choose_resolution(start, NOW)
    starts = [p.start for p in s.points]
    assert starts == [s.start + i * step for i in range(len(starts))]  # no gaps, empty buckets included
    assert s.start <= start < s.start + step and starts[-1] < NOW <= starts[-1] + step
    in_chart = _in(stream.posts, "brand", s.start, NOW + timedelta(minutes=1))
    assert sum(p.volume for p in s.points) == len(in_chart)
    assert sum(p.negative for p in s.points) == _neg(in_chart)
    assert abs(page.totals.volume - len(_in(stream.posts, "brand", start, NOW))) <= 2
    # the wave is in the chart and marked
    assert max(p.volume for p in s.points) >= min(300, 300 * s.step_seconds // (30 * 60)) - 1
    assert any(m.cause == "spike" and m.status == "open" and m.resolved_at is None for m in page.situations)
    assert all(m.opened_at >= ONSET for m in page.situations if m.cause == "spike")


def test_monitor_page_share_of_voice_channels_complaints_terms(stream: Stream) -> None:
    start = NOW - timedelta(days=2)
    with stream.engine.connect() as conn:
        page = service.monitor_page(conn, monitor_id=stream.ids["brand"], start=start, end=NOW, now=NOW)
        rivals = service.monitor_page(
            conn, monitor_id=stream.ids["brand"], start=start, end=NOW, now=NOW, compare=[stream.ids["rival"]]
        )
    voice = {s.key: s for s in page.share_of_voice}
    assert set(voice) == {"brand", "rival", "other"}
    assert sum(s.share for s in page.share_of_voice) == pytest.approx(1.0)
    for name in voice:
        assert abs(voice[name].volume - len(_in(stream.posts, name, start, NOW))) <= 2
    assert [s.key for s in page.share_of_voice] == sorted(voice, key=lambda k: -voice[k].volume)
    assert {s.key for s in rivals.share_of_voice} == {"brand", "rival"}
    channels = {c.key: c.volume for c in page.channels}
    assert set(channels) == {"x", "facebook", "instagram"} and channels["instagram"] == 100
    assert [c.key for c in page.complaints] == ["safety"] and page.complaints[0].volume == 300
    assert page.complaints[0].negative_share == pytest.approx(0.8, abs=0.01)
    assert page.complaints_over_time.resolution == "h" and page.complaints_over_time.keys == ["safety"]
    assert sum(p.values["safety"] for p in page.complaints_over_time.points) == 300
    assert [lang.key for lang in page.languages] == ["en"]
    assert "scooter battery fire" in page.surging_terms  # the phrase in place of its three words
    assert page.terms_method == "surging"
    assert 0 < page.sample_posts <= service.SAMPLE_POSTS and page.baseline_posts > 0
    assert page.top_authors and page.top_authors[0].followers == 5000
    assert page.top_authors == sorted(page.top_authors, key=lambda a: -a.followers)


def test_monitor_page_edge_cases(stream: Stream) -> None:
    with stream.engine.connect() as conn:
        empty = service.monitor_page(
            conn,
            monitor_id=stream.ids["brand"],
            start=T0 - timedelta(days=9),
            end=T0 - timedelta(days=8),
            now=NOW,
        )
        future = service.monitor_page(
            conn,
            monitor_id=stream.ids["brand"],
            start=NOW - timedelta(hours=1),
            end=NOW + timedelta(days=3),
            now=NOW,
        )
        with pytest.raises(LookupError):
            service.monitor_page(conn, monitor_id=999_999, start=T0, end=NOW, now=NOW)
    assert empty.totals.volume == 0 and all(p.volume == 0 for p in empty.series.points)
    assert empty.surging_terms == [] and empty.top_authors == [] and empty.situations == []
    assert empty.complaints == [] and empty.complaints_over_time.keys == []
    assert future.end == NOW  # clamped: no empty future buckets


def test_totals_are_exact_for_any_range(stream: Stream, engine: Engine) -> None:
    rng = random.Random(3)
    mid = stream.ids["rival"]
    with engine.connect() as conn:
        for _ in range(15):
            a = T0 + timedelta(minutes=rng.randrange(0, 3 * 24 * 60))
            z = a + timedelta(minutes=rng.randrange(1, 3 * 24 * 60))
            expected = _in(stream.posts, "rival", reads.ceil_to(a, 60), reads.ceil_to(z, 60))
            got = reads.totals(conn, [mid], a, z)[mid]
            assert (got.volume, got.negative) == (len(expected), _neg(expected)), (a, z)


def test_pieces_cover_the_range_once() -> None:
    a, z = datetime(2026, 11, 1, 10, 17, tzinfo=UTC), datetime(2026, 11, 5, 3, 42, tzinfo=UTC)
    got = reads.pieces(a, z)
    assert [r for r, _, _ in got] == ["d", "h", "m", "h", "m"]
    covered = sorted((s, e) for _, s, e in got)
    assert covered[0][0] == a and covered[-1][1] == z
    assert all(x[1] == y[0] for x, y in itertools.pairwise(covered))
    assert reads.pieces(a, a) == []
    assert reads.pieces(a, a + timedelta(minutes=5)) == [("m", a, a + timedelta(minutes=5))]
