"""The live service's ticker: the chores that must happen even when no post arrives.

Each chore runs on its own period and fails alone: a database away for a moment costs one round of
that chore, never the others or the thread. The periods are what the chores promise (detection and
escalation within seconds, a new configuration within ``interval``, unused uploads and the monthly
plan reminder within the hour, the reminders of due stakeholder updates within the minute)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from crisisdesk.core.clock import SystemClock
from crisisdesk.db import log_failure
from crisisdesk.inbox.service import wake_snoozed
from crisisdesk.runtime_updates import remind_updates

if TYPE_CHECKING:
    from crisisdesk.runtime import Runtime

log = logging.getLogger("crisisdesk.runtime")
HOUR = 3600.0


@dataclass
class Chore:
    what: str  # said in the log when it fails
    run: Callable[[], object]
    every: float = 0.0  # seconds; 0: every tick
    due: float = 0.0


def chores(runtime: Runtime) -> list[Chore]:
    def wake() -> None:
        with Session(runtime.engine) as session, session.begin():
            wake_snoozed(session, SystemClock().now())

    return [
        Chore("looking for a new configuration", runtime.reload_if_changed),
        Chore("the detection tick", runtime.runner.tick),
        Chore("waking snoozed conversations", wake),
        Chore("checking ticket SLAs", runtime.check_sla),
        Chore("closing ended crisis modes", runtime.end_crisis_modes),
        Chore("removing unused attachments", lambda: runtime.remove_unused_attachments(SystemClock().now()),
              every=HOUR),
        Chore("reminding of the plans", runtime.remind_plans, every=HOUR),
        Chore("reminding of due stakeholder updates", lambda: remind_updates(runtime), every=60.0),
    ]


def start(runtime: Runtime, stop: threading.Event, interval: float, *,
          front_end: bool = False) -> threading.Thread:
    """``front_end``: a front end of the distributed mode only picks up new configurations; the
    pipeline lease's holder does every other chore, once for all processes."""
    todo = chores(runtime)[:1] if front_end else chores(runtime)

    def loop() -> None:
        while not stop.wait(interval):
            now = time.monotonic()
            for chore in todo:
                if now < chore.due:
                    continue
                chore.due = now + chore.every
                try:
                    chore.run()
                except Exception as exc:  # this chore's next round tries again; the others go on
                    log_failure(runtime.engine, exc, log, f"{chore.what} failed")

    thread = threading.Thread(target=loop, name="crisisdesk-tick", daemon=True)
    thread.start()
    return thread
