"""Training data for the complaint classifier: a team's file, its corrections, mapped public labels.

Every source becomes a :class:`Labelled` text with a *set* of complaint type names (empty: no
complaint of any type in the taxonomy); the public sets are mapped onto the default taxonomy by
:mod:`crisisdesk.training.complaint_maps`.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

from crisisdesk.training.complaint_maps import AIRLINE_LEFT_OUT, AIRLINE_MAP, germeval_types
from crisisdesk.training.datasets_base import Example, LoadReport
from crisisdesk.training.datasets_split import near_duplicate_key, split
from crisisdesk.training.eval_data import read_eval_set

#: Sets holding their own examples back for the held-out evaluation from this many on.
HOLDOUT_MINIMUM = 20



@dataclass(frozen=True)
class Labelled:
    """A text and the complaint types it has (empty: none of the taxonomy's)."""

    text: str
    types: frozenset[str]
    source: str  # germeval2017 | airline | own | corrections
    created_at: datetime | None = None
    #: The source says it is a complaint, of a kind the taxonomy has no type for (Bad Flight,
    #: GermEval's Atmosphäre or Allgemein:negative): not a false alarm when it gets a type.
    other_complaint: bool = False


def map_germeval(examples: Sequence[Example]) -> list[Labelled]:
    out = []
    for e in examples:
        opinions = e.get_all("opinion")
        types = germeval_types(opinions)
        negative = any(o.endswith(":negative") for o in opinions)
        out.append(Labelled(e.text, types, "germeval2017", other_complaint=negative and not types))
    return out


def map_airline(examples: Sequence[Example], report: LoadReport | None = None) -> list[Labelled]:
    out = []
    for e in examples:
        if e.label in AIRLINE_LEFT_OUT:
            if report is not None:
                report.drop(f"airline reason {e.label!r} (no type)")
            continue
        if e.label not in AIRLINE_MAP:
            raise ValueError(f"airline reason {e.label!r} has no mapping; add it to AIRLINE_MAP")
        mapped = AIRLINE_MAP[e.label]
        out.append(Labelled(e.text, frozenset({mapped} if mapped else ()), "airline", e.created_at,
                            other_complaint=mapped is None and e.label != "none"))
    return out


def public_examples(loader: Callable[[str], list[Example]], *, names: Sequence[str],
                    exclude: frozenset[str] = frozenset()) -> dict[str, list[Labelled]]:
    """The public sets mapped onto the taxonomy ``names`` (types it lacks are dropped)."""
    keep = frozenset(names)
    out: dict[str, list[Labelled]] = {}
    if "germeval2017" not in exclude:
        out["germeval2017"] = map_germeval(loader("germeval2017_aspects"))
    if "airline" not in exclude:
        out["airline"] = map_airline(loader("airline_complaints"))
    return {source: [Labelled(x.text, x.types & keep, x.source, x.created_at,
                              x.other_complaint or bool(x.types - keep)) for x in rows]
            for source, rows in out.items()}


def corrections_examples(examples: Sequence[Example], names: Sequence[str],
                         report: LoadReport) -> list[Labelled]:
    """Stored complaint corrections (labels are JSON arrays); unknown types are skipped."""
    out = []
    for n, e in enumerate(examples, start=1):
        report.rows_read += 1
        try:
            types = orjson.loads(e.label)
        except orjson.JSONDecodeError:
            report.skip(f"correction {n}", f"label {e.label!r} is not a JSON list")
            continue
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            report.skip(f"correction {n}", f"label {e.label!r} is not a list of type names")
            continue
        unknown = [t for t in types if t not in names]
        if unknown:
            report.skip(f"correction {n}", f"type(s) {', '.join(unknown)} not in the taxonomy")
            continue
        report.kept += 1
        out.append(Labelled(e.text, frozenset(types), "corrections"))
    return out


def holdout_split(rows: Sequence[Labelled], *, by_time: bool = False,
                  fraction: float = 0.2) -> tuple[list[Labelled], list[Labelled]]:
    """(train, held-out): grouped by near-duplicate text, stratified by type set; by time if asked.

    Sets smaller than :data:`HOLDOUT_MINIMUM` are all train.
    """
    if len(rows) < HOLDOUT_MINIMUM:
        return list(rows), []
    proxies = [Example(r.text, "|".join(sorted(r.types)) or "none", "", "", r.created_at,
                       (("i", str(i)),)) for i, r in enumerate(rows)]
    train, held = split(proxies, dev_fraction=fraction, seed=0, by_time=by_time)
    index = {int(p.extra[0][1]) for p in train}
    held_index = {int(p.extra[0][1]) for p in held}
    return ([r for i, r in enumerate(rows) if i in index],
            [r for i, r in enumerate(rows) if i in held_index])


def fold_of(rows: Sequence[Labelled], k: int, seed: int = 0) -> list[int]:
    """A fold number per row for cross-validation; near-duplicates share their fold."""
    groups = sorted({near_duplicate_key(r.text) for r in rows})
    rng = random.Random(seed)  # noqa: S311 - reproducibility, not secrecy
    rng.shuffle(groups)
    fold = {g: i % k for i, g in enumerate(groups)}
    return [fold[near_duplicate_key(r.text)] for r in rows]


def read_own_file(path: Path, fmt: str, names: Sequence[str], *, text_col: str = "text",
                  label_col: str = "label") -> tuple[list[Labelled], LoadReport]:
    """A team's labelled file (see :func:`crisisdesk.training.eval_data.read_complaint_set`)."""
    data = read_eval_set("complaints", path, fmt, text_col=text_col, label_col=label_col, names=names)
    rows = [Labelled(t, frozenset(labels), "own") for t, labels in zip(data.texts, data.labels, strict=True)]
    return rows, data.report
