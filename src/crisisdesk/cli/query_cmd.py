"""``crisisdesk check-query``: try a monitor query before it goes into crisisdesk.yaml."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from crisisdesk.cli.common import err, out
from crisisdesk.sources.matcher import MatchDoc, MonitorSet
from crisisdesk.sources.query import QuerySyntaxError, format_error, parse


def check_query(
    query: Annotated[str, typer.Argument(help="The query, e.g. '\"deutsche bahn\" OR #db'.")],
    text: Annotated[list[str] | None, typer.Option(
        "--text", "-t", help="A post text to test the query on (repeatable).")] = None,
    lang: Annotated[str | None, typer.Option(help="Language of the test posts (for lang:).")] = None,
    platform: Annotated[str | None, typer.Option(help="Platform of the test posts.")] = None,
    kind: Annotated[str | None, typer.Option(help="Kind of the test posts.")] = None,
    author: Annotated[str | None, typer.Option(help="Author handle of the test posts.")] = None,
) -> None:
    """Check a query's syntax (the error is shown under its position) and test it on sample texts."""
    try:
        parse(query)
    except QuerySyntaxError as exc:
        err.print(escape(format_error(query, exc)), highlight=False)
        raise typer.Exit(2) from exc
    out.print("[green]valid query[/]")
    if not text:
        return
    monitors = MonitorSet.compile([("query", query)])
    failed = 0
    for sample in text:
        doc = MatchDoc(sample, lang=lang, platform=platform, kind=kind, author_handle=author)
        hit = bool(monitors.match(doc))
        out.print(f"{'[green]match   [/]' if hit else '[red]no match[/]'}  {escape(sample)}", highlight=False)
        failed += not hit
    if failed:
        raise typer.Exit(1)
