"""Reading labelled evaluation files in the formats ``crisisdesk eval`` accepts."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from crisisdesk.analysis.datasets_base import Example, LoadReport
from crisisdesk.analysis.datasets_germeval import (
    _sentiment_labeller,
    parse_germeval2017_xml,
    parse_germeval_offense,
)
from crisisdesk.analysis.datasets_twitter import parse_olid
from crisisdesk.core.errors import CrisisdeskError

FORMATS = ("germeval2017", "germeval2018", "olid", "csv")
TASK_LABELS = {
    "sentiment": ("negative", "neutral", "positive"),
    "insult": ("none", "offense"),
}
_ALIASES = {
    "pos": "positive", "neg": "negative", "neu": "neutral", "other": "none", "not": "none",
    "off": "offense", "offensive": "offense", "0": "none", "1": "offense",
}


class EvalDataError(CrisisdeskError):
    """An evaluation file cannot be used as asked; the message says why and where."""


@dataclass(frozen=True)
class EvalSet:
    texts: list[str]
    labels: list[str] | list[list[str]]  # list of lists for complaints (multi-label)
    report: LoadReport


def read_eval_set(task: str, path: Path, fmt: str, *, text_col: str = "text",
                  label_col: str = "label") -> EvalSet:
    if not path.is_file():
        raise EvalDataError(f"{path}: no such file")
    report = LoadReport(source=str(path))
    if fmt == "csv":
        return _read_csv(task, path, text_col, label_col, report)
    examples: list[Example]
    if fmt == "germeval2017" and task == "sentiment":
        examples = parse_germeval2017_xml(path, part=path.name, report=report, relevant_only=False,
                                          labeller=_sentiment_labeller)
    elif fmt == "germeval2018" and task == "insult":
        examples = parse_germeval_offense(path, source=path.name, report=report)
    elif fmt == "olid" and task == "insult":
        examples = parse_olid(path, report)
    else:
        raise EvalDataError(f"--format {fmt} has no {task} labels; use csv with --text-col/--label-col")
    return EvalSet([e.text for e in examples], [e.label for e in examples], report)


def _read_csv(task: str, path: Path, text_col: str, label_col: str, report: LoadReport) -> EvalSet:
    texts: list[str] = []
    labels: list[str] = []
    multi: list[list[str]] = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        sample = f.read(64 * 1024)
        f.seek(0)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(f, dialect=dialect)
        missing = [c for c in (text_col, label_col) if c not in (reader.fieldnames or [])]
        if missing:
            raise EvalDataError(f"{path}: no column {', '.join(map(repr, missing))} "
                                f"(columns: {', '.join(reader.fieldnames or [])})")
        allowed = TASK_LABELS.get(task)
        for row in reader:
            report.rows_read += 1
            text, raw = (row.get(text_col) or "").strip(), (row.get(label_col) or "").strip().lower()
            if task == "complaints":
                multi.append([] if raw in ("", "none") else [p.strip() for p in raw.split(";") if p.strip()])
                texts.append(text)
                report.kept += 1
                continue
            label = _ALIASES.get(raw, raw)
            if allowed is not None and label not in allowed:
                report.skip(f"line {reader.line_num}", f"label {raw!r} is not one of {', '.join(allowed)}")
                continue
            texts.append(text)
            labels.append(label)
            report.kept += 1
    return EvalSet(texts, multi if task == "complaints" else labels, report)
