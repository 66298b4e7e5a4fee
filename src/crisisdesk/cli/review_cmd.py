"""``crisisdesk review``: a crisis's after-action review as a file (PDF, HTML or JSON), for people
who run crisisdesk without its web app or want the document in a script."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from crisisdesk.cli.common import ConfigOption, err, friendly_errors, open_workspace
from crisisdesk.core.clock import SystemClock
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.db import make_engine, migrate

FORMATS = ("pdf", "html", "json")


@friendly_errors
def review(
    crisis: Annotated[int, typer.Argument(help="The crisis's id (crisisdesk situations / the crises page).")],
    config: ConfigOption = None,
    fmt: Annotated[str, typer.Option("--format", help="pdf, html or json")] = "pdf",
    lang: Annotated[str, typer.Option(help="de or en")] = "en",
    output: Annotated[Path | None, typer.Option("--out", "-o", help="The file to write (default: "
                                                "crisis-ID-review-LANG.FORMAT here).")] = None,
) -> None:
    """Write a crisis's after-action review: key moments, figures, curves, the team's work."""
    from sqlalchemy.orm import Session

    from crisisdesk.reports.review import build_review
    from crisisdesk.web import review_export
    from crisisdesk.web.formatting import Formatter

    if fmt not in FORMATS:
        raise CrisisdeskError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    if lang not in ("de", "en"):
        raise CrisisdeskError(f"--lang {lang!r}: use de or en")
    _, workspace = open_workspace(config)
    engine = make_engine(workspace.database_url)
    now = SystemClock().now()
    try:
        migrate(engine)
        with Session(engine) as session:
            found = build_review(session, crisis, now=now)
    finally:
        engine.dispose()
    if found is None:
        raise CrisisdeskError(f"no crisis {crisis}")
    formatter = Formatter(lang="de" if lang == "de" else "en", tz=str(workspace.config.time_zone))
    target = output or Path(review_export.filename(found, lang, fmt))
    if fmt == "json":
        target.write_text(json.dumps(found, ensure_ascii=False, indent=2), encoding="utf-8")
    elif fmt == "html":
        target.write_text(review_export.export_html(found, formatter, generated_at=now), encoding="utf-8")
    else:
        try:
            target.write_bytes(review_export.export_pdf(found, formatter, generated_at=now))
        except review_export.ExportUnavailable as exc:
            raise CrisisdeskError(str(exc)) from None
    err.print(f"wrote {target} ({target.stat().st_size:,} bytes)")
