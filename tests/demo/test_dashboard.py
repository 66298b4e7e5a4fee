"""The live dashboard: counts and rates on stream time, bounded windows, top posts, rendering."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console

from crisisdesk.demo.dashboard import LABELS, BucketSeries, LiveDashboard, reach, sparkline

T0 = datetime(2026, 11, 9, 12, 0, tzinfo=UTC)


def post_event(
    minute: float,
    monitors: list[str],
    *,
    post_id: str | None = None,
    followers: int = 10,
    likes: int = 0,
    shares: int = 0,
    text: str = "Voltaro Pulse 3 brennt",
    action: str = "created",
    platform: str = "x",
) -> dict[str, Any]:
    at = (T0 + timedelta(minutes=minute)).isoformat()
    return {
        "event": "post.ingested",
        "at": at,
        "action": action,
        "monitors": monitors,
        "post": {
            "platform": platform,
            "id": post_id or f"p{minute}-{followers}-{likes}",
            "created_at": at,
            "kind": "post",
            "lang": "de",
            "text": text,
            "url": None,
            "author": {"handle": f"user{followers}", "name": "U", "followers": followers, "verified": False},
            "metrics": {"likes": likes, "shares": shares, "replies": 0, "views": 0},
        },
    }


def render(dashboard: LiveDashboard) -> str:
    out = io.StringIO()
    Console(file=out, width=120).print(dashboard)
    return out.getvalue()


def test_counts_and_rates_on_stream_time() -> None:
    dash = LiveDashboard(["voltaro", "kinetta"], window_minutes=10)
    for minute, monitors in [(0, ["voltaro"]), (0.5, ["voltaro", "kinetta"]), (3, ["voltaro"]), (9, []),
                             (9.9, ["kinetta"])]:
        dash.observe(post_event(minute, monitors))
    # Window = the 10 minutes 12:00..12:09 (clock at 12:09:54): everything is inside.
    assert dash.window_count("voltaro") == 3
    assert dash.rate_per_minute("voltaro") == pytest.approx(0.3)
    assert dash.window_count("kinetta") == 2
    assert dash.window_count() == 5
    summary = dash.summary()
    assert summary["total_posts"] == 5
    assert summary["monitors"] == {"voltaro": 3, "kinetta": 2}
    assert summary["first_at"] == T0.isoformat()
    assert summary["span_seconds"] == pytest.approx(9.9 * 60)


def test_old_minutes_fall_out_of_the_window() -> None:
    dash = LiveDashboard(["voltaro"], window_minutes=10)
    dash.observe(post_event(0, ["voltaro"]))
    dash.observe(post_event(5, ["voltaro"]))
    dash.observe(post_event(9, ["voltaro"]))
    assert dash.window_count("voltaro") == 3
    dash.observe(post_event(10, []))  # 12:10 -> window 12:01..12:10, the 12:00 post is out
    assert dash.window_count("voltaro") == 2
    assert dash.rate_per_minute("voltaro") == pytest.approx(0.2)
    dash.observe({"event": "tick", "at": (T0 + timedelta(minutes=25)).isoformat()})  # any event moves time
    assert dash.window_count("voltaro") == 0
    assert dash.summary()["monitors"]["voltaro"] == 3  # totals never expire


def test_late_posts_count_in_their_own_minute_and_clock_never_runs_back() -> None:
    dash = LiveDashboard(["voltaro"], window_minutes=10)
    dash.observe(post_event(8, ["voltaro"]))
    dash.observe(post_event(2, ["voltaro"]))  # late but inside the window
    dash.observe(post_event(-30, ["voltaro"]))  # far too late for the window
    assert dash.window_count("voltaro") == 2
    assert dash.summary()["monitors"]["voltaro"] == 3
    assert dash.summary()["last_at"] == (T0 + timedelta(minutes=8)).isoformat()


def test_memory_is_bounded_by_the_window() -> None:
    dash = LiveDashboard(["voltaro"], window_minutes=5, top_n=3)
    for minute in range(0, 600):
        for k in range(4):
            dash.observe(post_event(minute, ["voltaro"], post_id=f"{minute}-{k}", likes=k))
    stats = dash._stats["voltaro"]
    assert len(stats.minutes) <= 5
    assert len(stats.hours) <= 24
    assert len(dash._top) <= 5
    assert all(len(heap) <= 3 for _, heap in dash._top)
    assert dash.window_count("voltaro") == 20


def test_hourly_sparkline_series() -> None:
    dash = LiveDashboard(["voltaro"])
    for minute in (0, 10, 70, 75, 80, 130):
        dash.observe(post_event(minute, ["voltaro"]))
    hourly = dash.hourly("voltaro")
    assert len(hourly) == 24
    assert hourly[-3:] == [2, 3, 1]
    assert sum(hourly) == 6


def test_sparkline_scales_to_peak() -> None:
    assert sparkline([0, 1, 2, 4, 8]) == " ▁▂▄█"
    assert sparkline([0, 0]) == "  "
    assert sparkline([]) == ""


def test_top_posts_order_by_reach_within_the_window() -> None:
    dash = LiveDashboard(["voltaro"], window_minutes=30, top_n=3)
    dash.observe(post_event(0, ["voltaro"], post_id="old-giant", followers=1_000_000))
    dash.observe(post_event(40, ["voltaro"], post_id="small", followers=100))
    dash.observe(post_event(41, ["voltaro"], post_id="big", followers=50_000))
    dash.observe(post_event(42, ["voltaro"], post_id="viral", followers=200, likes=90_000, shares=5_000))
    dash.observe(post_event(43, ["voltaro"], post_id="mid", followers=3_000))
    dash.observe(post_event(44, [], post_id="unmatched", followers=9_000_000))
    top = dash.top_posts()
    assert [p["id"] for _, p, _ in top] == ["viral", "big", "mid"]
    assert top[0][0] == 200 + 90_000 + 5_000
    assert top[0][2] == ("voltaro",)


def test_updated_post_moves_in_the_ranking_without_counting_twice() -> None:
    dash = LiveDashboard(["voltaro"], top_n=2)
    dash.observe(post_event(0, ["voltaro"], post_id="a", followers=100))
    dash.observe(post_event(1, ["voltaro"], post_id="b", followers=200))
    dash.observe(post_event(0, ["voltaro"], post_id="a", followers=100, likes=10_000, action="updated"))
    assert [p["id"] for _, p, _ in dash.top_posts()] == ["a", "b"]
    assert dash.summary()["total_posts"] == 2
    assert dash.summary()["updated_posts"] == 1


def test_reach_adds_followers_and_engagement() -> None:
    post = post_event(0, [], followers=1_000, likes=20, shares=5)["post"]
    assert reach(post) == 1_025
    assert reach({"author": None, "metrics": None}) == 0


def test_render_shows_monitors_clock_and_posts() -> None:
    dash = LiveDashboard(["voltaro", "battery-safety"], title="Voltaro war room")
    dash.observe(post_event(0, ["voltaro", "battery-safety"], text="Mein [bold]Pulse 3[/bold]\nbrennt 🔥"))
    text = render(dash)
    assert "Voltaro war room" in text
    assert "voltaro" in text and "battery-safety" in text
    assert "2026-11-09 12:00:00" in text
    assert "[bold]Pulse 3[/bold] brennt" in text  # markup in posts is shown, not interpreted; one line


def test_render_before_any_event_and_with_unknown_events() -> None:
    dash = LiveDashboard(["voltaro"])
    assert LABELS["waiting"] in render(dash)
    dash.observe({"event": "alert.opened", "at": T0.isoformat(), "monitor": "voltaro", "severity": "high"})
    dash.observe({"event": "post.ingested", "at": "not a time", "post": None})
    dash.observe({"no": "event name"})
    dash.observe({"event": "post.ingested", "post": {"text": "no time at all"}})
    text = render(dash)
    assert "alert.opened" in text
    assert "severity=high" in text
    assert dash.summary()["total_posts"] == 0
    assert dash.summary()["events"]["alert.opened"] == 1


def test_monitors_seen_in_events_but_not_configured_are_added() -> None:
    dash = LiveDashboard([])
    dash.observe(post_event(0, ["surprise"]))
    assert dash.summary()["monitors"] == {"surprise": 1}
    assert "surprise" in render(dash)


def test_bucket_series_inserts_late_buckets_in_order() -> None:
    series = BucketSeries(keep=5)
    series.add(10, 10)
    series.add(8, 10)
    series.add(9, 10)
    series.add(8, 10)
    series.add(5, 10)  # outside (10-5 < b)
    assert series.series(10) == [0, 0, 2, 1, 1]
    assert series.total(10) == 4


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        LiveDashboard(["voltaro"], window_minutes=0)


def test_negative_share_counts_the_analysis_in_the_window() -> None:
    from crisisdesk.demo.dashboard import LiveDashboard

    dash = LiveDashboard(["m"], window_minutes=10)
    for i, label in enumerate(["negative", "negative", "neutral", "positive"]):
        dash.observe({"event": "post.ingested", "at": f"2026-11-02T08:0{i}:00+00:00", "action": "created",
                      "monitors": ["m"], "post": {"platform": "x", "id": str(i),
                                                  "created_at": f"2026-11-02T08:0{i}:00+00:00", "text": "t",
                                                  "enrichment": {"sentiment": {"label": label}}}})
    assert dash.negative_share("m") == 0.5
    assert dash.negative_share("other") is None


def opened(sid: int, minute: float, *, severity: int = 2) -> dict[str, Any]:
    return {"event": "alert.opened", "situation": sid, "monitor": f"monitor{sid}", "cause": "spike",
            "severity": severity, "severity_name": "Krise",
            "at": (T0 + timedelta(minutes=minute)).isoformat(),
            "summary": f"Situation {sid}: " + "viele negative Beiträge über das Produkt " * 4,
            "top_terms": ["akku", "brand", "rückruf"], "reasons": ["volume 5x baseline", "negative 80 %"]}


def live_screen(dashboard: LiveDashboard, *, height: int, width: int = 120) -> list[str]:
    """What a terminal of that size shows: the live view as rendered for it."""
    out = io.StringIO()
    console = Console(file=out, width=width, height=height, force_terminal=True, color_system=None)
    console.print(dashboard)
    return out.getvalue().splitlines()


@pytest.mark.parametrize("height", [30, 40, 60])
def test_the_live_view_fits_the_terminal_with_many_situations(height: int) -> None:
    dash = LiveDashboard(["voltaro"], window_minutes=10)
    dash.fit = True
    dash.observe(post_event(0, ["voltaro"]))
    for sid in range(1, 41):
        dash.observe(opened(sid, sid * 0.1))
        dash.observe({"event": "alert.acknowledged", "situation": sid, "by": "Lena", "via": "web",
                      "at": (T0 + timedelta(minutes=sid * 0.1)).isoformat(), "escalations_stopped": 1})
    lines = live_screen(dash, height=height)
    assert len(lines) <= height
    text = "\n".join(lines)
    shown = {int(n) for n in re.findall(r"│\s+(\d+) │ monitor\1\b", text)}
    more = re.search(r"… and (\d+) more", text)
    assert more is not None and shown
    assert len(shown) + int(more.group(1)) == 40  # every open situation is shown or counted
    # the printed report (not a live screen) still shows the fuller list
    dash.fit = False
    assert len(render(dash).splitlines()) > height


def test_acknowledgements_name_their_real_channel() -> None:
    from crisisdesk.demo.dashboard_alerts import channel

    dash = LiveDashboard(["voltaro"])
    dash.observe(opened(1, 0))
    dash.observe({"event": "alert.acknowledged", "situation": 1, "by": "Lena Wagner", "via": "web",
                  "at": T0.isoformat(), "escalations_stopped": 1})
    [(_sid, by, _at, _stopped, via)] = dash.alerts.acknowledgements
    assert (by, via) == ("Lena Wagner", "web")
    assert channel(via) == "in the browser"
    assert channel("link") == "through the signed link" and channel("cli") == "on the command line"
    assert channel(None) == "(channel not recorded)"
    assert "Lena Wagner (web)" in render(dash)
