"""Retraining from label corrections in one step, judged before it ships.

``crisisdesk retrain``, the settings page's button and ``POST /api/v1/analysis/retrain`` all call
:func:`prepare` then :func:`retrain`: hold back a slice of the corrections, score the model in
force on it through the workspace's own :class:`~crisisdesk.analysis.analyzer.Analyzer` (so the
decision rule the pipeline applies is what is scored), train a new model on the public data plus
the other corrections (same features and data licences as the model in force), score it on the
same slice, and ship it only when it is not worse (:func:`~.retrain_judge.worse`). Shipping
writes ``models/retrained-….npz`` and its card beside the workspace file and stores
``analysis.model`` as a new configuration version (audited; a running service applies it within
its reload tick). docs/analysis.md, "Retraining from corrections", says why it works this way.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from crisisdesk.analysis.analyzer import workspace_analyzer
from crisisdesk.analysis.service import SHIPPED_MODEL, load_model
from crisisdesk.audit.service import Actor, AuditAction, record
from crisisdesk.configuration.items import set_value
from crisisdesk.core.clock import Clock
from crisisdesk.core.errors import ConfigError, CrisisdeskError
from crisisdesk.training.corrections import training_examples
from crisisdesk.training.datasets import load
from crisisdesk.training.datasets_base import Example
from crisisdesk.training.heads import NON_COMMERCIAL, train_model
from crisisdesk.training.retrain_judge import (
    TASKS,
    Drop,
    SliceScores,
    hold_out,
    needed,
    score_slice,
    shortfall,
    worse,
)
from crisisdesk.workspace import Workspace, model_path

Progress = Callable[[str], None]
MODELS_DIR = "models"


class RetrainError(CrisisdeskError):
    """A retrain cannot go ahead as asked (bad options, the model in force changed meanwhile)."""


class Outcome(StrEnum):
    SHIPPED = "shipped"
    REFUSED = "refused"  # worse: the model in force stays
    DRY_RUN = "dry_run"  # trained and judged, never shipped
    TOO_FEW = "too_few"  # not enough held-back corrections to judge any task: nothing trained


@dataclass(frozen=True)
class RetrainOptions:
    holdout: float = 0.2
    min_heldback: int = 10  # per task; fewer and the task is not judged
    tolerance: float = 0.02  # held back: macro-F1 and key-class recall may fall by this much
    public_tolerance: float = 0.02  # public dev sets: macro-F1 may fall by this much
    dry_run: bool = False
    force: bool = False  # ship even when worse (audited as forced)
    seed: int = 0

    def check(self) -> None:
        if not 0.05 <= self.holdout <= 0.5:
            raise RetrainError(f"--holdout {self.holdout}: hold back between 0.05 and 0.5 of the corrections")
        if self.min_heldback < 1:
            raise RetrainError("--min-heldback must be at least 1")
        if self.tolerance < 0 or self.public_tolerance < 0:
            raise RetrainError("tolerances cannot be negative")


@dataclass(frozen=True)
class Plan:
    """The corrections and how they are split; known before anything is trained."""

    options: RetrainOptions
    kept: dict[str, list[Example]]
    held: dict[str, list[Example]]
    judged: tuple[str, ...]
    missing: dict[str, str]  # task -> why it is not judged, and what it would need
    needs: dict[str, int]  # task -> about how many corrections it needs to be judged (the missing ones)
    complaint_corrections: int

    def counts(self) -> dict[str, dict[str, int]]:
        return {t: {"corrections": len(self.kept[t]) + len(self.held[t]), "held_back": len(self.held[t]),
                    "trained": len(self.kept[t])} for t in TASKS}


@dataclass
class RetrainResult:
    outcome: Outcome
    message: str
    counts: dict[str, dict[str, int]]
    judged: list[str]
    missing: dict[str, str]
    previous_model: str | None = None  # analysis.model before (None: the shipped model)
    before: dict[str, SliceScores] = field(default_factory=dict)
    after: dict[str, SliceScores] = field(default_factory=dict)
    public_before: dict[str, Any] = field(default_factory=dict)  # head -> set -> summary (cards)
    public_after: dict[str, Any] = field(default_factory=dict)
    worse: list[Drop] = field(default_factory=list)
    forced: bool = False
    model: str | None = None  # analysis.model as stored, when shipped
    config_version: int | None = None

    @property
    def ok(self) -> bool:
        """Shipped, or a dry run that would have shipped."""
        return self.outcome is Outcome.SHIPPED or (self.outcome is Outcome.DRY_RUN and not self.worse)

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome.value, "message": self.message, "counts": self.counts,
                "judged": self.judged, "missing": self.missing, "previous_model": self.previous_model,
                "held_back": {t: {"before": self.before[t].as_dict(), "after": self.after[t].as_dict()}
                              for t in self.before if t in self.after},
                "public": {"before": self.public_before, "after": self.public_after},
                "worse": [d.as_dict() for d in self.worse], "forced": self.forced, "model": self.model,
                "config_version": self.config_version}


def prepare(engine: Engine, options: RetrainOptions) -> Plan:
    """Read the newest correction per post and task, and hold back the slice."""
    options.check()
    corrections = {task: training_examples(engine, task) for task in TASKS}
    kept, held = hold_out(corrections, fraction=options.holdout, seed=options.seed)
    missing, needs = {}, {}
    for task in TASKS:
        why = shortfall(task, len(corrections[task]), len(held[task]), fraction=options.holdout,
                        minimum=options.min_heldback)
        need = needed(len(held[task]), fraction=options.holdout, minimum=options.min_heldback)
        if why is not None and need is not None:
            missing[task], needs[task] = why, need
    judged = tuple(t for t in TASKS if t not in missing)
    return Plan(options, kept, held, judged, missing, needs, len(training_examples(engine, "complaints")))


def too_few(plan: Plan) -> RetrainResult | None:
    """The answer when no task can be judged (nothing is trained then); None otherwise."""
    if plan.judged:
        return None
    return RetrainResult(Outcome.TOO_FEW, "too few corrections to judge a retrained model: "
                         + "; ".join(plan.missing.values()), plan.counts(), [], plan.missing)


def _card_of(path: Path) -> dict[str, Any]:
    """A model's card: its card file when there is one (read fresh), else the one inside it."""
    card_file = path.with_suffix(".card.json")
    if card_file.is_file():
        card: dict[str, Any] = json.loads(card_file.read_text(encoding="utf-8"))
        return card
    return dict(load_model(path).card)


def _listed(drops: list[Drop]) -> str:
    return "; ".join(map(str, drops))


def _by_head(kept: Mapping[str, list[Example]]) -> dict[str, list[Example]]:
    """Corrections to the heads of their post's language, as ``crisisdesk train`` routes them."""
    heads: dict[str, list[Example]] = {}
    for task in TASKS:
        for example in kept[task]:
            heads.setdefault(f"{task}_{'de' if example.lang == 'de' else 'en'}", []).append(example)
    return heads


def retrain(workspace: Workspace, engine: Engine, plan: Plan, *, actor: Actor, clock: Clock,
            loader: Callable[[str], list[Example]] = load, progress: Progress = lambda _m: None
            ) -> RetrainResult:
    """Train, judge and (unless refused or a dry run) ship; ``workspace``: the configuration in force."""
    early = too_few(plan)
    if early is not None:
        return early
    options = plan.options
    previous = workspace.config.analysis.model
    old_card = _card_of(model_path(workspace) or SHIPPED_MODEL)
    bits = int(old_card.get("features", {}).get("bits", 18))
    data = old_card.get("data") or {}
    exclude = NON_COMMERCIAL if data and not set(data) & NON_COMMERCIAL else frozenset()
    n_held = sum(len(plan.held[t]) for t in plan.judged)
    progress(f"scoring the model in force on {n_held} held-back corrections")
    judged_held = {t: plan.held[t] for t in plan.judged}
    before = score_slice(workspace_analyzer(workspace), judged_held)
    run = train_model(bits=bits, exclude=exclude, progress=progress, loader=loader,
                      extra=_by_head(plan.kept), hold_out_own=False)
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    relative = f"{MODELS_DIR}/retrained-{stamp}-{secrets.token_hex(3)}.npz"  # never a cached path
    target = workspace.root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    run.model.save(target)
    card_file = target.with_suffix(".card.json")
    shipped = False
    try:
        progress("scoring the new model on the same corrections")
        after = score_slice(workspace_analyzer(workspace, model=target), judged_held)
        result = RetrainResult(
            Outcome.DRY_RUN, "", plan.counts(), list(plan.judged), plan.missing, previous, before, after,
            public_before=old_card.get("dev_scores", {}), public_after=run.model.card.get("dev_scores", {}))
        result.worse = worse(before, after, plan.judged, result.public_before, result.public_after,
                             tolerance=options.tolerance, public_tolerance=options.public_tolerance)
        if options.dry_run:
            result.message = ("dry run: would be refused (" + _listed(result.worse) + ")" if result.worse
                              else "dry run: would ship")
            return result
        if result.worse and not options.force:
            result.outcome = Outcome.REFUSED
            result.message = ("refused, the model in force stays: " + _listed(result.worse)
                              + " (--force ships it anyway)")
            return result
        result.forced = bool(result.worse)
        progress("shipping")
        run.model.card["name"] = target.stem
        run.model.card["retrain"] = {
            "at": clock.now().isoformat(timespec="seconds"), "by": actor.label,
            "previous_model": previous, "holdout": options.holdout, "seed": options.seed,
            "corrections": result.counts, "held_back": result.as_dict()["held_back"],
            "forced": result.forced, "worse": [d.as_dict() for d in result.worse],
            "complaint_corrections_not_used": plan.complaint_corrections}
        run.model.save(target)
        card_file.write_text(json.dumps(run.model.card, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
        _ship(workspace, engine, result, relative, actor=actor, clock=clock)
        shipped = True
        return result
    finally:
        if not shipped:  # refused, a dry run, or something failed: leave nothing behind
            target.unlink(missing_ok=True)
            card_file.unlink(missing_ok=True)


def _ship(workspace: Workspace, engine: Engine, result: RetrainResult, relative: str, *, actor: Actor,
          clock: Clock) -> None:
    """Store ``analysis.model`` as a new version and audit the retrain, in one transaction."""
    now = clock.now()
    summary = "; ".join(f"{t} macro-F1 {result.before[t].macro_f1:.3f} → {result.after[t].macro_f1:.3f}"
                        for t in result.judged)
    note = f"retrained from corrections ({summary})" + (", forced although worse" if result.forced else "")
    result.outcome, result.model = Outcome.SHIPPED, relative  # as the audit entry records it
    try:
        with engine.begin() as conn:
            saved = set_value(conn, workspace.path.read_text(encoding="utf-8"), ("analysis", "model"),
                              relative, actor=actor, at=now, note=note[:500],
                              expected=result.previous_model)
            record(conn, actor=actor, action=AuditAction.MODEL_RETRAINED, at=now, target_type="model",
                   target_id=relative, before={"model": result.previous_model},
                   after={**result.as_dict(), "config_version": saved.stored.version})
    except ConfigError as exc:
        result.outcome, result.model = Outcome.REFUSED, None
        raise RetrainError(f"not shipped: {exc}") from exc
    result.config_version = saved.stored.version
    result.message = (f"shipped {relative} as configuration version {saved.stored.version}"
                      + (" (forced although worse: " + _listed(result.worse) + ")" if result.forced else ""))
