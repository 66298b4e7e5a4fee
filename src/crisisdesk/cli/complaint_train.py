"""``crisisdesk train complaints``: the classifier behind the complaint taxonomy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crisisdesk.cli.common import err, out
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.workspace import Workspace, model_path


def train_complaints(*, output: Path, data: Path | None, fmt: str, text_col: str, label_col: str,
                     public_data: Path | None, public: bool, exclude_non_commercial: bool,
                     workspace: Workspace | None, corrections: bool, combine: str | None = None) -> None:
    """Gather the training sets, train, write model and card, print the held-out comparison."""
    from crisisdesk.analysis.complaint_model import COMBINE_MODES
    from crisisdesk.analysis.complaints import DEFAULT_TAXONOMY
    from crisisdesk.analysis.service import load_model
    from crisisdesk.training.complaint_data import Labelled, public_examples, read_own_file
    from crisisdesk.training.complaint_training import train_complaint_model
    from crisisdesk.training.datasets import load
    from crisisdesk.training.heads import NON_COMMERCIAL

    if combine is not None and combine not in COMBINE_MODES:
        raise CrisisdeskError(f"--combine {combine!r}: use {' or '.join(COMBINE_MODES)}")
    if fmt not in ("csv", "germeval2017"):
        raise CrisisdeskError(f"--format {fmt} has no complaint labels; use csv or germeval2017")
    taxonomy = (workspace.config.analysis.complaint_types if workspace else None) or DEFAULT_TAXONOMY
    names = [t.name for t in taxonomy]
    sets: dict[str, list[Labelled]] = {}
    if data is not None:
        rows, report = read_own_file(data, fmt, names, text_col=text_col, label_col=label_col)
        if report.skipped:
            err.print(f"skipped {report.skipped} rows of {data}: {'; '.join(report.reasons)}",
                      highlight=False)
        sets["own"] = rows
    if corrections and workspace is not None:
        sets["corrections"] = _corrections(workspace, names)
    if public:
        exclude = NON_COMMERCIAL if exclude_non_commercial else frozenset()
        sets.update(public_examples(lambda name: load(name, root=public_data), names=names, exclude=exclude))
        if exclude_non_commercial:
            err.print("--exclude-non-commercial: the public complaint sets (GermEval 2017, airline) are "
                      "both non-commercial, so only your own data is used", highlight=False)
    if not any(sets.values()):
        raise CrisisdeskError("no complaint training data: give --data FILE (and/or keep the public data "
                              "and corrections on)")
    # The features of the analysis model the workspace uses: the analyzer then scores complaint
    # types on the matrix it has already computed for sentiment and insult.
    featurizer = load_model(model_path(workspace) if workspace else None).featurizer
    with err.status("training the complaint classifier…") as status:
        run = train_complaint_model(sets, taxonomy=taxonomy, featurizer=featurizer, combine=combine,
                                    progress=lambda msg: status.update(msg))
    card = run.model.save(output)
    _print_run(run.test, run.model.names, run.model.combine, names)
    out.print(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB) and {card}")


def _corrections(workspace: Workspace, names: list[str]) -> list[Any]:
    from crisisdesk.runtime_config import open_engine
    from crisisdesk.training.complaint_data import corrections_examples
    from crisisdesk.training.corrections import training_examples
    from crisisdesk.training.datasets_base import LoadReport

    engine = open_engine(workspace)
    try:
        stored = training_examples(engine, "complaints")
    finally:
        engine.dispose()
    report = LoadReport("corrections")
    rows = corrections_examples(stored, names, report)
    if report.skipped:
        err.print(f"skipped {report.skipped} complaint corrections: {'; '.join(report.reasons)}",
                  highlight=False)
    return rows


def _print_run(test: dict[str, dict[str, Any]], heads: tuple[str, ...], combine: str,
               names: list[str]) -> None:
    from rich.table import Table

    out.print(f"classifier for {', '.join(heads) or 'no type'}; combined with the queries by "
              f"{combine!r}", highlight=False)
    if not test:
        out.print("no held-out part (each set needs 20 posts for one): no scores", highlight=False)
        return
    table = Table("type", "support", "recall q / clf / union", "precision q / clf / union",
                  title=f"held out, n={test['query']['n']}")
    for name in names:
        rows = [test[m]["per_type"][name] for m in ("query", "classifier", "union")]
        table.add_row(name, str(rows[0]["support"]), " / ".join(f"{r['recall']:.2f}" for r in rows),
                      " / ".join(f"{r['precision']:.2f}" for r in rows))
    out.print(table)
    for mode in ("query", "classifier", "union"):
        m = test[mode]
        out.print(f"{mode:<11} micro-F1 {m['micro_f1']:.3f}  macro-F1 {m['macro_f1']:.3f}  false alarms "
                  f"{m['false_alarms']['all']:.1%} of {m['no_complaint_posts']} posts without a type",
                  highlight=False)
