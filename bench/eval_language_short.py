"""Language identification of short posts: the workspace prior against CLD2 alone.

    PYTHONPATH=src python bench/eval_language_short.py [--data ../shared/data] [--split test|dev|all]
        [--save before.json] [--compare before.json]

Short real posts are made from public data (read from the shared data folder, never copied):

* **de**: GermEval 2017 (dev v1.4 and trial), GermEval 2018 (train), GermEval 2019 (train and
  gold test), the German part of Mozetič et al. (2016); duplicates across the sets dropped.
* **en**: the airline tweets and OLID.
* **foreign**: CrisisLexT26, every event, grouped by the language of the label.

Each post is cut to its first k = 2..6 words (words: whitespace tokens after dropping @handles,
URLs, ``RT``, OLID's ``@USER``/``URL`` placeholders and GermEval's ``|LBR|``); posts of at most
40 characters are also taken whole. The label of a cut is the verdict raw CLD2 gives the *whole*
post when it is reliable and at least 90 % in one language: that removes the English, Turkish and
spam posts the German sets contain and labels the foreign tweets, whose sets have no language
column. A whole post of at most 40 characters is too short for that check, so it keeps its set's
label (de/en), noisy as that is; for CrisisLexT26 it is labelled by the event's language when CLD2
with no prior calls it that language, else left out. ``--split`` picks half the posts by a hash
of the text: ``dev`` is the half the rules and word lists were tuned on, ``test`` the other.

Printed per set and cut: accuracy (the answer equals the label; ``und`` counts as wrong), how
many answers are ``und`` and how many ``de`` or ``en`` (for foreign posts: the ones the prior must
not make), with the prior off (``languages: []``), the default (``de, en``) and, for German
posts, ``[en]``. Then the same on whole posts (the calibration sets of ``analysis/language.py``),
the precision of each score band there, and the throughput on all the short posts. Before and
after a change: run the old code with ``--save FILE`` and the new one with ``--compare FILE``,
which counts the default verdicts that changed (now right, now wrong, wrong both) and lists
foreign posts that became de/en.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pycld2

from crisisdesk.analysis import language
from crisisdesk.analysis.language import UNDETERMINED, detect_many, prepare, to_iso639_1

ROOT = Path(__file__).resolve().parent.parent
CUTS = (2, 3, 4, 5, 6)
WHOLE_MAX_CHARS = 40

# The CrisisLexT26 events whose tweets are mostly not English, with that language.
FOREIGN_EVENTS: dict[str, str] = {
    "2013_Brazil_nightclub_fire": "pt",
    "2012_Italy_earthquakes": "it",
    "2013_Sardinia_floods": "it",
    "2012_Venezuela_refinery": "es",
    "2013_Spain_train_crash": "es",
    "2012_Costa_Rica_earthquake": "es",
    "2012_Guatemala_earthquake": "es",
    "2013_Lac_Megantic_train_crash": "fr",
    "2012_Philipinnes_floods": "tl",
    "2012_Typhoon_Pablo": "tl",
    "2013_Bohol_earthquake": "tl",
    "2013_Manila_floods": "tl",
    "2013_Typhoon_Yolanda": "tl",
    "2013_Russia_meteor": "ru",
}

_SKIP_TOKEN = re.compile(r"^(?:\W*@\w*\W*|https?://\S*|www\.\S*|RT|URL|\|LBR\||\W*)$", re.IGNORECASE)


def words(text: str) -> list[str]:
    """The post's words: whitespace tokens without handles, URLs and placeholders."""
    return [t for t in text.replace("|LBR|", " ").split() if not _SKIP_TOKEN.match(t)]


def in_split(text: str, split: str) -> bool:
    if split == "all":
        return True
    half = hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=2).digest()[0] % 2
    return half == (0 if split == "dev" else 1)


# Loaders: (set name, posts) -------------------------------------------------------------------


def _tsv_column(path: Path, column: int, *, skip_header: bool = False) -> Iterator[str]:
    with path.open(encoding="utf-8") as f:
        if skip_header:
            next(f, None)
        for line in f:
            cells = line.rstrip("\n").split("\t")
            if len(cells) > column:
                yield cells[column].replace("|LBR|", "\n")


def load_german(data: Path) -> dict[str, list[str]]:
    mozetic: list[str] = []
    for text in _tsv_column(data / "mozetic_twitter15" / "retrieved_dataset_deu.txt", 2):
        mozetic.append(text.removeprefix("\\"))
    return {
        "GermEval 2017": [
            *_tsv_column(data / "germeval2017" / "dev_v1.4.tsv", 1),
            *_tsv_column(data / "germeval2017" / "trial.tsv", 1),
        ],
        "GermEval 2018": list(_tsv_column(data / "germeval2018" / "germeval2018.training.txt", 0)),
        "GermEval 2019": [
            *_tsv_column(data / "germeval2019" / "germeval2019.training_subtask1_2_korrigiert.txt", 0),
            *_tsv_column(data / "germeval2019" / "germeval2019GoldLabelsSubtask1_2.txt", 0),
        ],
        "Mozetič de": mozetic,
    }


def load_english(data: Path) -> dict[str, list[str]]:
    with (data / "airline" / "Tweets-before-2015-02-21.csv").open(encoding="utf-8", newline="") as f:
        seen: set[str] = set()
        airline = []
        for row in csv.DictReader(f):
            if row["tweet_id"] not in seen:
                seen.add(row["tweet_id"])
                airline.append(row["text"])
    return {
        "airline": airline,
        "OLID": list(_tsv_column(data / "olid" / "olid-training-v1.0.tsv", 1, skip_header=True)),
    }


def load_crisislex(data: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    base = data / "crisislex" / "CrisisLexT26"
    for event in sorted(p.name for p in base.iterdir() if p.is_dir()):
        with (base / event / f"{event}-tweets_labeled.csv").open(encoding="utf-8", newline="") as f:
            rows = csv.reader(f)
            next(rows, None)
            out[event] = [row[1] for row in rows if len(row) > 1]
    return out


# Labels and cuts ------------------------------------------------------------------------------


def cld2_whole(text: str) -> str:
    """Raw CLD2's verdict on a whole post when it is sure of it, else ``und``."""
    try:
        reliable, _, details = pycld2.detect(prepare(text), isPlainText=True)
    except pycld2.error:
        return UNDETERMINED
    _, code, percent, _ = details[0]
    return to_iso639_1(code) if reliable and percent >= 90 else UNDETERMINED


@dataclass
class Sample:
    """Short texts of one kind (a set and a cut) with their labels."""

    texts: list[str] = field(default_factory=list)
    gold: list[str] = field(default_factory=list)


def build_samples(
    sets: dict[str, list[str]], expected: str | None, split: str
) -> dict[str, dict[str, Sample]]:
    """``{set: {cut: Sample}}``. ``expected``: the sets' language; None: CrisisLexT26 events,
    regrouped by the label's language."""
    out: dict[str, dict[str, Sample]] = {}
    seen: set[str] = set()

    def add(group: str, cut: str, text: str, label: str) -> None:
        cuts = out.setdefault(group, {f"{k} words": Sample() for k in CUTS} | {"whole ≤40": Sample()})
        cuts.setdefault(cut, Sample()).texts.append(text)
        cuts[cut].gold.append(label)

    for name, posts in sets.items():
        for post in posts:
            if post in seen or not in_split(post, split):
                continue
            seen.add(post)
            ws = words(post)
            if len(post) <= WHOLE_MAX_CHARS:
                label = expected or _event_label(name, post)
                if label is not None and ws:
                    add(name if expected else label, "whole ≤40", post, label)
                continue
            label = cld2_whole(post)
            if label == UNDETERMINED or (expected is not None and label != expected):
                continue
            if expected is None and label in ("de", "en"):
                continue
            group = name if expected else (label if label in FOREIGN_EVENTS.values() else "other")
            for k in CUTS:
                if len(ws) > k:
                    add(group, f"{k} words", " ".join(ws[:k]), label)
    return {g: {c: s for c, s in cuts.items() if s.texts} for g, cuts in sorted(out.items())}


def _event_label(event: str, post: str) -> str | None:
    lang = FOREIGN_EVENTS.get(event)
    if lang is None:
        return None
    return lang if detect_many([post], preferred=())[0].lang == lang else None


def calibration_sets(data: Path) -> dict[str, dict[str, Sample]]:
    """Whole posts, as in the calibration notes of ``analysis/language.py``: GermEval 2018 rows
    1000+, GermEval 2019 gold, airline rows 1000+ and OLID's first 5,000 (labelled by their set),
    and every tweet of the Portuguese, Italian, Spanish and French CrisisLexT26 events (label
    ``?``: those events have English tweets too, so only their de/en answers are counted)."""
    german = load_german(data)
    english = load_english(data)
    with (data / "airline" / "Tweets-before-2015-02-21.csv").open(encoding="utf-8", newline="") as f:
        airline = [row["text"] for row in csv.DictReader(f)][1000:]
    de = german["GermEval 2018"][1000:] + list(
        _tsv_column(data / "germeval2019" / "germeval2019GoldLabelsSubtask1_2.txt", 0)
    )
    en = airline + english["OLID"][:5000]
    crisis = load_crisislex(data)
    foreign = [t for event, lang in FOREIGN_EVENTS.items() if lang in ("pt", "it", "es", "fr")
               for t in crisis[event]]
    return {
        "de/en calibration": {"whole posts": Sample(de + en, ["de"] * len(de) + ["en"] * len(en))},
        "pt/it/es/fr crisis": {"whole posts": Sample(foreign, ["?"] * len(foreign))},
    }


# Detectors ------------------------------------------------------------------------------------

Detector = Callable[[Sequence[str]], list[str]]


def prior_off(texts: Sequence[str]) -> list[str]:
    return [g.lang for g in detect_many(texts, preferred=())]


def default(texts: Sequence[str]) -> list[str]:
    return [g.lang for g in detect_many(texts)]


def english_only(texts: Sequence[str]) -> list[str]:
    return [g.lang for g in detect_many(texts, preferred=("en",))]


def report(name: str, samples: dict[str, dict[str, Sample]], detectors: dict[str, Detector]) -> None:
    """Per set and cut: accuracy, und and de/en answers of each detector, then the totals."""
    print(f"\n## {name}\n")
    cells = "".join(f" | {d} acc | und | de/en" for d in detectors)
    print(f"| set | cut | n{cells} |")
    print("| --- | --- | ---:" + " | ---: | ---: | ---:" * len(detectors) + " |")
    totals: dict[str, Counter[str]] = {d: Counter() for d in detectors}
    for set_name, cuts in samples.items():
        for cut, sample in cuts.items():
            row = f"| {set_name} | {cut} | {len(sample.texts)}"
            for d, detector in detectors.items():
                answers = detector(sample.texts)
                hits = sum(a == g for a, g in zip(answers, sample.gold, strict=True))
                de_en = sum(a in ("de", "en") for a in answers)
                und = answers.count(UNDETERMINED)
                totals[d].update(n=len(answers), hits=hits, de_en=de_en, und=und)
                row += f" | {hits / len(answers):.3f} | {und} | {de_en}"
            print(row + " |")
    for d, t in totals.items():
        print(
            f"all, {d}: n {t['n']}, accuracy {t['hits'] / max(t['n'], 1):.4f} "
            f"({t['n'] - t['hits']} wrong), und {t['und']}, de/en {t['de_en']}"
        )


def answers_of(groups: dict[str, dict[str, dict[str, Sample]]], detector: Detector) -> dict[str, list[str]]:
    return {
        f"{kind}|{name}|{cut}": detector(sample.texts)
        for kind, samples in groups.items()
        for name, cuts in samples.items()
        for cut, sample in cuts.items()
    }


def compare(groups: dict[str, dict[str, dict[str, Sample]]], now: dict[str, list[str]],
            saved: dict[str, list[str]]) -> None:
    """How the default verdicts differ from a saved run (``--save`` with the code before)."""
    print("\n## changes against the saved run\n")
    for kind, samples in groups.items():
        moves: Counter[str] = Counter()
        pairs: Counter[tuple[str, str]] = Counter()
        examples: list[str] = []
        for name, cuts in samples.items():
            for cut, sample in cuts.items():
                key = f"{kind}|{name}|{cut}"
                for text, gold, x, y in zip(sample.texts, sample.gold, saved[key], now[key], strict=True):
                    if x == y:
                        continue
                    moves["now right" if y == gold else "now wrong" if x == gold else "wrong both"] += 1
                    pairs[(x, y)] += 1
                    if y in ("de", "en") and gold not in ("de", "en") and len(examples) < 15:
                        examples.append(f"  {gold} {x} -> {y}: {text!r}")
        total = sum(moves.values())
        print(f"{kind}: {total} verdicts changed, {dict(moves)}; most common {dict(pairs.most_common(8))}")
        if examples:
            print("  foreign posts that became de/en:")
            print("\n".join(examples))


def bands(sample: Sample) -> None:
    """Precision per score band of the default verdicts (what a consumer thresholding sees)."""
    word, rival = getattr(language, "_WORD_SCORE", -1.0), getattr(language, "_RIVAL_SCORE", -1.0)
    prior = getattr(language, "_PRIOR_FACTOR", 0.7)
    counts: dict[str, Counter[bool]] = {}
    for guess, gold in zip(detect_many(sample.texts), sample.gold, strict=True):
        if guess.lang == UNDETERMINED:
            band = "und"
        elif guess.reliable:
            band = "reliable, prior" if guess.score <= prior else "reliable"
        else:
            band = "words" if guess.score == word else "words, rival" if guess.score == rival else "guess"
        counts.setdefault(band, Counter())[guess.lang == gold] += 1
    print("score bands on the de/en calibration posts (right/all):", ", ".join(
        f"{band} {c[True]}/{c.total()}" for band, c in sorted(counts.items())))


def throughput(detector: Detector, texts: Sequence[str], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        detector(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="test")
    parser.add_argument("--save", type=Path, help="write the default verdicts to this JSON file")
    parser.add_argument("--compare", type=Path, help="count the verdicts that differ from a --save file")
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"no data folder at {args.data}")

    detectors: dict[str, Detector] = {"prior off": prior_off, "de,en (default)": default}
    groups = {
        "German": build_samples(load_german(args.data), "de", args.split),
        "English": build_samples(load_english(args.data), "en", args.split),
        "foreign": build_samples(load_crisislex(args.data), None, args.split),
        "whole": calibration_sets(args.data),
    }
    print(f"split: {args.split}")
    report("German short posts", groups["German"], {**detectors, "en only": english_only})
    report("English short posts", groups["English"], detectors)
    report("Foreign short posts (CrisisLexT26; label: CLD2 on the whole post)", groups["foreign"], detectors)
    report("Whole posts (the calibration sets; all splits)", groups["whole"], detectors)
    bands(groups["whole"]["de/en calibration"]["whole posts"])
    now = answers_of(groups, default)
    if args.save:
        args.save.write_text(json.dumps(now), encoding="utf-8")
    if args.compare:
        compare(groups, now, json.loads(args.compare.read_text(encoding="utf-8")))
    texts = [t for samples in groups.values() for cuts in samples.values()
             for sample in cuts.values() for t in sample.texts]
    print()
    for d, detector in detectors.items():
        print(f"throughput {d}: {throughput(detector, texts):,.0f} short posts/s on {len(texts):,}")


if __name__ == "__main__":
    main()
