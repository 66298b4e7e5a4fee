"""File import and replay: the same pipeline as live ingestion, fed from a file."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from crisisdesk.bus.base import EVENTS_TOPIC, Message
from crisisdesk.ingest.encoding import UTF8, TextEncoding
from crisisdesk.ingest.readers import CsvOptions, Progress, ReadResult, read_csv, read_jsonl
from crisisdesk.pipeline.events import RawItem, Rejection, jsonable
from crisisdesk.pipeline.runner import BatchResult, PipelineRunner, run_items

EventSink = Callable[[Message], None]

#: The most stream time one batch of a full-speed replay spans (see :func:`replay_items`).
SPAN = timedelta(minutes=15)


def rejects_path_for(path: Path) -> Path:
    """``posts.jsonl`` → ``posts.rejects.jsonl``, next to the input."""
    return path.with_name(f"{path.stem}.rejects.jsonl")


def read_file(path: Path, fmt: str, csv_options: CsvOptions | None,
              progress: Progress | None = None, *, encoding: TextEncoding = UTF8) -> Iterator[ReadResult]:
    if fmt == "csv":
        return read_csv(path, csv_options or CsvOptions(), encoding=encoding, progress=progress)
    return read_jsonl(path, encoding=encoding, progress=progress)


class RejectsWriter:
    """Writes each rejected item with its line number and reason; created only when needed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._file: Any = None

    def write(self, rejection: Rejection) -> None:
        if self._file is None:
            self._file = self.path.open("wb")
        self.count += 1
        entry = {"line": rejection.position, "reason": rejection.reason, "input": rejection.data}
        try:
            line = orjson.dumps(entry)
        except TypeError:  # bytes that were not text in the input: write them as U+FFFD
            line = orjson.dumps(jsonable(entry))
        self._file.write(line + b"\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        elif self.path.exists():
            self.path.unlink()  # a stale rejects file from an earlier run would mislead


@dataclass
class IngestRun:
    """Wires a runner to rejects and event sinks for one file."""

    runner: PipelineRunner
    rejects: RejectsWriter
    sinks: Sequence[tuple[str, EventSink]]
    #: Items the reader refused before the pipeline saw them (bad bytes, CSV rows).
    reader_rejected: int = 0

    def __post_init__(self) -> None:
        for group, _ in self.sinks:
            self.runner.bus.subscribe(EVENTS_TOPIC, group)

    def split(self, results: Iterable[ReadResult]) -> Iterator[RawItem]:
        for r in results:
            if isinstance(r, Rejection):
                self.rejects.write(r)
                self.reader_rejected += 1
            else:
                yield r

    def after_batch(self, result: BatchResult) -> None:
        for rejection in result.rejections:
            self.rejects.write(rejection)
        result.rejections.clear()  # written out: a long import must not keep them in memory
        for group, sink in self.sinks:
            while deliveries := self.runner.bus.read(EVENTS_TOPIC, group):
                for d in deliveries:
                    sink(d.message)
                self.runner.bus.ack(EVENTS_TOPIC, group, [d.id for d in deliveries])

    def finish(self, total: BatchResult) -> BatchResult:
        total.summary.read += self.reader_rejected
        total.summary.rejected += self.reader_rejected
        self.rejects.close()
        return total


def import_items(run: IngestRun, results: Iterable[ReadResult], *, batch_size: int,
                 on_batch: Callable[[BatchResult], None] | None = None) -> BatchResult:
    def after(result: BatchResult) -> None:
        run.after_batch(result)
        if on_batch is not None:
            on_batch(result)

    total = run_items(run.runner, run.split(results), batch_size=batch_size, on_batch=after)
    return run.finish(total)


def _loads(text: str) -> Any:
    """orjson, or the stdlib for what it refuses (a lone surrogate escape): such a post is still
    stored (normalize cleans it), so it must still be replayed in its place in time."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            return json.loads(text)
        except RecursionError:
            return None


def _created_at(item: RawItem) -> datetime | None:
    """The item's time for ordering; None when it has none (the pipeline will reject it)."""
    try:
        data = _loads(item.data) if isinstance(item.data, str) else item.data
        value = data.get("created_at") if isinstance(data, dict) else None
        if not isinstance(value, str):
            return None
        dt = datetime.fromisoformat(value)
        return dt if dt.tzinfo is not None else None  # naive: the normalize stage rejects it
    except (orjson.JSONDecodeError, ValueError, TypeError):
        return None


def replay_items(
    run: IngestRun,
    results: Iterable[ReadResult],
    *,
    speed: float | None,
    batch_size: int,
    on_batch: Callable[[BatchResult], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> BatchResult:
    """Feed items in ``created_at`` order; with ``speed`` N, N stream seconds pass per wall second.

    Items without a readable time go first, so their rejections show up at once rather than after
    a long replay. The file is held as items in memory: replays are for scenarios, not archives.
    """
    items = list(run.split(results))
    timed = [(t, i) for i, t in ((i, _created_at(i)) for i in items)]
    untimed = [i for t, i in timed if t is None]
    ordered = sorted(((t, i) for t, i in timed if t is not None), key=lambda ti: ti[0])
    total = BatchResult()

    def flush(batch: list[RawItem]) -> None:
        if not batch:
            return
        total.add(run_items(run.runner, batch, batch_size=batch_size, on_batch=after))
        batch.clear()

    def after(result: BatchResult) -> None:
        run.after_batch(result)
        if on_batch is not None:
            on_batch(result)

    flush(untimed)
    if not ordered:
        return run.finish(total)
    if speed is None:
        # As fast as it goes, but a batch never spans more than SPAN of stream time: detection
        # writes a whole batch before crises are grouped, and a batch reaching hours ahead
        # (a quiet night is a few hundred posts) would show the grouping a later state of
        # every situation than the event it handles.
        start: datetime | None = None
        pending: list[RawItem] = []
        for t, item in ordered:
            if start is None or t - start > SPAN:
                flush(pending)
                start = t
            pending.append(item)
        flush(pending)
        return run.finish(total)
    t0 = ordered[0][0]
    wall0 = monotonic()
    batch: list[RawItem] = []
    for t, item in ordered:
        due = (t - t0).total_seconds() / speed
        wait = due - (monotonic() - wall0)
        if wait > 0.02 or len(batch) >= batch_size:
            flush(batch)
            wait = due - (monotonic() - wall0)
            if wait > 0:
                sleep(wait)
        batch.append(item)
    flush(batch)
    return run.finish(total)
