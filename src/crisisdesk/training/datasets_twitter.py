"""Loaders for the tweet collections: OLID, Davidson, Mozetič and US airline sentiment.

Each one has a quirk that silently corrupts training data if parsed naively: OLID's CRLF line
ends, Davidson's HTML-escaped emoji, Mozetič's tweets broken over several lines, the airline
set's repeated tweet ids. The parsers below handle them and say so in their docstrings.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from crisisdesk.training.datasets_base import (
    NO_COMPLAINT,
    DataFormatError,
    Example,
    LoadReport,
    Offense,
    OffenseKind,
    Sentiment,
    clean_text,
    has_undecodable,
    read_text,
)

__all__ = [
    "AIRLINE_FILE",
    "AirlineRow",
    "load_airline",
    "load_airline_complaints",
    "load_davidson",
    "load_mozetic_de",
    "load_mozetic_en",
    "load_olid",
    "parse_airline",
    "parse_davidson",
    "parse_mozetic",
    "parse_olid",
]

AIRLINE_FILE = "airline/Tweets-before-2015-02-21.csv"


def _usable(text: str) -> bool:
    return bool(text) and not has_undecodable(text)


def _csv_rows(path: Path, required: set[str], report: LoadReport) -> Iterator[tuple[int, dict[str, str]]]:
    """Records of a CSV file with a header; rows with the wrong number of fields are skipped here.

    Quoted fields may hold line breaks (a few tweets do), so records are counted, not lines.
    """
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    missing = required - set(reader.fieldnames or ())
    if missing:
        raise DataFormatError(f"{path}: header lacks column(s) {', '.join(sorted(missing))}")
    n = 0
    while True:
        n += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.rows_read += 1
            report.skip(f"{path.name}: record {n}", f"CSV error: {exc}")
            continue
        report.rows_read += 1
        if None in row or any(v is None for v in row.values()):
            report.skip(f"{path.name}: record {n}", "wrong number of fields")
            continue
        yield n, row


# OLID subtask B/C -> GermEval kind: untargeted swearing is profanity, a targeted insult aimed at
# a group is abuse, one aimed at an individual or at "other" (an organisation, an event) insult.
_OLID_KIND = {
    ("UNT", "NULL"): OffenseKind.PROFANITY,
    ("TIN", "IND"): OffenseKind.INSULT,
    ("TIN", "OTH"): OffenseKind.INSULT,
    ("TIN", "GRP"): OffenseKind.ABUSE,
    ("TIN", "NULL"): OffenseKind.INSULT,
}


def parse_olid(path: Path, report: LoadReport) -> list[Example]:
    """OLID training TSV (CRLF line ends, no quoting). ``@USER`` and ``URL`` placeholders stay.

    Subtask A gives the label; subtasks B and C give the kind, and are kept raw in ``extra``.
    """
    lines = read_text(path).split("\n")
    header = lines[0].rstrip("\r").split("\t")
    columns = ("id", "tweet", "subtask_a", "subtask_b", "subtask_c")
    if tuple(header) != columns:
        raise DataFormatError(f"{path}: expected header {' '.join(columns)}, got {' '.join(header)}")
    out: list[Example] = []
    for lineno, line in enumerate(lines[1:], start=2):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        report.rows_read += 1
        where = f"{path.name}:{lineno}"
        fields = line.split("\t")
        if len(fields) != len(columns):
            report.skip(where, f"expected {len(columns)} fields, got {len(fields)}")
            continue
        tweet_id, raw, a, b, c = fields
        text = clean_text(raw)
        kind = _OLID_KIND.get((b, c))
        if not _usable(text):
            report.skip(where, "empty or undecodable text")
        elif a == "NOT" and b == "NULL" and c == "NULL":
            out.append(Example(text=text, label=Offense.NONE.value, lang="en", source="olid",
                               extra=(("id", tweet_id),)))
        elif a == "OFF" and kind is not None:
            extra = (("id", tweet_id), ("kind", kind.value), ("olid_b", b), ("olid_c", c))
            out.append(Example(text=text, label=Offense.OFFENSE.value, lang="en", source="olid", extra=extra))
        else:
            report.skip(where, f"inconsistent subtask labels {a}/{b}/{c}")
    return out


# Davidson's "hate speech" is hostility towards a group: GermEval's abuse. Its "offensive" class
# is everything else annotators found offensive, mostly slurs thrown at one person; it also holds
# plain swearing, which cannot be told apart without relabelling, so it becomes insult (the
# commoner reading) and the vote counts are kept for anyone who wants to filter.
_DAVIDSON = {
    "0": (Offense.OFFENSE, OffenseKind.ABUSE),
    "1": (Offense.OFFENSE, OffenseKind.INSULT),
    "2": (Offense.NONE, None),
}
_DAVIDSON_VOTES = ("hate_speech", "offensive_language", "neither")


def parse_davidson(path: Path, report: LoadReport) -> list[Example]:
    """Davidson et al. ``labeled_data.csv``: ``class`` 0 hate, 1 offensive, 2 neither."""
    out: list[Example] = []
    for n, row in _csv_rows(path, {"class", "tweet", "count", *_DAVIDSON_VOTES}, report):
        where = f"{path.name}: record {n}"
        mapped = _DAVIDSON.get(row["class"].strip())
        text = clean_text(row["tweet"])
        votes = tuple((name, row[name].strip()) for name in _DAVIDSON_VOTES)
        if mapped is None:
            report.skip(where, f"unknown class {row['class']!r}")
        elif not _usable(text):
            report.skip(where, "empty or undecodable text")
        elif not all(v.isdigit() for _, v in votes):
            report.skip(where, "vote counts are not numbers")
        else:
            label, kind = mapped
            extra = (("id", row.get("", "").strip()), *((("kind", kind.value),) if kind else ()), *votes)
            out.append(Example(text=text, label=label.value, lang="en", source="davidson", extra=extra))
    return out


# A record starts with a tweet id and a label; tweets themselves never hold a tab, so a line
# that merely starts with digits ("2015 war gut") stays a continuation.
_MOZETIC_START = re.compile(r"(\d{1,20})\t([^\t]*)\t(.*)", re.DOTALL)
_MOZETIC_LABELS = {
    "Positive": Sentiment.POSITIVE,
    "Negative": Sentiment.NEGATIVE,
    "Neutral": Sentiment.NEUTRAL,
}


def parse_mozetic(path: Path, *, lang: str, source: str, report: LoadReport) -> list[Example]:
    """Mozetič ``retrieved_dataset_*.txt``: ``id \\t Positive|Negative \\t \\text``.

    Multi-line tweets were written with their line breaks, so a record runs until the next line
    that starts a record; blank lines inside a tweet are kept. The text carries a leading
    backslash and ``\\"`` for quotes (a JSON-ish export); both are undone. Lone CRs inside
    tweets are line breaks too (``clean_text``).
    """
    records: list[tuple[int, str, str, list[str]]] = []
    for lineno, line in enumerate(read_text(path).split("\n"), start=1):
        m = _MOZETIC_START.fullmatch(line)
        if m is not None:
            records.append((lineno, m.group(1), m.group(2), [m.group(3)]))
        elif records:
            records[-1][3].append(line)
        elif line.strip():
            report.rows_read += 1
            report.skip(f"{path.name}:{lineno}", "text before the first record")
    out: list[Example] = []
    for lineno, tweet_id, raw_label, parts in records:
        report.rows_read += 1
        where = f"{path.name}:{lineno}"
        label = _MOZETIC_LABELS.get(raw_label.strip())
        raw = "\n".join(parts).removeprefix("\\").replace('\\"', '"')
        text = clean_text(raw)
        if label is None:
            report.skip(where, f"unknown label {raw_label!r}")
        elif not _usable(text):
            report.skip(where, "empty or undecodable text")
        else:
            out.append(Example(text=text, label=label.value, lang=lang, source=source,
                               extra=(("id", tweet_id),)))
    return out


@dataclass(frozen=True, slots=True)
class AirlineRow:
    """One validated airline tweet, before it becomes a sentiment or a complaint example."""

    tweet_id: str
    text: str
    sentiment: Sentiment
    reason: str
    airline: str
    created_at: datetime


_AIRLINE_COLUMNS = {"tweet_id", "airline_sentiment", "negativereason", "airline", "text", "tweet_created"}


def _airline_row(row: dict[str, str]) -> AirlineRow | str:
    """The row, or why it is unusable."""
    tweet_id = row["tweet_id"].strip()
    text = clean_text(row["text"])
    reason = row["negativereason"].strip()
    try:
        sentiment = Sentiment(row["airline_sentiment"].strip())
    except ValueError:
        return f"unknown airline_sentiment {row['airline_sentiment']!r}"
    try:
        created = datetime.strptime(row["tweet_created"].strip(), "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        return f"bad tweet_created {row['tweet_created']!r}"
    if not tweet_id.isdigit():
        return f"bad tweet_id {tweet_id!r}"
    if not _usable(text):
        return "empty or undecodable text"
    if (sentiment is Sentiment.NEGATIVE) != bool(reason):
        return f"negativereason {reason!r} does not fit sentiment {sentiment.value}"
    return AirlineRow(tweet_id, text, sentiment, reason, row["airline"].strip(), created.astimezone(UTC))


def parse_airline(path: Path, report: LoadReport) -> list[AirlineRow]:
    """Valid airline rows, deduplicated by tweet id.

    Copies that agree on sentiment and reason collapse into the first; ids whose copies disagree
    are dropped entirely, since we cannot know which annotation is right and keeping either
    would put a coin flip into the gold labels.
    """
    by_id: dict[str, list[AirlineRow]] = {}
    for n, row in _csv_rows(path, _AIRLINE_COLUMNS, report):
        parsed = _airline_row(row)
        if isinstance(parsed, str):
            report.skip(f"{path.name}: record {n}", parsed)
        else:
            by_id.setdefault(parsed.tweet_id, []).append(parsed)
    out: list[AirlineRow] = []
    for copies in by_id.values():
        if len({(c.sentiment, c.reason) for c in copies}) > 1:
            report.drop("tweet_id with conflicting labels", len(copies))
            continue
        out.append(copies[0])
        if len(copies) > 1:
            report.drop("duplicate tweet_id", len(copies) - 1)
    return out


def _airline_extra(row: AirlineRow) -> tuple[tuple[str, str], ...]:
    reason = (("negativereason", row.reason),) if row.reason else ()
    return (("id", row.tweet_id), ("airline", row.airline), *reason)


def load_airline(root: Path, report: LoadReport | None = None) -> list[Example]:
    """US airline tweets (before 2015-02-21 UTC) with their sentiment and creation time."""
    rep = report if report is not None else LoadReport("airline")
    out = [
        Example(text=r.text, label=r.sentiment.value, lang="en", source="airline",
                created_at=r.created_at, extra=_airline_extra(r))
        for r in parse_airline(root / AIRLINE_FILE, rep)
    ]
    rep.kept += len(out)
    return out


def load_airline_complaints(root: Path, report: LoadReport | None = None) -> list[Example]:
    """The same tweets labelled with their complaint type (``negativereason``, else ``none``).

    Reasons keep the source's spelling ("Late Flight", "longlines", "Can't Tell"): the last one
    is a real class, a complaint whose type the annotator could not name.
    """
    rep = report if report is not None else LoadReport("airline_complaints")
    out = [
        Example(text=r.text, label=r.reason or NO_COMPLAINT, lang="en", source="airline",
                created_at=r.created_at, extra=(*_airline_extra(r), ("sentiment", r.sentiment.value)))
        for r in parse_airline(root / AIRLINE_FILE, rep)
    ]
    rep.kept += len(out)
    return out


def load_olid(root: Path, report: LoadReport | None = None) -> list[Example]:
    """OLID / OffensEval 2019 training tweets, subtask A as the label."""
    rep = report if report is not None else LoadReport("olid")
    out = parse_olid(root / "olid/olid-training-v1.0.tsv", rep)
    rep.kept += len(out)
    return out


def load_davidson(root: Path, report: LoadReport | None = None) -> list[Example]:
    """Davidson et al. 2017 hate speech and offensive language tweets."""
    rep = report if report is not None else LoadReport("davidson")
    out = parse_davidson(root / "davidson/labeled_data.csv", rep)
    rep.kept += len(out)
    return out


def load_mozetic_de(root: Path, report: LoadReport | None = None) -> list[Example]:
    """Mozetič et al. 2016 German tweets that could still be retrieved (neutral was not)."""
    rep = report if report is not None else LoadReport("mozetic_de")
    out = parse_mozetic(root / "mozetic_twitter15/retrieved_dataset_deu.txt", lang="de",
                        source="mozetic_de", report=rep)
    rep.kept += len(out)
    return out


def load_mozetic_en(root: Path, report: LoadReport | None = None) -> list[Example]:
    """Mozetič et al. 2016 English tweets that could still be retrieved (neutral was not)."""
    rep = report if report is not None else LoadReport("mozetic_en")
    out = parse_mozetic(root / "mozetic_twitter15/retrieved_dataset_eng.txt", lang="en",
                        source="mozetic_en", report=rep)
    rep.kept += len(out)
    return out
