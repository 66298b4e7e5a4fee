"""``crisisdesk import`` and ``crisisdesk replay``: files through the live pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from crisisdesk.bus.base import Message
from crisisdesk.cli.common import ConfigOption, err, friendly_errors, open_workspace, out
from crisisdesk.core.clock import StreamClock
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.ingest.encoding import TextEncoding
from crisisdesk.ingest.encoding import choose as choose_encoding
from crisisdesk.ingest.importer import (
    IngestRun,
    RejectsWriter,
    import_items,
    read_file,
    rejects_path_for,
    replay_items,
)
from crisisdesk.ingest.readers import CsvOptions, InputError, detect_format, parse_mapping
from crisisdesk.pipeline.parallel import default_workers
from crisisdesk.pipeline.runner import BatchResult
from crisisdesk.posts.schemas import IngestSummary
from crisisdesk.runtime import build_runtime

FileArg = Annotated[Path, typer.Argument(help="JSON Lines (canonical posts) or CSV file.",
                                         dir_okay=False, show_default=False)]
FormatOpt = Annotated[str | None, typer.Option("--format", help="jsonl or csv [default: from the file name]")]
MapOpt = Annotated[list[str] | None, typer.Option(
    "--map", help="CSV: FIELD=COLUMN, e.g. --map text=body --map created_at=date --map author.handle=user")]
TimeFmtOpt = Annotated[str | None, typer.Option("--time-format", help="CSV: strptime format of created_at")]
TzOpt = Annotated[str, typer.Option("--timezone", help="CSV: zone for times without an offset")]
PlatformOpt = Annotated[str | None, typer.Option("--platform", help="CSV: platform when no column holds it")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary as one JSON line.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Exit non-zero if any item was rejected.")]
EncodingOpt = Annotated[str | None, typer.Option(
    "--encoding", help="Text encoding of the file, e.g. utf-8, utf-16, cp1252. Without it: detected "
    "(byte order mark, else UTF-8; a CSV that is not UTF-8 is read as cp1252) and said on stderr.")]


@contextmanager
def _progress(label: str, total: int | None) -> Iterator[tuple[Progress, Any]]:
    """A progress bar on the terminal (stderr); nothing when output goes to a file or a pipe."""
    columns = [TextColumn("[bold]{task.description}"), BarColumn()]
    if total is not None:
        columns += [DownloadColumn(), TimeRemainingColumn()]
    progress = Progress(*columns, TextColumn("{task.fields[posts]} posts"),
                        console=err, disable=not err.is_terminal)
    with progress:
        task = progress.add_task(label, total=total, posts=0)
        yield progress, task


def _report(summary: IngestSummary, rejects: RejectsWriter, *, as_json: bool, strict: bool) -> None:
    if as_json:
        typer.echo(orjson.dumps(summary.model_dump()).decode())
    else:
        out.print(
            f"read [bold]{summary.read}[/], imported [bold green]{summary.imported}[/], "
            f"updated {summary.updated}, duplicates {summary.duplicates}, "
            f"rejected [bold {'red' if summary.rejected else 'green'}]{summary.rejected}[/]"
        )
    if rejects.count:
        err.print(f"{rejects.count} rejected item(s) with line number and reason: {rejects.path}",
                  highlight=False)
    if summary.read and summary.rejected == summary.read:
        where = escape(str(rejects.path))
        err.print(f"[bold red]error:[/] nothing could be imported: all {summary.read} item(s) were "
                  f"rejected (see the reasons in {where})", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    if strict and summary.rejected:
        raise typer.Exit(1)


def _encoding(file: Path, kind: str, explicit: str | None) -> TextEncoding:
    """The file's encoding (``--encoding`` or detected), said on stderr when it is not plain UTF-8."""
    encoding = choose_encoding(file, explicit, fallback_cp1252=kind == "csv")
    if encoding.note:
        err.print(f"note: {file.name}: {encoding.note}", highlight=False, markup=False, soft_wrap=True)
    return encoding


def _csv_options(mapping: list[str] | None, time_format: str | None, timezone: str,
                 platform: str | None) -> CsvOptions:
    return CsvOptions(mapping=parse_mapping(mapping or []), time_format=time_format,
                      timezone=timezone, platform=platform)


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise InputError(f"{path}: no such file")


@friendly_errors
def import_(
    file: FileArg,
    config: ConfigOption = None,
    fmt: FormatOpt = None,
    mapping: MapOpt = None,
    time_format: TimeFmtOpt = None,
    timezone: TzOpt = "UTC",
    platform: PlatformOpt = None,
    as_json: JsonOpt = False,
    strict: StrictOpt = False,
    encoding: EncodingOpt = None,
) -> None:
    """Import posts from a file through the ingest pipeline (idempotent: re-importing adds nothing)."""
    _check_file(file)
    settings, workspace = open_workspace(config)
    kind = detect_format(file, fmt)
    csv_options = _csv_options(mapping, time_format, timezone, platform)
    text_encoding = _encoding(file, kind, encoding)
    workers = default_workers() if settings.import_workers is None else settings.import_workers
    runtime = build_runtime(workspace, settings, clock=StreamClock(), workers=workers)
    rejects = RejectsWriter(rejects_path_for(file))
    run = IngestRun(runtime.runner, rejects, [])
    try:
        with _progress("importing", file.stat().st_size) as (progress, task):
            seen = 0

            def on_batch(result: BatchResult) -> None:
                nonlocal seen
                seen += result.summary.read
                progress.update(task, posts=seen)

            def on_bytes(done: int) -> None:
                progress.update(task, completed=done)

            total = import_items(
                run,
                read_file(file, kind, csv_options, progress=on_bytes, encoding=text_encoding),
                batch_size=settings.batch_size,
                on_batch=on_batch,
            )
    finally:
        rejects.close()
        runtime.close()
    _report(total.summary, rejects, as_json=as_json, strict=strict)


def parse_speed(speed: str) -> float | None:
    if speed.strip().lower() == "max":
        return None
    try:
        value = float(speed)
    except ValueError:
        raise CrisisdeskError(f"--speed {speed!r}: give a number (times real time) or 'max'") from None
    if value <= 0:
        raise CrisisdeskError(f"--speed {speed!r}: must be above 0")
    return value


@friendly_errors
def replay(
    file: FileArg,
    config: ConfigOption = None,
    speed: Annotated[str, typer.Option("--speed", help="N times real time, or 'max'.")] = "max",
    events_out: Annotated[Path | None, typer.Option(
        "--events-out", help="Write the situation and crisis lifecycle here (JSON Lines: alert.opened, "
        "alert.updated, alert.escalated, alert.resolved, crisis.opened, crisis.updated, crisis.resolved).",
        dir_okay=False,
    )] = None,
    post_events: Annotated[bool, typer.Option(
        "--post-events", help="Also write a post.ingested event per stored post to --events-out.",
    )] = False,
    notify: Annotated[bool, typer.Option(
        "--notify", help="Send the escalation's notifications to the configured targets "
        "(without it, steps are logged but nobody is contacted).",
    )] = False,
    fmt: FormatOpt = None,
    mapping: MapOpt = None,
    time_format: TimeFmtOpt = None,
    timezone: TzOpt = "UTC",
    platform: PlatformOpt = None,
    as_json: JsonOpt = False,
    strict: StrictOpt = False,
    encoding: EncodingOpt = None,
) -> None:
    """Feed posts in order of created_at on a stream clock, as if they were arriving now."""
    _check_file(file)
    factor = parse_speed(speed)
    settings, workspace = open_workspace(config)
    kind = detect_format(file, fmt)
    csv_options = _csv_options(mapping, time_format, timezone, platform)
    text_encoding = _encoding(file, kind, encoding)
    runtime = build_runtime(workspace, settings, clock=StreamClock(), deliver=notify)
    if notify:
        runtime.start_notifications()
    rejects = RejectsWriter(rejects_path_for(file))
    events_file = events_out.open("wb") if events_out else None

    def write_event(event: Message) -> None:
        assert events_file is not None
        if post_events or str(event.get("event", "")).startswith(("alert.", "crisis.")):
            events_file.write(orjson.dumps(event) + b"\n")

    sinks = [("events-out", write_event)] if events_file else []
    run = IngestRun(runtime.runner, rejects, sinks)
    try:
        with _progress("replaying", None) as (progress, task):
            seen = 0

            def on_batch(result: BatchResult) -> None:
                nonlocal seen
                seen += result.summary.read
                progress.update(task, posts=seen)

            total = replay_items(run, read_file(file, kind, csv_options, encoding=text_encoding),
                                 speed=factor,
                                 batch_size=settings.batch_size, on_batch=on_batch)
        if notify:
            runtime.finish_notifications()
    finally:
        rejects.close()
        runtime.close()
        if events_file:
            events_file.close()
    _report(total.summary, rejects, as_json=as_json, strict=strict)
