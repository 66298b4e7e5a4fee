"""Reading labelled evaluation files in the formats ``crisisdesk eval`` accepts."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.training.complaint_maps import germeval_types
from crisisdesk.training.datasets_base import Example, LoadReport
from crisisdesk.training.datasets_germeval import (
    _aspect_labeller,
    _sentiment_labeller,
    parse_germeval2017_xml,
    parse_germeval_offense,
)
from crisisdesk.training.datasets_twitter import parse_olid

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


_TYPE_SEPARATORS = re.compile(r"[;|]")


def read_eval_set(task: str, path: Path, fmt: str, *, text_col: str = "text",
                  label_col: str = "label", names: Sequence[str] | None = None) -> EvalSet:
    """A labelled file for ``task``; complaint labels are checked against ``names`` when given
    (an unknown type name is an error that names the line and the value: a typo must not turn a
    complaint into a "none")."""
    if not path.is_file():
        raise EvalDataError(f"{path}: no such file")
    report = LoadReport(source=str(path))
    if fmt == "csv":
        return _read_csv(task, path, text_col, label_col, report, names)
    examples: list[Example]
    if fmt == "germeval2017" and task == "complaints":  # aspects mapped onto the default taxonomy
        examples = parse_germeval2017_xml(path, part=path.name, report=report, relevant_only=False,
                                          labeller=_aspect_labeller)
        report.kept += len(examples)
        keep = set(names) if names is not None else None
        types = [sorted(t for t in germeval_types(e.get_all("opinion")) if keep is None or t in keep)
                 for e in examples]
        return EvalSet([e.text for e in examples], types, report)
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


def parse_complaint_label(raw: str) -> list[str]:
    """``delivery_delay;safety`` or ``a|b`` -> names; empty or ``none`` -> no type."""
    raw = raw.strip().lower()
    if raw in ("", "none"):
        return []
    return list(dict.fromkeys(p.strip() for p in _TYPE_SEPARATORS.split(raw) if p.strip()))


def _read_csv(task: str, path: Path, text_col: str, label_col: str, report: LoadReport,
              names: Sequence[str] | None = None) -> EvalSet:
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
                where = f"line {reader.line_num}"
                if None in row or any(v is None for v in row.values()):
                    report.skip(where, "wrong number of fields")
                    continue
                if not text:
                    report.skip(where, "empty text")
                    continue
                types = parse_complaint_label(raw)
                unknown = [t for t in types if names is not None and t not in names]
                if unknown:
                    raise EvalDataError(
                        f"{path}: {where}: unknown complaint type {unknown[0]!r} in {raw!r} "
                        f"(the taxonomy has {', '.join(names or ())}; separate types with ';' or '|')")
                multi.append(types)
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
