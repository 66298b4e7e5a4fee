"""Pure stages in worker processes, so a bulk import uses more than one core.

normalize (validation, hashing) and match (folding, tokenising, the automaton) are pure CPU work
that needs nothing but the batch and the compiled monitors, and Python runs it on one core at a
time. For a bulk import the runner hands whole batches to a small process pool and stores the
results in order, while the pool prepares the next batches. Posts come back in their compact
row form (``NormalizedPost.to_row``) as one orjson document per batch: pickling the objects
themselves would cost more than preparing them.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import orjson

from crisisdesk.bus.base import Message
from crisisdesk.db import close_idle_connections, forget_engines
from crisisdesk.pipeline import stages
from crisisdesk.pipeline.enrich import Enricher
from crisisdesk.pipeline.events import NormalizedPost, RawItem, Rejection, jsonable
from crisisdesk.sources.matcher import MonitorSet

_state: dict[str, Any] = {}

#: How often a worker looks whether its parent is still there (where no kernel signal tells it).
PARENT_CHECK_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent(parent: int, *, kernel_signal: bool) -> None:
    """End this worker when the process that started it ends, however it ends (``kill -9``
    included): an orphaned worker would wait for batches forever.

    On Linux the kernel sends SIGKILL at the parent's death (``PR_SET_PDEATHSIG``; only when the
    pool was started from the main thread, since the signal follows the thread that forked). A
    watcher thread that checks the parent id covers every other case and platform."""
    if kernel_signal and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _init(parent: int, kernel_signal: bool, max_text_chars: int, monitors: Sequence[tuple[str, str]],
          enricher: Enricher | None) -> None:
    _die_with_parent(parent, kernel_signal=kernel_signal)
    forget_engines()  # a forked worker never uses (nor closes) its parent's database connections
    _state["max_text_chars"] = max_text_chars
    _state["monitors"] = MonitorSet.compile(monitors)
    _state["enricher"] = enricher


def _prepare(message: Message) -> bytes:
    """normalize + match one batch (runs in a worker process)."""
    items = RawItem.batch_from_message(message)
    result = stages.normalize(items, max_text_chars=_state["max_text_chars"])
    if _state["enricher"] is not None:
        stages.enrich(result.posts, _state["enricher"])
    stages.match(result.posts, _state["monitors"])
    # The raw payload is most of a post's bytes and the parent holds it already: send back the
    # item's index instead whenever the raw payload is the item's own text.
    index = {id(item.data): i for i, item in enumerate(items) if isinstance(item.data, str)}
    rows = []
    for p in result.posts:
        row = p.to_row()
        i = index.get(id(p.raw))
        if i is not None:
            row[15] = i
        rows.append(row)
    rejections = [[r.source, r.position, r.reason, r.data] for r in result.rejections]
    try:
        return orjson.dumps({"posts": rows, "rejections": rejections})
    except TypeError:  # a rejected item holds what orjson refuses (a lone surrogate, a huge int)
        return orjson.dumps({"posts": rows, "rejections": [[*r[:3], jsonable(r[3])] for r in rejections]})


def _ready() -> bool:
    return "monitors" in _state


def decode(payload: bytes, items: Sequence[RawItem]) -> stages.NormalizeResult:
    """The worker's answer for ``items`` (the batch it was given) as the normalize stage's result."""
    data = orjson.loads(payload)
    posts = []
    for row in data["posts"]:
        raw = row[15]
        if isinstance(raw, int):
            row[15] = items[raw].data
        posts.append(NormalizedPost.from_row(row))
    return stages.NormalizeResult(
        posts,
        [Rejection(*row) for row in data["rejections"]],
    )


def default_workers() -> int:
    """One worker per core beyond the one the runner itself uses, at most 4."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(cores - 1, 4))


class PrepareWorkers:
    """A process pool running normalize, enrich and match; started on first use.

    The enricher (analysis: the heaviest stage) runs in the workers only when they are forked:
    they then share the parent's loaded model instead of each loading and pickling one. It then
    also analyses posts that turn out to be duplicates, which only costs time on a re-import.
    """

    def __init__(self, processes: int, *, max_text_chars: int, monitors: Sequence[tuple[str, str]],
                 enricher: Enricher | None = None) -> None:
        self.processes = processes
        self.forked = "fork" in multiprocessing.get_all_start_methods()
        # An enricher that holds threads of its own (torch's pool) would deadlock in a forked child.
        self.enriches = enricher is not None and self.forked and getattr(enricher, "fork_safe", False)
        self._initargs = (max_text_chars, list(monitors), enricher if self.enriches else None)
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the processes now, before the caller starts threads of its own (progress bars).

        fork starts in milliseconds. The parent's idle database connections are closed first, so
        no child holds a socket of the parent's database sessions (a session whose client died
        would otherwise stay open, idle in transaction with its locks, as long as a child lives);
        the children forget the engines they inherit without closing anything, and leave through
        os._exit. They die with the parent (:func:`_die_with_parent`). Forking before other
        threads exist means no lock of theirs is copied in a held state.
        """
        if self._pool is not None:
            return
        close_idle_connections()
        context = multiprocessing.get_context("fork" if self.forked else "spawn")
        main = threading.current_thread() is threading.main_thread()
        self._pool = ProcessPoolExecutor(
            self.processes, mp_context=context, initializer=_init,
            initargs=(os.getpid(), main, *self._initargs),
        )
        self._pool.submit(_ready).result()  # processes are created on the first submit

    def submit(self, items: Sequence[RawItem]) -> Future[bytes]:
        self.start()
        assert self._pool is not None
        return self._pool.submit(_prepare, RawItem.batch_to_message(items))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
