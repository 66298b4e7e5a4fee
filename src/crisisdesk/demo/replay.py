"""The demo's replay: the scenario in stream order, paced like ``crisisdesk replay``, with each
step split between the file import and Voltaro's channels.

A step is what ``replay_items`` would hand the pipeline at once (the posts due within 0.02 s of
its clock, at most ``batch_size``). The posts of the step that arrive on one of Voltaro's channels
(see :class:`~crisisdesk.demo.own_channels.Router`) are delivered and processed first, the rest
imported after them; then the step's events reach the dashboard and ``on_batch`` runs, once per
step. Steps are cut exactly where ``replay_items`` cuts them, so the arc of a seed does not depend
on whether the demo has channels.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from crisisdesk.core.clock import StreamClock
from crisisdesk.demo.own_channels import DemoChannel, Router
from crisisdesk.ingest.importer import IngestRun
from crisisdesk.ingest.readers import ReadResult, read_jsonl
from crisisdesk.pipeline.events import RawItem
from crisisdesk.pipeline.runner import BatchResult, run_items
from crisisdesk.runtime import Runtime

#: At most this many posts, and this much stream time, per batch: the escalation's waits and the
#: crisis lead's reaction are minutes, so the demo must look at the sink every couple of minutes.
BATCH_SIZE = 25
BATCH_STREAM_SECONDS = 120.0
#: A step ends when the next post is due more than this (of the replay's clock) later.
CUT_SECONDS = 0.02
#: In a quiet gap between posts the stream clock moves on in steps of this (the live ticker's job).
TICK = timedelta(minutes=5)

Deliver = Callable[[Sequence[tuple[DemoChannel, dict[str, Any]]]], None]
AfterStep = Callable[[BatchResult], None]


@dataclass(frozen=True)
class Channels:
    """Which posts arrive on a channel (``router``) and how they are delivered (``deliver``)."""

    router: Router
    deliver: Deliver


@dataclass(frozen=True)
class _Timed:
    at: datetime
    item: RawItem
    post: dict[str, Any] | None


def _timed(item: RawItem) -> _Timed | None:
    """The item with its time and its post (None: no readable time; the pipeline says why)."""
    try:
        data = orjson.loads(item.data) if isinstance(item.data, str) else item.data
        value = data.get("created_at") if isinstance(data, dict) else None
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except (orjson.JSONDecodeError, ValueError):
        return None
    if at is None or at.tzinfo is None:
        return None
    return _Timed(at, item, data if isinstance(data, dict) else None)


def replay_steps(run: IngestRun, results: Iterable[ReadResult], *, speed: float, batch_size: int,
                 channels: Channels | None, on_batch: AfterStep,
                 sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> BatchResult:
    """Replay ``results`` at ``speed`` stream seconds per wall second; returns the import's totals
    (posts that came through a channel are counted on the channel board, not here)."""
    items = list(run.split(results))
    timed = [(i, _timed(i)) for i in items]
    untimed = [i for i, t in timed if t is None]
    ordered = sorted((t for _, t in timed if t is not None), key=lambda t: t.at)
    total = BatchResult()

    def after(result: BatchResult) -> None:
        run.after_batch(result)
        on_batch(result)

    def flush(step: list[_Timed]) -> None:
        if not step:
            return
        direct: list[RawItem] = []
        arriving: list[tuple[DemoChannel, dict[str, Any]]] = []
        for t in step:
            channel = channels.router.route(t.post) if channels is not None and t.post is not None else None
            if channel is None:
                direct.append(t.item)
            else:
                assert t.post is not None
                arriving.append((channel, t.post))
        if arriving and channels is not None:
            channels.deliver(arriving)
        if direct:
            total.add(run_items(run.runner, direct, batch_size=batch_size, on_batch=after))
        else:
            after(BatchResult())
        step.clear()

    if untimed:
        total.add(run_items(run.runner, untimed, batch_size=batch_size, on_batch=after))
    if not ordered:
        return run.finish(total)
    t0 = ordered[0].at
    wall0 = monotonic()
    step: list[_Timed] = []
    last: datetime | None = None
    for t in ordered:
        due = (t.at - t0).total_seconds() / speed
        wait = due - (monotonic() - wall0)
        if wait > CUT_SECONDS or len(step) >= batch_size:
            flush(step)
            last = _tick_through(run, last, t.at, after)
            wait = due - (monotonic() - wall0)
            if wait > 0:
                sleep(wait)
        step.append(t)
        last = t.at
    flush(step)
    return run.finish(total)


def _tick_through(run: IngestRun, since: datetime | None, until: datetime,
                  after: Callable[[BatchResult], None]) -> datetime | None:
    """Let stream time pass through a quiet gap the way the live service's ticker does: every
    :data:`TICK` the runner ticks (escalation steps fall due) and the step's hook runs (the
    simulated lead reads a page in time), instead of jumping to the next post at once."""
    clock = run.runner.clock
    if since is None or not isinstance(clock, StreamClock):
        return since
    at = since + TICK
    while at < until:
        clock.advance(at)
        run.runner.tick()
        after(BatchResult())
        at += TICK
    return since


class VirtualClock:
    """Wall time for a replay at full speed: "sleeping" only moves it on, so nothing waits, yet
    steps are still cut every ``BATCH_STREAM_SECONDS`` of stream time."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


def replay_scenario(run: IngestRun, runtime: Runtime, scenario: Path, factor: float | None,
                    after_batch: AfterStep, end: datetime, channels: Channels | None) -> BatchResult:
    """The whole replay: paced (``factor`` times real time) or at full speed (None), then the
    stream runs on to ``end`` without posts and the outbox is emptied."""
    if factor is None:
        virtual = VirtualClock()
        result = replay_steps(run, read_jsonl(scenario), speed=BATCH_STREAM_SECONDS / CUT_SECONDS,
                              batch_size=BATCH_SIZE, channels=channels, on_batch=after_batch,
                              sleep=virtual.sleep, monotonic=virtual.monotonic)
    else:
        result = replay_steps(run, read_jsonl(scenario), speed=factor, batch_size=BATCH_SIZE,
                              channels=channels, on_batch=after_batch)
    # The stream runs to the end of its last day: time passes without posts, so detection can
    # resolve what calmed down after the last post, then the outbox is emptied.
    clock = runtime.runner.clock
    if isinstance(clock, StreamClock):
        clock.advance(end)
    runtime.runner.tick()
    run.after_batch(BatchResult())
    runtime.finish_notifications()
    after_batch(BatchResult())
    return result
