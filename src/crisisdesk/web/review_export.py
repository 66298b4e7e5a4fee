"""The after-action review as a document: the context its page and its export share (figures
with their definitions, the charts, the mood, responses per channel, in the reader's language),
and the export as a standalone HTML file or a PDF (WeasyPrint, the ``pdf`` extra)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.web import charts
from crisisdesk.web.formatting import Formatter
from crisisdesk.web.i18n import t
from crisisdesk.web.templating import render_document

#: The figures, in the order the page lists them.
FIGURES = (
    "time_to_detect",
    "time_to_alert",
    "time_to_acknowledge",
    "time_to_first_public_response",
    "time_to_holding_statement",
    "time_to_resolution",
)


@dataclass(frozen=True)
class Point:
    start: datetime
    volume: float
    negative_share: float


@dataclass(frozen=True)
class Band:
    opened_at: datetime
    resolved_at: datetime | None
    severity: int


@dataclass(frozen=True)
class Stack:
    start: datetime
    values: dict[str, float]


def _duration(fmt: Formatter, seconds: float | None) -> str:
    return "–" if seconds is None else fmt.duration(seconds)


def _share(fmt: Formatter, value: float | None) -> str:
    return "–" if value is None else fmt.percent(value)


def figures_said(review: dict[str, Any], fmt: Formatter) -> list[dict[str, str]]:
    """Each figure with its name, value and definition in the reader's language."""
    return [
        {
            "key": k,
            "name": t(f"review.fig.{k}", fmt.lang),
            "value": _duration(fmt, review["figures"][k]),
            "means": t(f"review.def.{k}", fmt.lang),
        }
        for k in FIGURES
    ]


def review_charts(review: dict[str, Any], fmt: Formatter) -> dict[str, str]:
    ui = fmt.lang
    step = timedelta(seconds=review["step_seconds"])
    start = datetime.fromisoformat(review["window"]["start"])
    end = datetime.fromisoformat(review["window"]["end"]) + step
    points = [
        Point(
            datetime.fromisoformat(p["at"]), p["volume"], p["negative"] / p["volume"] if p["volume"] else 0.0
        )
        for p in review["curve"]
    ]
    bands = [
        Band(
            datetime.fromisoformat(s["opened_at"]),
            datetime.fromisoformat(s["resolved_at"]) if s["resolved_at"] else None,
            s["severity"],
        )
        for s in review["situations"]
    ]
    volume = charts.volume_chart(
        points,
        start=start,
        end=end,
        step=step,
        title=t("review.volume", ui),
        fmt=fmt,
        volume_label=t("monitor.posts", ui),
        share_label=t("overview.negative", ui),
        markers=bands,
        marker_label=lambda b: f"{b.severity}",
    )
    audience = charts.volume_chart(
        [Point(datetime.fromisoformat(p["at"]), p["audience"],
               p["negative_audience"] / p["audience"] if p["audience"] else 0.0) for p in review["curve"]],
        start=start, end=end, step=step, title=t("review.audience_curve", ui), fmt=fmt,
        volume_label=t("review.audience", ui), share_label=t("review.negative_audience", ui))
    kinds = [k["type"] for k in review["complaint_types"][:6]]
    stacks = [
        Stack(datetime.fromisoformat(p["at"]), {k: float(p["complaint_types"].get(k, 0)) for k in kinds})
        for p in review["curve"]
    ]
    complaints = (
        charts.small_multiples(stacks, kinds, start=start, end=end, title=t("review.complaints", ui), fmt=fmt)
        if kinds
        else ""
    )
    channels = (
        charts.bar_chart(
            [(c["platform"], float(c["posts"])) for c in review["channels"]],
            title=t("situation.channels", ui),
            fmt=fmt,
        )
        if review["channels"]
        else ""
    )
    return {"volume": volume, "audience": audience, "complaints": complaints, "channels": channels}


def context(review: dict[str, Any], fmt: Formatter) -> dict[str, Any]:
    """What the review's sections (``_review_body.html``) read."""
    sentiment = review["sentiment"]
    mood = {part: _share(fmt, (sentiment[part] or {}).get("negative_share"))
            for part in ("before", "during", "after")}
    responses = [{**row, "median": _duration(fmt, row["response_seconds"]["median"]),
                  "p90": _duration(fmt, row["response_seconds"]["p90"]),
                  "rate": _share(fmt, row["response_rate"])} for row in review["responses"]]
    return {"r": review, "c": review["crisis"], "figures": figures_said(review, fmt),
            "charts": review_charts(review, fmt), "mood": mood, "responses": responses,
            "negative_share": _share(fmt, review["posts"]["negative_share"])}


class ExportUnavailable(CrisisdeskError):
    """PDF export needs WeasyPrint (and Pango) on the server."""


def export_html(review: dict[str, Any], fmt: Formatter, *, generated_at: datetime) -> str:
    """The review as one self-contained HTML file: styles and charts inline, nothing fetched."""
    return render_document("review_export.html", fmt, generated_at=generated_at, **context(review, fmt))


def export_pdf(review: dict[str, Any], fmt: Formatter, *, generated_at: datetime) -> bytes:
    """The review as a PDF (A4, page numbers, the charts as vectors)."""
    return to_pdf(export_html(review, fmt, generated_at=generated_at))


def to_pdf(html: str) -> bytes:
    """A self-contained HTML document as a PDF (the review, a press release)."""
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:  # OSError: the package is there but Pango is not
        raise ExportUnavailable(
            "PDF export needs WeasyPrint and Pango on the server: pip install 'crisisdesk[pdf]' and "
            f"apt-get install libpango-1.0-0 libpangoft2-1.0-0 ({type(exc).__name__}: {exc})") from None
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def filename(review: dict[str, Any], lang: str, suffix: str) -> str:
    return f"crisis-{review['crisis']['id']}-review-{lang}.{suffix}"
