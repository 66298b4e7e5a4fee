"""Server-rendered SVG charts: pure functions from data to an accessible ``<svg>`` string.

No JavaScript and nothing from a CDN: the pages work offline and the charts are part of the HTML
the server sends. Every chart

* names itself (``<title>``, ``<desc>``, ``role="img"``, ``aria-labelledby``) and gives each mark
  a ``<title>`` (a tooltip on hover, read out by screen readers);
* never relies on colour alone: the negative share is a dashed line with dots beside solid bars,
  situation markers carry their severity as text, bars carry their value as text, complaint types
  are small multiples with their names instead of a colour legend;
* scales with its container (``viewBox``, width 100 %);
* escapes every text it is given, and formats every number and time through ``fmt`` (see
  :class:`crisisdesk.web.formatting.Formatter`), so German users read "1.234" and "12,5 %".

The functions take anything with the right attributes (the protocols in
:mod:`crisisdesk.web.svg`), so the dashboard schemas (:mod:`crisisdesk.dashboards.schemas`) go
in as they are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from crisisdesk.web.i18n import t as message
from crisisdesk.web.svg import (
    BAR_FILL,
    GRID,
    MARKER_FILL,
    NEGATIVE_STROKE,
    PLAIN,
    SEVERITY_FILL,
    VOLUME_FILL,
    Fmt,
    S,
    StackValue,
    TimeValue,
    attr,
    chart_id,
    esc,
    fx,
    nice_max,
    open_svg,
    time_ticks,
)


def _say(fmt: Fmt, key: str, **values: object) -> str:
    """A chart's description in the reader's language (a :class:`Formatter` knows it; English else)."""
    lang = getattr(fmt, "lang", "en")
    return message(key, "de" if lang == "de" else "en", **values)


def sparkline(values: Sequence[float], *, title: str, fmt: Fmt = PLAIN, width: int = 120, height: int = 32,
              partial_last: bool = False) -> str:
    """A small line of ``values`` (oldest first) with the latest value dotted.

    ``partial_last`` draws the last point hollow: a bucket still filling (the current hour).
    """
    uid = chart_id("spark", title, tuple(values), partial_last)
    finite = [v if math.isfinite(v) else 0.0 for v in values]
    if finite:
        desc = _say(fmt, "chart.values", count=len(finite), low=fmt.number(min(finite)),
                    high=fmt.number(max(finite)), last=fmt.number(finite[-1]))
    else:
        desc = _say(fmt, "chart.no_data")
    out = open_svg("sparkline", width, height, title, desc, uid)
    pad = 3.0
    if not finite:
        y = height - pad
        out.append(f'<line class="baseline" x1="0" y1="{fx(y)}" x2="{width}" y2="{fx(y)}" stroke="{GRID}"/>')
        out.append("</svg>")
        return "".join(out)
    top = max(max(finite), 0.0) or 1.0
    step = (width - 2 * pad) / max(len(finite) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = pad + i * step if len(finite) > 1 else width / 2
        return x, height - pad - (max(v, 0.0) / top) * (height - 2 * pad)

    points = [xy(i, v) for i, v in enumerate(finite)]
    line = " ".join(f"{fx(x)},{fx(y)}" for x, y in points)
    base = height - pad
    area = f"{fx(points[0][0])},{fx(base)} {line} {fx(points[-1][0])},{fx(base)}"
    out.append(f'<polygon class="area" points="{area}" fill="{VOLUME_FILL}" fill-opacity="0.15"/>')
    out.append(f'<polyline class="line" points="{line}" fill="none" stroke="{VOLUME_FILL}" '
               f'stroke-width="1.5" stroke-linejoin="round"/>')
    x, y = points[-1]
    fill = "white" if partial_last else VOLUME_FILL
    out.append(f'<circle class="last" cx="{fx(x)}" cy="{fx(y)}" r="2.5" fill="{fill}" stroke="{VOLUME_FILL}">'
               f"<title>{esc(fmt.number(finite[-1]))}</title></circle>")
    out.append("</svg>")
    return "".join(out)


# -- volume and negative share over time -------------------------------------------------------

def volume_chart(points: Sequence[TimeValue], *, start: datetime, end: datetime, step: timedelta,
                 title: str, fmt: Fmt = PLAIN, volume_label: str = "Posts",
                 share_label: str = "Negative share", markers: Sequence[S] = (),
                 marker_label: Callable[[S], str] | None = None, width: int = 720,
                 height: int = 260) -> str:
    """Volume as bars (left axis) and the negative share as a dashed line (right axis, 0–100 %),
    with situations as shaded bands from opening to resolution, each labelled with its severity.

    ``points`` are buckets of ``step`` within ``[start, end)``; missing buckets are empty. The
    share line breaks where a bucket has no posts (a share of nothing is not 0 %).
    """
    label_of = marker_label or (lambda m: f"{m.severity}")
    uid = chart_id("volume", title, start, end, step,
               tuple((p.start, p.volume, p.negative_share) for p in points),
               tuple((m.opened_at, m.resolved_at, m.severity) for m in markers))
    total = sum(p.volume for p in points)
    peak = max(points, key=lambda p: p.volume, default=None)
    desc = (_say(fmt, "chart.range", label=volume_label, total=fmt.number(total), start=fmt.when(start),
                 end=fmt.when(end))
            + (_say(fmt, "chart.peak", peak=fmt.number(peak.volume), at=fmt.when(peak.start))
               if peak and peak.volume else "")
            + (_say(fmt, "chart.marked", count=len(markers)) if markers else ""))
    out = open_svg("volume", width, height, title, desc, uid)
    left, right, top, bottom = 52.0, 48.0, 18.0, 26.0
    plot_w, plot_h = width - left - right, height - top - bottom
    span = max((end - start).total_seconds(), 1.0)

    def x_of(at: datetime) -> float:
        return left + min(max((at - start).total_seconds() / span, 0.0), 1.0) * plot_w

    y_top = nice_max(max((p.volume for p in points), default=0))

    def y_vol(v: float) -> float:
        return top + plot_h - (max(v, 0) / y_top) * plot_h

    def y_share(s: float) -> float:
        return top + plot_h - min(max(s, 0.0), 1.0) * plot_h

    # grid and axes
    out.append('<g class="grid" aria-hidden="true">')
    for i in range(5):
        v = y_top * i / 4
        y = y_vol(v)
        out.append(f'<line x1="{fx(left)}" y1="{fx(y)}" x2="{fx(left + plot_w)}" y2="{fx(y)}" '
                   f'stroke="{GRID}" stroke-width="0.5"/>')
        out.append(f'<text x="{fx(left - 6)}" y="{fx(y + 4)}" text-anchor="end" fill="currentColor">'
                   f"{esc(fmt.number(v))}</text>")
        out.append(f'<text x="{fx(left + plot_w + 6)}" y="{fx(y + 4)}" fill="{NEGATIVE_STROKE}">'
                   f"{esc(fmt.percent(i / 4))}</text>")
    ticks, tick_step = time_ticks(start, end)
    for t in ticks:
        x = x_of(t)
        out.append(f'<line x1="{fx(x)}" y1="{fx(top + plot_h)}" x2="{fx(x)}" y2="{fx(top + plot_h + 4)}" '
                   f'stroke="currentColor"/>')
        out.append(f'<text x="{fx(x)}" y="{fx(top + plot_h + 16)}" text-anchor="middle" fill="currentColor">'
                   f"{esc(fmt.tick(t, tick_step))}</text>")
    out.append(f'<text x="{fx(left)}" y="11" fill="{VOLUME_FILL}">■ {esc(volume_label)}</text>')
    out.append(f'<text x="{fx(left + plot_w)}" y="11" text-anchor="end" fill="{NEGATIVE_STROKE}">'
               f"- - ● {esc(share_label)}</text>")
    out.append("</g>")
    # situations behind the bars
    if markers:
        out.append('<g class="markers" role="list">')
        for m in markers:
            x0 = x_of(max(m.opened_at, start))
            x1 = x_of(min(m.resolved_at or end, end))
            fill = SEVERITY_FILL.get(m.severity, MARKER_FILL)
            label = label_of(m)
            when = fmt.when(m.opened_at) + (f" – {fmt.when(m.resolved_at)}" if m.resolved_at else "")
            out.append(f'<g role="listitem" aria-label={attr(f"{label}: {when}")}>'
                       f"<title>{esc(f'{label}: {when}')}</title>"
                       f'<rect x="{fx(x0)}" y="{fx(top)}" width="{fx(max(x1 - x0, 2.0))}" '
                       f'height="{fx(plot_h)}" fill="{fill}" fill-opacity="0.18"/>'
                       f'<line x1="{fx(x0)}" y1="{fx(top)}" x2="{fx(x0)}" y2="{fx(top + plot_h)}" '
                       f'stroke="{fill}" stroke-width="1.5"/>'
                       f'<text x="{fx(x0 + 2)}" y="{fx(top + 10)}" fill="currentColor" font-weight="bold">'
                       f"{esc(f'▲{m.severity}')}</text></g>")
        out.append("</g>")
    # volume bars
    bar_w = max(plot_w * step.total_seconds() / span - 1, 1.0)
    out.append('<g class="bars" role="list">')
    for p in points:
        if p.volume <= 0:
            continue
        x, y = x_of(p.start), y_vol(p.volume)
        tip = (f"{fmt.when(p.start)}: {fmt.number(p.volume)} {volume_label}, "
               f"{fmt.percent(p.negative_share)} {share_label}")
        out.append(f'<rect role="listitem" aria-label={attr(tip)} x="{fx(x)}" y="{fx(y)}" '
                   f'width="{fx(bar_w)}" height="{fx(top + plot_h - y)}" fill="{VOLUME_FILL}">'
                   f"<title>{esc(tip)}</title></rect>")
    out.append("</g>")
    # negative share line, broken at empty buckets
    segments: list[list[tuple[float, float]]] = [[]]
    for p in sorted(points, key=lambda p: p.start):
        if p.volume <= 0:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append((x_of(p.start) + bar_w / 2, y_share(p.negative_share)))
    path = " ".join("M" + " L".join(f"{fx(x)},{fx(y)}" for x, y in seg) for seg in segments if seg)
    if path:
        out.append(f'<path class="share" d="{path}" fill="none" stroke="{NEGATIVE_STROKE}" '
                   f'stroke-width="1.5" stroke-dasharray="4 3" aria-hidden="true"/>')
        if sum(len(s) for s in segments) <= 60:  # dots, where they stay readable
            out.append('<g class="share-dots" aria-hidden="true">' + "".join(
                f'<circle cx="{fx(x)}" cy="{fx(y)}" r="2" fill="{NEGATIVE_STROKE}"/>'
                for seg in segments for x, y in seg) + "</g>")
    if not points or total == 0:
        out.append(f'<text class="empty" x="{fx(left + plot_w / 2)}" y="{fx(top + plot_h / 2)}" '
                   f'text-anchor="middle" fill="currentColor">–</text>')
    out.append("</svg>")
    return "".join(out)


# -- complaint types over time: small multiples --------------------------------------------------

def small_multiples(points: Sequence[StackValue], keys: Sequence[str], *, start: datetime, end: datetime,
                    title: str, fmt: Fmt = PLAIN, labels: Mapping[str, str] | None = None,
                    width: int = 720, row_height: int = 34) -> str:
    """One small area chart per key on a shared time axis and a shared scale, its name and total
    beside it: trends compare at a glance, and no colour legend is needed."""
    names = labels or {}
    uid = chart_id("multiples", title, start, end, tuple(keys),
               tuple((p.start, tuple(sorted(p.values.items()))) for p in points))
    totals = {k: sum(p.values.get(k, 0) for p in points) for k in keys}
    desc = ("; ".join(f"{names.get(k, k)}: {fmt.number(totals[k])}" for k in keys)
            or _say(fmt, "chart.no_data"))
    label_w, value_w, top = 150.0, 60.0, 4.0
    axis_h = 20.0
    height = top + row_height * max(len(keys), 1) + axis_h
    out = open_svg("multiples", width, height, title, desc, uid)
    plot_w = width - label_w - value_w
    span = max((end - start).total_seconds(), 1.0)
    peak = max((p.values.get(k, 0) for p in points for k in keys), default=0) or 1
    ordered = sorted(points, key=lambda p: p.start)

    def x_of(at: datetime) -> float:
        return label_w + min(max((at - start).total_seconds() / span, 0.0), 1.0) * plot_w

    if not keys:
        out.append(f'<text x="{fx(width / 2)}" y="{fx(top + row_height / 2)}" text-anchor="middle" '
                   f'fill="currentColor">–</text>')
    out.append('<g role="list">')
    for row, key in enumerate(keys):
        y0 = top + row * row_height
        base = y0 + row_height - 6
        h = row_height - 10
        name = names.get(key, key)
        out.append(f'<g role="listitem" aria-label={attr(f"{name}: {fmt.number(totals[key])}")}>')
        out.append(f'<text x="{fx(label_w - 8)}" y="{fx(base - h / 2 + 4)}" text-anchor="end" '
                   f'fill="currentColor">{esc(_clip(name, 24))}<title>{esc(name)}</title></text>')
        out.append(f'<line x1="{fx(label_w)}" y1="{fx(base)}" x2="{fx(label_w + plot_w)}" y2="{fx(base)}" '
                   f'stroke="{GRID}" stroke-width="0.5"/>')
        coords = [(x_of(p.start), base - (p.values.get(key, 0) / peak) * h) for p in ordered]
        if coords:
            line = " ".join(f"{fx(x)},{fx(y)}" for x, y in coords)
            area = f"{fx(coords[0][0])},{fx(base)} {line} {fx(coords[-1][0])},{fx(base)}"
            out.append(f'<polygon points="{area}" fill="{VOLUME_FILL}" fill-opacity="0.35" '
                       f'stroke="{VOLUME_FILL}" stroke-width="1"/>')
        out.append(f'<text x="{fx(label_w + plot_w + 6)}" y="{fx(base - h / 2 + 4)}" fill="currentColor">'
                   f"{esc(fmt.number(totals[key]))}</text></g>")
    out.append("</g>")
    ticks, tick_step = time_ticks(start, end, max_ticks=6)
    axis_y = top + row_height * max(len(keys), 1)
    out.append('<g class="axis" aria-hidden="true">')
    for t in ticks:
        out.append(f'<text x="{fx(x_of(t))}" y="{fx(axis_y + 14)}" text-anchor="middle" fill="currentColor">'
                   f"{esc(fmt.tick(t, tick_step))}</text>")
    out.append("</g></svg>")
    return "".join(out)


# -- horizontal bars -----------------------------------------------------------------------------

def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(items: Sequence[tuple[str, float]], *, title: str, fmt: Fmt = PLAIN, percent: bool = False,
              notes: Sequence[str] | None = None, width: int = 480, row_height: int = 22,
              label_width: int = 140, highlight: str | None = None) -> str:
    """Horizontal bars (share of voice, channels, top authors), largest first as given, each with
    its value written beside it; ``percent`` formats values as shares, ``notes`` adds a text per
    row (e.g. "12 % negative"), ``highlight`` outlines one row (the monitor being viewed)."""
    uid = chart_id("bars", title, tuple(items), percent, tuple(notes or ()), highlight)
    show = fmt.percent if percent else fmt.number
    desc = "; ".join(f"{label}: {show(value)}" for label, value in items) or _say(fmt, "chart.no_data")
    top = 4.0
    height = top + row_height * max(len(items), 1) + 4
    out = open_svg("bars", width, height, title, desc, uid)
    value_w = 110.0
    plot_w = width - label_width - value_w
    peak = max((v for _, v in items), default=0.0)
    scale = (1.0 if percent and peak <= 1 else peak) or 1.0
    if not items:
        out.append(f'<text x="{fx(width / 2)}" y="{fx(top + row_height / 2 + 4)}" text-anchor="middle" '
                   f'fill="currentColor">–</text>')
    out.append('<g role="list">')
    for i, (label, value) in enumerate(items):
        y = top + i * row_height
        w = max(value, 0) / scale * plot_w
        note = notes[i] if notes is not None and i < len(notes) else ""
        spoken = f"{label}: {show(value)}" + (f", {note}" if note else "")
        outline = (' stroke="currentColor" stroke-width="1.5"'
                   if highlight is not None and label == highlight else "")
        out.append(f'<g role="listitem" aria-label={attr(spoken)}><title>{esc(spoken)}</title>'
                   f'<text x="{label_width - 6}" y="{fx(y + row_height / 2 + 4)}" text-anchor="end" '
                   f'fill="currentColor">{esc(_clip(label, 22))}</text>'
                   f'<rect x="{label_width}" y="{fx(y + 3)}" width="{fx(max(w, 1.0 if value > 0 else 0.0))}" '
                   f'height="{fx(row_height - 6)}" fill="{BAR_FILL}"{outline}/>'
                   f'<text x="{fx(label_width + w + 4)}" y="{fx(y + row_height / 2 + 4)}" '
                   f'fill="currentColor">'
                   f"{esc(show(value) + (f' · {note}' if note else ''))}</text></g>")
    out.append("</g></svg>")
    return "".join(out)
