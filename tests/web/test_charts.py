"""The SVG charts parse, name themselves, label with ``fmt``, escape text and survive edge cases."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from crisisdesk.dashboards.schemas import BreakdownPoint, SeriesPoint, SituationMarker
from crisisdesk.web import charts
from crisisdesk.web import svg as svg_base
from crisisdesk.web.formatting import Formatter

NS = {"s": "http://www.w3.org/2000/svg"}
T0 = datetime(2026, 11, 3, tzinfo=UTC)
EVIL = "<script>alert(\"x\")</script> & 'q'"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img" and root.get("viewBox", "").startswith("0 0 ")
    assert root.get("width") == "100%"
    title, desc = root.find("s:title", NS), root.find("s:desc", NS)
    assert title is not None and desc is not None and title.text and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def series(volumes: list[int], negative: list[int] | None = None, step: int = 3600) -> list[SeriesPoint]:
    neg = negative or [0] * len(volumes)
    return [
        SeriesPoint(start=T0 + timedelta(seconds=i * step), volume=v, negative=n)
        for i, (v, n) in enumerate(zip(volumes, neg, strict=True))
    ]


@pytest.mark.parametrize("values", [[], [5], [0, 0, 0], [1, 5, 3, 9], [10**12, 3], [float("nan"), 2]])
def test_sparkline_edge_cases(values: list[float]) -> None:
    root = parse(charts.sparkline(values, title="Posts/h"))
    lines = root.findall(".//s:polyline", NS)
    assert len(lines) == (1 if values else 0)
    if values:
        last = root.find(".//s:circle/s:title", NS)
        assert last is not None and last.text


def test_sparkline_marks_a_partial_last_hour() -> None:
    full, partial = (
        charts.sparkline([1, 2], title="t"),
        charts.sparkline([1, 2], title="t", partial_last=True),
    )
    assert 'fill="white"' in partial and 'fill="white"' not in full


def test_volume_chart_structure_labels_and_markers() -> None:
    points = series([10, 0, 30, 20_000], [1, 0, 15, 10_000])
    markers = [
        SituationMarker(
            id=1,
            cause="spike",
            status="resolved",
            severity=3,
            opened_at=T0 + timedelta(hours=2),
            resolved_at=T0 + timedelta(hours=3),
        ),
        SituationMarker(id=2, cause="keyword", status="open", severity=1, opened_at=T0 - timedelta(hours=5)),
    ]
    svg = charts.volume_chart(
        points,
        start=T0,
        end=T0 + timedelta(hours=4),
        step=timedelta(hours=1),
        title="Volume",
        fmt=Formatter("de", "Europe/Berlin"),
        volume_label="Beiträge",
        share_label="Negativ",
        markers=markers,
        marker_label=lambda m: f"Stufe {m.severity}: {m.cause}",
    )
    root = parse(svg)
    bars = root.findall(".//s:g[@class='bars']/s:rect", NS)
    assert len(bars) == 3  # the empty bucket has no bar
    labels = [b.get("aria-label") or "" for b in bars]
    assert "20.000 Beiträge" in labels[-1] and "50\u00a0% Negativ" in labels[-1]
    assert "03.11.2026, 04:00" in labels[-1]  # Berlin time, German format
    share = root.find(".//s:path[@class='share']", NS)
    assert share is not None and share.get("d", "").count("M") == 2  # broken at the empty bucket
    assert share.get("stroke-dasharray")  # not colour alone
    marks = root.findall(".//s:g[@class='markers']/s:g", NS)
    assert [m.get("aria-label", "").split(":")[0] for m in marks] == ["Stufe 3", "Stufe 1"]
    assert "▲3" in texts(root) and "▲1" in texts(root)
    all_text = texts(root)
    assert "100\u00a0%" in all_text and "0\u00a0%" in all_text  # the share axis
    assert "20.000" in all_text  # the volume axis top, grouped the German way


def test_volume_chart_empty_one_point_and_zeros() -> None:
    for pts in ([], series([7]), series([0, 0, 0])):
        svg = charts.volume_chart(
            pts, start=T0, end=T0 + timedelta(hours=3), step=timedelta(hours=1), title="V"
        )
        root = parse(svg)
        assert root.find(".//s:g[@class='bars']", NS) is not None
    one = parse(
        charts.volume_chart(
            series([7]), start=T0, end=T0 + timedelta(hours=1), step=timedelta(hours=1), title="V"
        )
    )
    assert len(one.findall(".//s:g[@class='bars']/s:rect", NS)) == 1


def test_volume_chart_huge_numbers_stay_finite() -> None:
    svg = charts.volume_chart(
        series([10**15, 1]),
        start=T0,
        end=T0 + timedelta(hours=2),
        step=timedelta(hours=1),
        title="V",
        fmt=Formatter("en"),
    )
    root = parse(svg)
    assert "inf" not in svg and "nan" not in svg
    assert "1000T" in texts(root) or "1,000T" in texts(root)  # compact in English


def test_all_text_is_escaped() -> None:
    svgs = [
        charts.sparkline([1, 2], title=EVIL),
        charts.volume_chart(
            series([1, 2]),
            start=T0,
            end=T0 + timedelta(hours=2),
            step=timedelta(hours=1),
            title=EVIL,
            volume_label=EVIL,
            share_label=EVIL,
            markers=[SituationMarker(id=1, cause="x", status="open", severity=2, opened_at=T0)],
            marker_label=lambda m: EVIL,
        ),
        charts.bar_chart([(EVIL, 3.0), ("b", 1.0)], title=EVIL, notes=[EVIL, ""], highlight=EVIL),
        charts.small_multiples(
            [BreakdownPoint(start=T0, values={EVIL: 3})],
            [EVIL],
            start=T0,
            end=T0 + timedelta(hours=1),
            title=EVIL,
            labels={EVIL: EVIL},
        ),
    ]
    for svg in svgs:
        root = parse(svg)
        assert "<script>" not in svg
        assert root.find(".//s:script", NS) is None
        title = root.find("s:title", NS)
        assert title is not None and title.text == EVIL  # escaped, and parsed back intact


def test_bar_chart_values_percent_highlight_and_empty() -> None:
    items = [("acme", 0.5), ("globex", 0.3), ("initech", 0.2)]
    root = parse(
        charts.bar_chart(
            items,
            title="Share of voice",
            percent=True,
            fmt=Formatter("de"),
            highlight="globex",
            notes=["1.200 Beiträge", "", ""],
        )
    )
    rows = root.findall(".//s:g[@role='list']/s:g", NS)
    assert [r.get("aria-label") for r in rows] == [
        "acme: 50\u00a0%, 1.200 Beiträge",
        "globex: 30\u00a0%",
        "initech: 20\u00a0%",
    ]
    widths = [float(r.find("s:rect", NS).get("width", "0")) for r in rows]  # type: ignore[union-attr]
    assert widths[0] > widths[1] > widths[2] > 0
    assert rows[1].find("s:rect", NS).get("stroke") == "currentColor"  # type: ignore[union-attr]
    empty = parse(charts.bar_chart([], title="Channels"))
    assert texts(empty) == ["–"]
    zeros = parse(charts.bar_chart([("a", 0.0)], title="z"))
    assert zeros.find(".//s:rect", NS).get("width") == "0"  # type: ignore[union-attr]
    long = parse(charts.bar_chart([("x" * 80, 1.0)], title="long"))
    assert any(t.endswith("…") for t in texts(long))


def test_small_multiples_one_row_per_key_on_a_shared_axis() -> None:
    points = [
        BreakdownPoint(start=T0 + timedelta(hours=i), values={"safety": i, "outage": 2}) for i in range(24)
    ]
    root = parse(
        charts.small_multiples(
            points,
            ["safety", "outage"],
            start=T0,
            end=T0 + timedelta(days=1),
            title="Complaints",
            labels={"safety": "Sicherheit"},
            fmt=Formatter("de"),
        )
    )
    rows = root.findall(".//s:g[@role='list']/s:g", NS)
    assert [r.get("aria-label") for r in rows] == ["Sicherheit: 276", "outage: 48"]
    assert len(root.findall(".//s:polygon", NS)) == 2
    ticks = texts(root.find(".//s:g[@class='axis']", NS))  # type: ignore[arg-type]
    assert ticks and all(":" in t for t in ticks)  # hours on a one-day axis
    empty = parse(charts.small_multiples([], [], start=T0, end=T0 + timedelta(days=1), title="none"))
    assert "–" in texts(empty)


def test_ids_are_stable_and_distinct() -> None:
    a = charts.sparkline([1, 2], title="a")
    assert a == charts.sparkline([1, 2], title="a")
    first = parse(a).find("s:title", NS)
    other = parse(charts.sparkline([1, 3], title="a")).find("s:title", NS)
    assert first is not None and other is not None and first.get("id") != other.get("id")


@pytest.mark.parametrize(
    ("span", "step"),
    [
        (timedelta(hours=1), timedelta(minutes=10)),
        (timedelta(days=1), timedelta(hours=6)),
        (timedelta(days=7), timedelta(days=1)),
        (timedelta(days=30), timedelta(days=7)),
    ],
)
def test_time_ticks_are_round(span: timedelta, step: timedelta) -> None:
    ticks, got = svg_base.time_ticks(T0 + timedelta(minutes=7), T0 + timedelta(minutes=7) + span)
    assert got == step and 1 <= len(ticks) <= 7
    assert all(int(t.timestamp()) % int(step.total_seconds()) == 0 for t in ticks)


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (0.3, 1), (7, 10), (11, 20), (21, 25), (260, 500), (1e12, 1e12)]
)
def test_nice_max(value: float, top: float) -> None:
    assert svg_base.nice_max(value) == top
