"""How ``crisisdesk retrain`` judges a retrained model: the held-back slice, its scores, "worse".

The slice is drawn from the corrections themselves, because they are the posts the team cares
about and the model in force got wrong often enough for someone to correct it. It is a seeded
pseudo-random draw, not the newest corrections: the newest are the ones a team makes during a
live crisis and most wants learned now, and they come in bursts about one story, so a newest-first
slice would judge the model on one event and keep exactly that event out of its training.

A correction's chance to be held back depends only on its text and the seed (a hash), never on
the order or number of the others: as corrections accumulate, a post held back once stays held
back in later retrains (apart from the few near each stratum's cut), so the model in force, if an
earlier retrain shipped it, has not trained on the slice it is judged on.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from crisisdesk.training.corrections import INSULTS, SENTIMENTS
from crisisdesk.training.datasets_base import Example
from crisisdesk.training.datasets_split import near_duplicate_key
from crisisdesk.training.evaluation import score

#: The tasks a retrain learns and judges (complaint types have a classifier of their own).
TASKS = ("sentiment", "insult")
LABELS: dict[str, tuple[str, ...]] = {"sentiment": SENTIMENTS, "insult": INSULTS}
#: The class whose misses cost a crisis desk most: its recall may not fall.
KEY_CLASS = {"sentiment": "negative", "insult": "offense"}
_BATCH = 512


class Analyzes(Protocol):
    def analyze(self, texts: Sequence[str]) -> list[dict[str, Any]]: ...


def _rank(seed: int, key: str) -> bytes:
    return hashlib.blake2b(f"{seed}\0{key}".encode(), digest_size=8).digest()


def _stratum(keys: list[tuple[str, str]]) -> tuple[str, str]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for k in keys:
        counts[k] += 1
    return min(counts, key=lambda k: (-counts[k], k))


def hold_out(corrections: Mapping[str, Sequence[Example]], *, fraction: float, seed: int = 0
             ) -> tuple[dict[str, list[Example]], dict[str, list[Example]]]:
    """Split every task's corrections into (kept for training, held back), both per task.

    Corrections of near-identical texts (one post's sentiment and insult corrections, a retweet
    and its original) form a group that goes to one side whole. A group counts for its commonest
    (task, label); per (task, label), groups in the order of their seeded hash are held back until
    ``round(fraction * size)`` corrections are, so every label is on both sides where it can be.
    """
    groups: dict[str, list[tuple[str, Example]]] = defaultdict(list)
    for task, examples in corrections.items():
        for example in examples:
            groups[near_duplicate_key(example.text)].append((task, example))
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for key, members in groups.items():
        strata[_stratum([(task, e.label) for task, e in members])].append(key)
    held_keys: set[str] = set()
    for keys in strata.values():
        keys.sort(key=lambda k: _rank(seed, k))
        want = round(fraction * sum(len(groups[k]) for k in keys))
        taken = 0
        for key in keys:
            if taken >= want:
                break
            if taken + len(groups[key]) > want and taken > 0:
                continue  # a large group would overshoot; a smaller one further on may fit
            held_keys.add(key)
            taken += len(groups[key])
    kept: dict[str, list[Example]] = {task: [] for task in corrections}
    held: dict[str, list[Example]] = {task: [] for task in corrections}
    for key, members in groups.items():
        for task, example in members:
            (held if key in held_keys else kept)[task].append(example)
    return kept, held


def needed(held: int, *, fraction: float, minimum: int) -> int | None:
    """About how many corrections a task needs to be judged; None when it has enough."""
    return None if held >= minimum else math.ceil(minimum / fraction)


def shortfall(task: str, total: int, held: int, *, fraction: float, minimum: int) -> str | None:
    """Why ``task`` cannot be judged and what it would take; None when it can."""
    need = needed(held, fraction=fraction, minimum=minimum)
    if need is None:
        return None
    return (f"{task}: {total} corrections, {held} held back; judging needs {minimum} held back, "
            f"that is about {need} corrections ({max(need - total, 1)} more)")


@dataclass(frozen=True)
class SliceScores:
    """One model on one task's held-back corrections."""

    n: int
    accuracy: float
    macro_f1: float  # over the labels the slice holds
    key_class: str
    recall: float | None  # of the key class; None when the slice holds none of it
    precision: float | None  # of the key class; None when neither truth nor model names it

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_slice(analyzer: Analyzes, held: Mapping[str, Sequence[Example]]) -> dict[str, SliceScores]:
    """Scores of the analyzer's labels (its own decision rule, as the pipeline applies it)."""
    texts = list(dict.fromkeys(e.text for examples in held.values() for e in examples))
    results: dict[str, dict[str, Any]] = {}
    for i in range(0, len(texts), _BATCH):
        batch = texts[i:i + _BATCH]
        results.update(zip(batch, analyzer.analyze(batch), strict=True))
    out = {}
    for task, examples in held.items():
        if not examples:
            continue
        truth = [e.label for e in examples]
        predicted = [str(results[e.text][task]["label"]) for e in examples]
        present = [label for label in LABELS[task] if label in truth]
        overall = score(truth, predicted, labels=present)
        key = KEY_CLASS[task]
        row = score(truth, predicted, labels=list(LABELS[task])).per_class[key]
        out[task] = SliceScores(
            n=overall.n, accuracy=round(overall.accuracy, 4), macro_f1=round(overall.macro_f1, 4),
            key_class=key, recall=row["recall"] if key in truth else None,
            precision=row["precision"] if key in truth or key in predicted else None)
    return out


PublicScores = Mapping[str, Mapping[str, Mapping[str, Any]]]  # head -> data set -> summary


@dataclass(frozen=True)
class Drop:
    """One way a new model is worse: a held-back task's or a public dev set's measure fell."""

    task: str  # held back: sentiment or insult; public: the head (sentiment_de, …)
    measure: str  # macro_f1, or recall (of ``key_class``)
    before: float
    after: float
    data_set: str | None = None  # public: the dev set; None: the held-back corrections
    key_class: str | None = None

    def __str__(self) -> str:
        what = "macro-F1" if self.measure == "macro_f1" else f"{self.key_class} recall"
        where = f"{self.task} on public {self.data_set}" if self.data_set else f"{self.task}: held-back"
        return f"{where} {what} {self.before:.3f} → {self.after:.3f}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fell(before: float, after: float, tolerance: float) -> bool:
    return round(after - before, 6) < -tolerance


def worse(before: Mapping[str, SliceScores], after: Mapping[str, SliceScores], judged: Sequence[str],
          old_public: PublicScores, new_public: PublicScores, *, tolerance: float,
          public_tolerance: float) -> list[Drop]:
    """Every way the new model is worse; empty: it may ship.

    Worse is: on a judged task's held-back slice, macro-F1 or the key class's recall (negative
    for sentiment, offense for insult) lower by more than ``tolerance``; on a public dev set
    both models' cards score (the team's own "own" set aside), macro-F1 lower by more than
    ``public_tolerance`` or, on a set of n examples, 1/√n, whichever is larger. The public sets
    are scored by other people's labels, and a small one (insult kinds: a few hundred posts, rare
    classes) moves by a few points when anything changes the shared features: adding 120 team
    posts to the training texts moved one by 0.031 without teaching that head anything. 1/√n is
    about two standard errors of a share on n examples, at its widest.
    """
    drops = []
    for task in judged:
        b, a = before[task], after[task]
        if _fell(b.macro_f1, a.macro_f1, tolerance):
            drops.append(Drop(task, "macro_f1", b.macro_f1, a.macro_f1))
        if b.recall is not None and a.recall is not None and _fell(b.recall, a.recall, tolerance):
            drops.append(Drop(task, "recall", b.recall, a.recall, key_class=b.key_class))
    for head, sets in new_public.items():
        for name, new in sets.items():
            old = old_public.get(head, {}).get(name)
            if name == "own" or old is None:
                continue
            allowed = max(public_tolerance, 1 / math.sqrt(max(int(new["n"]), 1)))
            if _fell(float(old["macro_f1"]), float(new["macro_f1"]), allowed):
                drops.append(Drop(head, "macro_f1", float(old["macro_f1"]), float(new["macro_f1"]), name))
    return drops
