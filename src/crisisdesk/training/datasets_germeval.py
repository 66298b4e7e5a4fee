"""Loaders for the German shared-task sets: GermEval 2017 (Deutsche Bahn feedback) and 2018/2019.

GermEval 2017 is read from the XML releases, not from ``dev_v1.4.tsv``: the TSV is an older dev
release holding the final dev set plus 215 documents that the organisers removed before the
final release without saying why. Those could sit in the withheld test sets that evaluate us
independently, so they are left out; the final dev set is read from ``fixed_dev`` (the same
documents with broken tags and offsets repaired). The train split was never published.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
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
    "GERMEVAL2017_FILES",
    "load_germeval2017",
    "load_germeval2017_aspects",
    "load_germeval2018",
    "load_germeval2019_test",
    "load_germeval2019_train",
    "parse_germeval2017_xml",
    "parse_germeval_offense",
]

GERMEVAL2017_FILES = (("dev", "germeval2017/fixed_dev-2017-09-15.xml"), ("trial", "germeval2017/trial.xml"))

_SENTIMENTS = frozenset(Sentiment)
_RELEVANCE = frozenset({"true", "false"})

# GermEval 2017 document -> Example; given the parsed fields, returns label and extra pairs.
_Labeller = Callable[[str, tuple[tuple[str, str], ...]], tuple[str, tuple[tuple[str, str], ...]]]


def parse_germeval2017_xml(
    path: Path, *, part: str, report: LoadReport, relevant_only: bool, labeller: _Labeller
) -> list[Example]:
    """Documents of one GermEval 2017 XML file, labelled by ``labeller``.

    A document is skipped (and counted) when its sentiment or relevance is not in the published
    vocabulary, its text is empty, or an opinion lacks its category; off-topic documents are
    dropped only when ``relevant_only`` asks for it, because "this is not about us" is exactly
    what a live classifier must also learn to say.
    """
    try:
        # Local, read-only research data; Python's expat refuses entity-expansion bombs.
        tree = ET.fromstring(read_text(path).encode("utf-8", errors="surrogateescape"))  # noqa: S314
    except ET.ParseError as exc:
        raise DataFormatError(f"{path}: not well-formed XML ({exc})") from None
    out: list[Example] = []
    for n, doc in enumerate(tree.iter("Document"), start=1):
        report.rows_read += 1
        doc_id = doc.get("id") or ""
        where = f"{path.name}: document {n} {doc_id[:80]}"
        sentiment = (doc.findtext("sentiment") or "").strip()
        relevance = (doc.findtext("relevance") or "").strip()
        text = clean_text(doc.findtext("text") or "")
        opinions = [(op.get("category") or "", op.get("polarity") or "") for op in doc.iter("Opinion")]
        problem = _document_problem(sentiment, relevance, text, opinions)
        if problem is not None:
            report.skip(where, problem)
            continue
        if relevant_only and relevance == "false":
            report.drop("irrelevant document")
            continue
        base: tuple[tuple[str, str], ...] = (("id", doc_id), ("part", part), ("relevance", relevance))
        label, extra = labeller(sentiment, tuple(("opinion", f"{c}:{p}") for c, p in opinions))
        out.append(Example(text=text, label=label, lang="de", source="germeval2017", extra=base + extra))
    return out


def _document_problem(
    sentiment: str, relevance: str, text: str, opinions: list[tuple[str, str]]
) -> str | None:
    if sentiment not in _SENTIMENTS:
        return f"unknown sentiment {sentiment!r}"
    if relevance not in _RELEVANCE:
        return f"unknown relevance {relevance!r}"
    if not text or has_undecodable(text):
        return "empty or undecodable text"
    for category, polarity in opinions:
        if not category.split("#", 1)[0] or polarity not in _SENTIMENTS:
            return f"opinion with bad category or polarity {category!r}:{polarity!r}"
    return None


def _sentiment_labeller(
    sentiment: str, opinions: tuple[tuple[str, str], ...]
) -> tuple[str, tuple[tuple[str, str], ...]]:
    return sentiment, opinions


def _aspect_labeller(
    sentiment: str, opinions: tuple[tuple[str, str], ...]
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Label = first aspect category in document order (``none`` without any).

    Categories are the 20 main ones ("Zugfahrt", not "Zugfahrt#Pünktlichkeit"); the fine
    category and polarity stay in the ``opinion`` pairs. The full multi-label set is in the
    ``aspect`` pairs, each category once.
    """
    categories: list[str] = []
    for _, value in opinions:
        main = value.split("#", 1)[0].split(":", 1)[0]
        if main not in categories:
            categories.append(main)
    label = categories[0] if categories else NO_COMPLAINT
    return label, (("sentiment", sentiment), *(("aspect", c) for c in categories), *opinions)


def _germeval2017(root: Path, report: LoadReport, relevant_only: bool, labeller: _Labeller) -> list[Example]:
    out: list[Example] = []
    for part, rel in GERMEVAL2017_FILES:
        out += parse_germeval2017_xml(
            root / rel, part=part, report=report, relevant_only=relevant_only, labeller=labeller
        )
    report.kept += len(out)
    return out


def load_germeval2017(
    root: Path, report: LoadReport | None = None, *, relevant_only: bool = False
) -> list[Example]:
    """GermEval 2017 document sentiment (final dev + trial), German feedback about Deutsche Bahn."""
    rep = report if report is not None else LoadReport("germeval2017")
    return _germeval2017(root, rep, relevant_only, _sentiment_labeller)


def load_germeval2017_aspects(
    root: Path, report: LoadReport | None = None, *, relevant_only: bool = False
) -> list[Example]:
    """GermEval 2017 aspect categories as complaint types (multi-label in ``extra``)."""
    rep = report if report is not None else LoadReport("germeval2017_aspects")
    return _germeval2017(root, rep, relevant_only, _aspect_labeller)


_COARSE = {"OFFENSE": Offense.OFFENSE, "OTHER": Offense.NONE}
_FINE = {
    "ABUSE": OffenseKind.ABUSE,
    "INSULT": OffenseKind.INSULT,
    "PROFANITY": OffenseKind.PROFANITY,
}
_LBR_RE = re.compile(r"[ \t]*\|LBR\|[ \t]*")


def parse_germeval_offense(path: Path, *, source: str, report: LoadReport) -> list[Example]:
    """One GermEval 2018/2019 file: ``text \\t OFFENSE|OTHER \\t ABUSE|INSULT|PROFANITY|OTHER``.

    A row whose coarse and fine labels contradict each other (OFFENSE/OTHER, OTHER/INSULT) is
    skipped rather than guessed: either reading would put a wrong label into training.
    """
    out: list[Example] = []
    for lineno, line in enumerate(read_text(path).split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        report.rows_read += 1
        where = f"{path.name}:{lineno}"
        fields = line.split("\t")
        if len(fields) != 3:
            report.skip(where, f"expected 3 tab-separated fields, got {len(fields)}")
            continue
        raw_text, coarse, fine = fields[0], fields[1].strip(), fields[2].strip()
        text = clean_text(_LBR_RE.sub("\n", raw_text))
        label = _COARSE.get(coarse)
        kind = _FINE.get(fine)
        if label is None or (kind is None and fine != "OTHER"):
            report.skip(where, f"unknown labels {coarse!r}/{fine!r}")
        elif (label is Offense.OFFENSE) != (kind is not None):
            report.skip(where, f"coarse and fine labels disagree: {coarse}/{fine}")
        elif not text or has_undecodable(text):
            report.skip(where, "empty or undecodable text")
        else:
            extra = (("kind", kind.value),) if kind is not None else ()
            out.append(Example(text=text, label=label.value, lang="de", source=source, extra=extra))
    return out


def _offense_file(root: Path, rel: str, source: str, report: LoadReport | None) -> list[Example]:
    rep = report if report is not None else LoadReport(source)
    out = parse_germeval_offense(root / rel, source=source, report=rep)
    rep.kept += len(out)
    return out


def load_germeval2018(root: Path, report: LoadReport | None = None) -> list[Example]:
    """GermEval 2018 training tweets (the test file is withheld for independent evaluation)."""
    return _offense_file(root, "germeval2018/germeval2018.training.txt", "germeval2018", report)


def load_germeval2019_train(root: Path, report: LoadReport | None = None) -> list[Example]:
    """GermEval 2019 task 2 training tweets, the corrected ("korrigiert") release."""
    return _offense_file(
        root, "germeval2019/germeval2019.training_subtask1_2_korrigiert.txt", "germeval2019_train", report
    )


def load_germeval2019_test(root: Path, report: LoadReport | None = None) -> list[Example]:
    """GermEval 2019 gold test tweets: the German dev set (no text overlap with 2018 or 2019 train)."""
    return _offense_file(
        root, "germeval2019/germeval2019GoldLabelsSubtask1_2.txt", "germeval2019_test", report
    )
