"""``crisisdesk retrain``: learn from the team's corrections, ship only what is not worse."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from crisisdesk.cli.common import ConfigOption, err, friendly_errors, open_workspace, out


@friendly_errors
def retrain(
    config: ConfigOption = None,
    holdout: Annotated[float, typer.Option(
        min=0.05, max=0.5, help="Share of the corrections held back to judge the new model.")] = 0.2,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Train and report, never ship.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Ship even when the new model is worse (audited as forced).")] = False,
    tolerance: Annotated[float, typer.Option(
        min=0.0, help="Held back: how far macro-F1 and negative/offense recall may fall.")] = 0.02,
    public_tolerance: Annotated[float, typer.Option(
        min=0.0, help="Public dev sets: how far a head's macro-F1 may fall (at least: a set of n "
        "examples allows 1/√n).")] = 0.02,
    min_heldback: Annotated[int, typer.Option(
        min=1, help="Held-back corrections a task needs to be judged.")] = 10,
    public_data: Annotated[Path | None, typer.Option(
        "--public-data", help="Folder of the public data sets [default: $CRISISDESK_DATA or ../shared/data].",
        file_okay=False)] = None,
) -> None:
    """Retrain the analysis model from the workspace's label corrections, and put it in force
    only when it is not worse than the model in force.

    A slice of the corrections is held back; the model in force and the new one (public data plus
    the other corrections) are scored on it through the workspace's analysis. Not worse: it is
    written to models/ and analysis.model is stored as a new configuration version (a running
    `crisisdesk serve` applies it within seconds). Worse: refused, exit code 1. See
    docs/analysis.md, "Retraining from corrections".
    """
    from crisisdesk.audit.service import Actor
    from crisisdesk.core.clock import SystemClock
    from crisisdesk.runtime_config import open_engine
    from crisisdesk.training.datasets import load
    from crisisdesk.training.retrain import RetrainOptions, prepare
    from crisisdesk.training.retrain import retrain as run_retrain

    options = RetrainOptions(holdout=holdout, min_heldback=min_heldback, tolerance=tolerance,
                             public_tolerance=public_tolerance, dry_run=dry_run, force=force)
    _, workspace = open_workspace(config)
    engine = open_engine(workspace)
    try:
        plan = prepare(engine, options)
        for task, counts in plan.counts().items():
            err.print(f"{task}: {counts['corrections']} corrections, {counts['held_back']} held back",
                      highlight=False)
        if plan.complaint_corrections:
            err.print(f"complaint types: {plan.complaint_corrections} corrections, learned by "
                      "`crisisdesk train complaints`, not here", highlight=False)
        with err.status("retraining…") as status:
            result = run_retrain(workspace, engine, plan, actor=Actor.cli(getpass.getuser()),
                                 clock=SystemClock(), loader=lambda name: load(name, root=public_data),
                                 progress=lambda step: status.update(step))
    finally:
        engine.dispose()
    if result.before:
        out.print(_held_back_table(result.as_dict()["held_back"]))
    if result.public_after:
        out.print(_public_table(result.public_before, result.public_after))
    for why in result.missing.values() if result.judged else ():  # too few at all: the message says it
        err.print(f"not judged: {why}", highlight=False)
    (out if result.ok else err).print(result.message, highlight=False, markup=False, soft_wrap=True)
    if not result.ok:
        raise typer.Exit(1)


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _change(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return ""
    delta = after - before
    return f"[{'green' if delta > 0 else 'red' if delta < 0 else 'dim'}]{delta:+.3f}[/]"


def _held_back_table(held: dict[str, Any]) -> Table:
    table = Table("task", "n", "measure", "before", "after", "change", title="held-back corrections")
    for task, pair in held.items():
        before, after = pair["before"], pair["after"]
        key = before["key_class"]
        for i, (label, field) in enumerate((("accuracy", "accuracy"), ("macro-F1", "macro_f1"),
                                            (f"{key} recall", "recall"), (f"{key} precision", "precision"))):
            table.add_row(task if i == 0 else "", str(before["n"]) if i == 0 else "", label,
                          _number(before[field]), _number(after[field]), _change(before[field], after[field]))
    return table


def _public_table(before: dict[str, Any], after: dict[str, Any]) -> Table:
    table = Table("head", "public dev set", "n", "macro-F1 before", "after", "change",
                  title="public dev sets (the models' cards)")
    for head, sets in after.items():
        for name, new in sets.items():
            old = before.get(head, {}).get(name)
            old_f1 = None if old is None else float(old["macro_f1"])
            table.add_row(head, name, str(new["n"]), _number(old_f1), _number(float(new["macro_f1"])),
                          _change(old_f1, float(new["macro_f1"])))
    return table
