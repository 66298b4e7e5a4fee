"""Analytics as CSV: one row per figure, in long form (section, subject, figure, the period's value,
the previous period's, the change), so one file holds the channels and share of voice and every
spreadsheet can pivot it. Values are plain numbers (rates as fractions, times in seconds); an
empty cell means not reported or not computable, never zero."""

from __future__ import annotations

import csv
import io
from typing import Any

from crisisdesk.reports.analytics import FIGURES

HEADER = ("period_from", "period_to", "previous_from", "previous_to", "section", "subject", "platform",
          "figure", "value", "previous", "change", "basis")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def to_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    p, q = report["period"], report["previous_period"]
    when = (p["from"], p["to"], q["from"], q["to"])
    for row in report["channels"]:
        for figure in FIGURES:
            basis = {"engagement_rate": row["engagement_rate_basis"],
                     "engagements": row["engagements_source"]}.get(figure)
            writer.writerow([*when, "channel", row["channel"], row["platform"], figure, _cell(row[figure]),
                             _cell(row["previous"][figure]), _cell(row["change"][figure]["delta"]),
                             _cell(basis)])
    for v in report["share_of_voice"]:
        for figure, before in (("posts", "previous_posts"), ("share", "previous_share")):
            delta = (v[figure] - v[before] if v[figure] is not None and v[before] is not None else None)
            writer.writerow([*when, "share_of_voice", v["monitor"], "", figure, _cell(v[figure]),
                             _cell(v[before]), _cell(delta), ""])
    return out.getvalue()
