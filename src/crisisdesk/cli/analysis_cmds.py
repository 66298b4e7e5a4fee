"""``crisisdesk train`` and ``crisisdesk analyze``."""

from __future__ import annotations

import functools
import getpass
import inspect
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn

from crisisdesk.cli.common import ConfigOption, err, friendly_errors, open_workspace, out
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.settings import load_settings
from crisisdesk.workspace import Workspace, load_workspace, resolve_config_path


@friendly_errors
def train(
    task: Annotated[str, typer.Argument(
        help="all, sentiment or insult: which heads your --data feeds; complaints: the classifier "
        "behind the complaint taxonomy (a model of its own).")] = "all",
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the model (.npz).",
                                         dir_okay=False)] = Path("crisisdesk-model.npz"),
    data: Annotated[Path | None, typer.Option(
        "--data", help="Your own labelled posts for TASK (see crisisdesk eval for the formats).",
        dir_okay=False)] = None,
    fmt: Annotated[str, typer.Option("--format", help="germeval2017, germeval2018, olid or csv")] = "csv",
    text_col: Annotated[str, typer.Option("--text-col", help="csv: the text column")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="csv: the label column")] = "label",
    public_data: Annotated[Path | None, typer.Option(
        "--public-data", help="Folder of the public data sets [default: $CRISISDESK_DATA or ../shared/data].",
        file_okay=False)] = None,
    exclude_non_commercial: Annotated[bool, typer.Option(
        "--exclude-non-commercial", help="Leave out public data licensed for non-commercial use only "
        "(GermEval 2017, airline): the sentiment heads then learn from your data alone.")] = False,
    bits: Annotated[int, typer.Option(min=12, max=22, help="log2 of the number of hashed features.")] = 18,
    config: ConfigOption = None,
    corrections: Annotated[bool, typer.Option(
        "--corrections/--no-corrections",
        help="Add the workspace's label corrections (crisisdesk label, the API) to the training data.",
    )] = True,
    public: Annotated[bool, typer.Option(
        "--public/--no-public",
        help="complaints: also learn from public data mapped onto the default taxonomy (GermEval 2017 "
        "aspects, airline complaint reasons; both non-commercial).",
    )] = True,
    combine: Annotated[str | None, typer.Option(
        "--combine", help="complaints: union (query OR classifier) or classifier (the classifier decides "
        "the types it knows) [default: whichever scores better on cross-validated training data]")] = None,
) -> None:
    """Train the analysis model: public data, your corrections and your own labelled posts.

    Your posts go to the heads of their language (German to the German heads, others to the
    English ones); from 20 of them on, a fifth is held out and scored as the dev set "own".
    `crisisdesk train complaints -o models/complaints.npz` trains the complaint classifier
    instead (point analysis.complaint_model to it).
    """
    from crisisdesk.training.datasets import load
    from crisisdesk.training.heads import NON_COMMERCIAL, train_model

    if task == "complaints":
        from crisisdesk.cli.complaint_train import train_complaints

        workspace = optional_workspace(config)
        train_complaints(output=output, data=data, fmt=fmt, text_col=text_col, label_col=label_col,
                         public_data=public_data, public=public,
                         exclude_non_commercial=exclude_non_commercial, workspace=workspace,
                         corrections=corrections, combine=combine)
        return
    if task not in ("all", "sentiment", "insult"):
        raise CrisisdeskError(f"unknown task {task!r}: use all, sentiment, insult or complaints")
    if not public or combine is not None:
        raise CrisisdeskError("--no-public and --combine are for `train complaints`; the other heads "
                              "always start from public data (see --exclude-non-commercial)")
    if data is not None and task == "all":
        raise CrisisdeskError("--data needs a task: crisisdesk train sentiment --data FILE …")
    extra = _corrections_by_head(config) if corrections else {}
    if data is not None:
        for head, examples in _own_examples(task, data, fmt, text_col, label_col).items():
            extra.setdefault(head, []).extend(examples)
    with err.status("training…") as status:
        run = train_model(bits=bits, exclude=NON_COMMERCIAL if exclude_non_commercial else frozenset(),
                          progress=lambda msg: status.update(msg),
                          loader=lambda name: load(name, root=public_data), extra=extra)
    output.parent.mkdir(parents=True, exist_ok=True)
    run.model.save(output)
    card = output.with_suffix(".card.json")
    card.write_text(json.dumps(run.model.card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for head, sets in run.dev_scores.items():
        for name, scores in sets.items():
            out.print(f"{head:<14} {name:<20} n={scores.n:<5} accuracy {scores.accuracy:.3f}  "
                      f"macro-F1 {scores.macro_f1:.3f}", highlight=False)
    out.print(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB) and {card}")


def _own_examples(task: str, path: Path, fmt: str, text_col: str, label_col: str) -> dict[str, list[Any]]:
    """A team's labelled file as examples for the heads of each row's detected language."""
    from crisisdesk.analysis.language import detect_many
    from crisisdesk.training.datasets_base import Example
    from crisisdesk.training.eval_data import read_eval_set

    dataset = read_eval_set(task, path, fmt, text_col=text_col, label_col=label_col)
    if dataset.report.skipped:
        err.print(f"skipped {dataset.report.skipped} rows of {path}: {'; '.join(dataset.report.reasons)}",
                  highlight=False)
    heads: dict[str, list[Any]] = {}
    for text, guess, label in zip(dataset.texts, detect_many(dataset.texts), dataset.labels, strict=True):
        lang = "de" if guess.lang == "de" else "en"
        heads.setdefault(f"{task}_{lang}", []).append(Example(text, str(label), lang, "own"))
    return heads


@friendly_errors
def analyze(
    input_file: Annotated[str, typer.Argument(
        metavar="INPUT", help="Canonical posts (JSON Lines), or - for stdin.")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write here instead of stdout.", dir_okay=False)] = None,
    model: Annotated[Path | None, typer.Option(
        help="A model file instead of the workspace's (or the shipped) one.")] = None,
    complaint_model: Annotated[Path | None, typer.Option(
        "--complaint-model", help="A complaint classifier instead of the workspace's.",
        dir_okay=False)] = None,
    config: ConfigOption = None,
) -> None:
    """Analyse posts: one JSON object per input line, same order, with lang, sentiment, insult and
    complaint_types, as the workspace configures the analysis (defaults without one)."""
    from crisisdesk.analysis.analyzer import analyze_lines, workspace_analyzer

    if input_file != "-" and not Path(input_file).is_file():
        raise CrisisdeskError(f"{input_file}: no such file")
    analyzer = workspace_analyzer(optional_workspace(config), model=model, complaint_model=complaint_model)
    source = sys.stdin.buffer if input_file == "-" else Path(input_file).open("rb")  # noqa: SIM115
    sink = output.open("wb") if output else sys.stdout.buffer
    bar = Progress(TextColumn("analysing"), BarColumn(), TextColumn("{task.completed} posts"),
                   console=err, disable=not (err.is_terminal and output is not None))
    try:
        with bar:
            task = bar.add_task("analyse", total=None)
            count = analyze_lines(source, sink, analyzer=analyzer,
                                  progress=lambda n: bar.update(task, completed=n))
    finally:
        if input_file != "-":
            source.close()
        if output:
            sink.close()
    if output:
        err.print(f"analysed {count} posts into {output}")


@friendly_errors
def evaluate(
    task: Annotated[str, typer.Argument(help="sentiment, insult or complaints")],
    data: Annotated[Path, typer.Option("--data", help="Labelled file.", dir_okay=False)],
    fmt: Annotated[str, typer.Option("--format", help="germeval2017, germeval2018, olid or csv")] = "csv",
    text_col: Annotated[str, typer.Option("--text-col", help="csv: the text column")] = "text",
    label_col: Annotated[str, typer.Option(
        "--label-col",
        help="csv: the label column (complaints: type names separated by ';', or none)",
    )] = "label",
    model: Annotated[Path | None, typer.Option(
        help="A model file instead of the workspace's (or the shipped) one.")] = None,
    complaint_model: Annotated[Path | None, typer.Option(
        "--complaint-model", help="A complaint classifier instead of the workspace's.",
        dir_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as one JSON object.")] = False,
    config: ConfigOption = None,
) -> None:
    """Score the analysis against labelled data: accuracy, macro-F1, per class, confusion matrix.

    The analysis is the workspace's (its model, taxonomy, complaint classifier, transformers)."""
    from rich.table import Table

    from crisisdesk.analysis.analyzer import workspace_analyzer
    from crisisdesk.training.eval_data import FORMATS, TASK_LABELS, read_eval_set
    from crisisdesk.training.evaluation import score, score_multilabel

    if task not in ("sentiment", "insult", "complaints"):
        raise CrisisdeskError(f"unknown task {task!r}: use sentiment, insult or complaints")
    if fmt not in FORMATS:
        raise CrisisdeskError(f"unknown --format {fmt!r}: use {', '.join(FORMATS)}")
    analyzer = workspace_analyzer(optional_workspace(config), model=model, complaint_model=complaint_model)
    dataset = read_eval_set(task, data, fmt, text_col=text_col, label_col=label_col,
                            names=analyzer.complaints.names)
    if not dataset.texts:
        raise CrisisdeskError(f"{data}: no usable labelled rows ({'; '.join(dataset.report.reasons)})")
    results = []
    for i in range(0, len(dataset.texts), 512):
        results.extend(analyzer.analyze(dataset.texts[i : i + 512]))
    if task == "complaints":
        names = [t.name for t in analyzer.complaints.taxonomy]
        backing = analyzer.complaints.model
        err.print("complaint types: taxonomy queries" + (
            f" + classifier for {', '.join(n for n in backing.names if n in names)} ({backing.combine})"
            if backing is not None else " only"), highlight=False)
        scores = score_multilabel([list(x) for x in dataset.labels],
                                  [r["complaint_types"] for r in results], labels=names)
    else:
        key = "sentiment" if task == "sentiment" else "insult"
        predicted = [r[key]["label"] for r in results]
        scores = score([str(x) for x in dataset.labels], predicted, labels=list(TASK_LABELS[task]))
    if dataset.report.skipped:
        err.print(f"skipped {dataset.report.skipped} rows: {'; '.join(dataset.report.reasons)}",
                  highlight=False)
    if as_json:
        typer.echo(json.dumps(scores.as_dict()))
        return
    out.print(f"{task} on {data}: n={scores.n}  accuracy {scores.accuracy:.3f}  "
              f"macro-F1 {scores.macro_f1:.3f}  micro-F1 {scores.micro_f1:.3f}", highlight=False)
    table = Table("class", "precision", "recall", "F1", "support")
    for label, row in scores.per_class.items():
        table.add_row(label, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}",
                      str(row["support"]))
    out.print(table)
    if scores.confusion:
        matrix = Table("true \\ predicted", *scores.labels, title="confusion matrix")
        for label, counts in zip(scores.labels, scores.confusion, strict=True):
            matrix.add_row(label, *map(str, counts))
        out.print(matrix)


def optional_workspace(config: Path | None) -> Workspace | None:
    """The workspace --config names, else the one found the usual way, else None (defaults)."""
    settings = load_settings()
    path = resolve_config_path(config, settings)
    if config is None and not path.is_file():
        return None
    return load_workspace(path, settings)


def _corrections_by_head(config: Path | None) -> dict[str, list[Any]]:
    """The workspace's corrections, routed to the heads of their language (none without one)."""
    from crisisdesk.runtime_config import open_engine
    from crisisdesk.training.corrections import training_examples

    workspace = optional_workspace(config)
    if workspace is None:
        return {}  # training outside a workspace: public data only
    engine = open_engine(workspace)
    try:
        heads: dict[str, list[Any]] = {}
        for task, prefix in (("sentiment", "sentiment"), ("insult", "insult")):
            for example in training_examples(engine, task):
                heads.setdefault(f"{prefix}_{'de' if example.lang == 'de' else 'en'}", []).append(example)
    finally:
        engine.dispose()
    return heads


@friendly_errors
def label(
    post: Annotated[str, typer.Argument(metavar="PLATFORM:ID", help="The post, e.g. x:1234567890.")],
    sentiment: Annotated[str | None, typer.Option(help="negative, neutral or positive")] = None,
    insult: Annotated[str | None, typer.Option(help="offense or none")] = None,
    complaints: Annotated[str | None, typer.Option(
        help="Complaint types, comma-separated (an empty string: none).")] = None,
    config: ConfigOption = None,
) -> None:
    """Correct the analysis of a post; the next `crisisdesk train` learns from it."""
    from crisisdesk.analysis.complaints import DEFAULT_TAXONOMY
    from crisisdesk.audit.service import Actor
    from crisisdesk.core.clock import SystemClock
    from crisisdesk.runtime_config import open_engine
    from crisisdesk.training.corrections import Correction, correct

    platform, sep, external_id = post.partition(":")
    if not sep or not platform or not external_id:
        raise CrisisdeskError(f"{post!r}: give the post as PLATFORM:ID, e.g. x:1234567890")
    _, workspace = open_workspace(config)
    names = [t.name for t in workspace.config.analysis.complaint_types or DEFAULT_TAXONOMY]
    types = None if complaints is None else tuple(t.strip() for t in complaints.split(",") if t.strip())
    engine = open_engine(workspace)
    try:
        now = correct(engine, platform=platform, external_id=external_id,
                      correction=Correction(sentiment, insult, types), complaint_names=names,
                      source="cli", now=SystemClock().now(), actor=Actor.cli(getpass.getuser()))
    finally:
        engine.dispose()
    typer.echo(json.dumps({"post": post, **now}, ensure_ascii=False))


def evaluate_task(task: str) -> Callable[..., None]:
    """``evaluate`` with its task fixed: the command behind ``crisisdesk eval TASK``."""
    signature = inspect.signature(evaluate, eval_str=True)

    @functools.wraps(evaluate)
    def command(*args: Any, **kwargs: Any) -> None:
        evaluate(task, *args, **kwargs)

    command.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for name, p in signature.parameters.items() if name != "task"])
    command.__annotations__ = {k: v for k, v in evaluate.__annotations__.items() if k != "task"}
    return command
