"""Retraining from corrections over HTTP: ``POST /api/v1/analysis/retrain`` starts it, ``GET``
shows it. The settings' Analysis page uses the same :class:`RetrainJob` (``app.state.retrain``).

Training takes a minute or two, longer than a request should wait, so the request only reads the
corrections and splits them (answering at once when there are too few), then a thread trains,
judges and ships while the page and ``GET /api/v1/analysis/retrain`` show its step. The state
lives in the process that runs the retrain; what shipped is also in the configuration's versions
and the audit log, which every process sees.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from crisisdesk.accounts.deps import require
from crisisdesk.accounts.roles import Permission
from crisisdesk.accounts.schemas import Principal
from crisisdesk.api.responses import errors
from crisisdesk.audit.service import Actor
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.runtime import Runtime
from crisisdesk.training.datasets import load
from crisisdesk.training.datasets_base import Example
from crisisdesk.training.retrain import Outcome, RetrainOptions, prepare, retrain, too_few

log = logging.getLogger(__name__)
Starter = Annotated[Principal, Depends(require(Permission.MANAGE_ANALYSIS))]
#: Reading the state needs what reading the configuration needs: it names the model in force.
Reader = Annotated[Principal, Depends(require(Permission.MANAGE_MONITORS))]


class AlreadyRunning(CrisisdeskError):
    """A retrain is under way in this process; the next one waits for it."""


class RetrainJob:
    """The state of this process's retrain: idle, running (with its step), or its last result."""

    def __init__(self, runtime: Runtime, loader: Callable[[str], list[Example]] = load) -> None:
        self.runtime = runtime
        self.loader = loader  # the public data sets by name (tests hand in a small stand-in)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._state: dict[str, Any] = {"state": "idle"}

    def state(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._state)

    def _set(self, **values: Any) -> None:
        with self._lock:
            self._state.update(values)

    def start(self, options: RetrainOptions, *, actor: Actor) -> dict[str, Any]:
        """Begin a retrain (AlreadyRunning while one runs); returns the state right after.

        With too few corrections the answer is final at once and nothing runs in the background."""
        now = self.runtime.runner.clock.now()
        with self._lock:
            if self._state.get("state") == "running":
                raise AlreadyRunning("a retrain is already running; wait for its result")
            self._state = {"state": "running", "step": "reading corrections", "by": actor.label,
                           "started_at": _iso(now), "dry_run": options.dry_run, "force": options.force}
        try:
            plan = prepare(self.runtime.engine, options)
        except Exception as exc:
            self._finish(error=str(exc))
            raise
        early = too_few(plan)
        if early is not None:
            self._finish(result=early.as_dict())
            return self.state()
        workspace = self.runtime.workspace  # the configuration in force when it starts

        def work() -> None:
            try:
                result = retrain(workspace, self.runtime.engine, plan, actor=actor,
                                 clock=self.runtime.runner.clock, loader=self.loader,
                                 progress=lambda step: self._set(step=step))
            except Exception as exc:  # the state says what failed; the service keeps running
                log.exception("retrain failed")
                self._finish(error=str(exc))
                return
            if result.outcome is Outcome.SHIPPED:
                self.runtime.reload_if_changed()  # in force here at once; other processes within a tick
            self._finish(result=result.as_dict())

        self._thread = threading.Thread(target=work, name="crisisdesk-retrain", daemon=True)
        self._thread.start()
        return self.state()

    def _finish(self, *, result: dict[str, Any] | None = None, error: str | None = None) -> None:
        self._set(state="failed" if error else "finished", step=None, result=result, error=error,
                  finished_at=_iso(self.runtime.runner.clock.now()))

    def join(self, timeout: float | None = None) -> None:
        """Wait for the background retrain (tests, shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


class RetrainIn(BaseModel):
    """How to retrain; every field has the CLI's default."""

    model_config = ConfigDict(extra="forbid", strict=True)  # 0 is not false

    dry_run: bool = Field(default=False, description="Train and judge, never ship.")
    force: bool = Field(default=False, description="Ship even when worse (audited as forced).")
    holdout: float = Field(default=0.2, ge=0.05, le=0.5, description="Share of corrections held back.")


class RetrainState(BaseModel):
    """``state``: idle, running (``step`` says where), finished (``result``) or failed (``error``)."""

    state: str
    step: str | None = None
    by: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    dry_run: bool | None = None
    force: bool | None = None
    result: dict[str, Any] | None = Field(default=None, description=(
        "outcome (shipped, refused, dry_run, too_few), message, counts, held_back (per task: before and "
        "after: n, accuracy, macro_f1, recall and precision of the key class), public (the cards' dev "
        "scores before and after), worse, forced, model, config_version."))
    error: str | None = None


def retrain_router(job: RetrainJob) -> APIRouter:
    r = APIRouter(prefix="/api/v1/analysis", tags=["analysis"])

    @r.post("/retrain", status_code=status.HTTP_202_ACCEPTED, response_model=RetrainState,
            summary="Retrain the analysis model from label corrections (in the background)",
            responses=errors(409))
    def start(who: Starter, body: RetrainIn | None = None) -> dict[str, Any]:
        """Answers the state at once: running, or finished already when there are too few
        corrections to judge. 409: a retrain is running in this process."""
        options = body or RetrainIn()
        try:
            return job.start(RetrainOptions(holdout=options.holdout, dry_run=options.dry_run,
                                            force=options.force), actor=who.actor)
        except AlreadyRunning as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc

    @r.get("/retrain", response_model=RetrainState, summary="The retrain running, or the last one's result")
    def get_state(_who: Reader) -> dict[str, Any]:
        return job.state()

    return r
