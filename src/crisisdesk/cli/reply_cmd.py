"""``crisisdesk check-reply``: check a reply against the guidelines before it is sent.

Exit codes, so that scripts and editors can use it as a lint: 0 no findings, 1 findings, 2 a
usage error (unknown language).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.text import Text

from crisisdesk.cli.common import err, out
from crisisdesk.guidelines import Check, check_reply

_HEADINGS = {
    "de": ("Keine Auffälligkeiten.", "Vorschlag", "Hinweise"),
    "en": ("No findings.", "Suggestion", "findings"),
}


def _show(text: str, result: Check) -> None:
    """The reply with every finding's words highlighted, then each finding with its suggestion."""
    clean, suggest, plural = _HEADINGS[result.lang]
    if not result.findings:
        out.print(f"[green]{clean}[/]")
        return
    marked = Text(text)
    for f in result.findings:
        if f.end > f.start and (f.start, f.end) != (0, len(text)):
            marked.stylize("bold red underline", f.start, f.end)
    out.print(marked)
    out.print(f"\n{len(result.findings)} {plural} ({result.lang}):", highlight=False)
    for f in result.findings:
        where = f"{f.start}–{f.end}"
        quoted = text[f.start : f.end]
        excerpt = (quoted[:60] + "…") if len(quoted) > 60 else quoted
        line = Text.assemble(
            (f"[{f.code.value}] ", "bold yellow"),
            f.message,
            (f"  ({where}", "dim"),
            (f": {excerpt!r})" if excerpt else ")", "dim"),
        )
        out.print(line)
        out.print(Text.assemble(("  → ", "cyan"), f"{suggest}: {f.suggestion}"))


def check_reply_cmd(
    text: Annotated[str, typer.Argument(help="The reply to check (quote it).")],
    lang: Annotated[
        str | None, typer.Option("--lang", help="de or en [default: detected from the text].")
    ] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="The person's name or @handle, when known (else no_name cannot apply)."),
    ] = None,
    no_apology_expected: Annotated[
        bool,
        typer.Option(
            "--no-apology-expected",
            help="The message answered is not a complaint (praise, a question): a missing apology, empathy "
            "or next step is then not a finding.",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"lang", "findings": [...]} as JSON.')
    ] = False,
) -> None:
    """Check a reply: blame, excuses, non-apologies, hostility, and a missing apology, empathy, name,
    next step or time frame. Exit code 0 when clean, 1 when there are findings, 2 on a usage error."""
    if lang is not None and lang not in ("de", "en"):
        err.print(f"[bold red]error:[/] --lang must be de or en, not {lang!r}", highlight=False)
        raise typer.Exit(2)
    result = check_reply(text, lang, name=to, apology_expected=not no_apology_expected)
    if as_json:
        typer.echo(
            json.dumps(
                {"lang": result.lang, "findings": [f.as_dict() for f in result.findings]}, ensure_ascii=False
            )
        )
    else:
        _show(text, result)
    if result.findings:
        raise typer.Exit(1)
