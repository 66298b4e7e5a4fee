"""Train/dev splits that do not flatter a model.

Two ways a dev score lies on social-media data: the same tweet sits on both sides (retweets,
copy-pasted complaints, OLID and GermEval 2017 both hold exact duplicates) so the model is graded
on what it memorised, and a random split lets a model trained on Thursday's tweets be graded on
Wednesday's, when in production it only ever sees the future. ``split`` therefore keeps
near-duplicates together, stratifies by label so rare classes appear on both sides, and offers a
time split for sets that know when each item was written.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence

from crisisdesk.core.text import TokenKind, fold, tokenize
from crisisdesk.training.datasets_base import Example

__all__ = ["by_label", "near_duplicate_key", "split"]

_URL_RE = re.compile(r"https?://\S+|\bwww\.\S+|\bURL\b")


def by_label(example: Example) -> Hashable:
    """Default stratification key."""
    return example.label


def near_duplicate_key(text: str) -> str:
    """What two copies of one tweet have in common: folded words without URLs, mentions, "RT".

    A retweet ("RT @x: ...") and its original, or one complaint pasted to three airlines with
    different shortened links, get the same key. Text made only of links and mentions falls back
    to the whole folded text, so unrelated link-only posts are not lumped together.
    """
    folded = fold(_URL_RE.sub(" ", text))
    words = [t.text for t in tokenize(folded) if t.kind is not TokenKind.MENTION]
    if words and words[0] == "rt":
        words = words[1:]
    return " ".join(words) if words else fold(text)


def split(
    examples: Sequence[Example],
    *,
    dev_fraction: float = 0.2,
    seed: int = 0,
    key: Callable[[Example], Hashable] = by_label,
    group: Callable[[Example], str] | None = None,
    by_time: bool = False,
) -> tuple[list[Example], list[Example]]:
    """Split into (train, dev), both in input order.

    Default: a deterministic stratified split. Examples with the same ``group`` key (by default
    ``near_duplicate_key`` of the text) go to the same side; each group counts for the stratum
    (``key``, the label by default) most of its members have, and per stratum whole groups are moved
    to dev until it holds ``round(dev_fraction * stratum size)`` examples. The result depends
    only on the examples and ``seed``, not on their order.

    ``by_time=True`` (sets with ``created_at``, i.e. airline): train on the earliest
    ``1 - dev_fraction``, develop on the rest. Dev items whose group also occurs in train are
    left out of both, so dev holds only text the model has never seen; ``seed`` and ``key``
    are unused.
    """
    if not 0.0 < dev_fraction < 1.0:
        raise ValueError(f"dev_fraction must be between 0 and 1, got {dev_fraction}")
    group_of = group if group is not None else (lambda e: near_duplicate_key(e.text))
    if by_time:
        return _split_by_time(examples, dev_fraction, group_of)

    groups: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        groups[group_of(ex)].append(i)
    strata: dict[Hashable, list[str]] = defaultdict(list)
    for gkey, members in groups.items():
        strata[_stratum([key(examples[i]) for i in members])].append(gkey)

    rng = random.Random(seed)  # noqa: S311 - reproducibility, not secrecy
    dev_idx: set[int] = set()
    for stratum in sorted(strata, key=repr):
        gkeys = sorted(strata[stratum])
        rng.shuffle(gkeys)
        size = sum(len(groups[g]) for g in gkeys)
        want = round(dev_fraction * size)
        taken = 0
        for g in gkeys:
            if taken >= want:
                break
            # Never overshoot by a whole large group when a smaller one would still fit better.
            if taken + len(groups[g]) > want and taken > 0:
                continue
            dev_idx.update(groups[g])
            taken += len(groups[g])
    train = [ex for i, ex in enumerate(examples) if i not in dev_idx]
    dev = [ex for i, ex in enumerate(examples) if i in dev_idx]
    return train, dev


def _stratum(keys: list[Hashable]) -> Hashable:
    """The commonest key of a group; ties go to the smallest repr so that order does not matter."""
    counts: dict[Hashable, int] = defaultdict(int)
    for k in keys:
        counts[k] += 1
    return min(counts, key=lambda k: (-counts[k], repr(k)))


def _split_by_time(
    examples: Sequence[Example], dev_fraction: float, group_of: Callable[[Example], str]
) -> tuple[list[Example], list[Example]]:
    missing = sum(1 for ex in examples if ex.created_at is None)
    if missing:
        raise ValueError(f"a time split needs created_at on every example; {missing} have none")
    times = [ex.created_at for ex in examples if ex.created_at is not None]
    order = sorted(range(len(examples)), key=lambda i: (times[i], i))
    n_train = len(examples) - round(dev_fraction * len(examples))
    train_idx = set(order[:n_train])
    seen = {group_of(examples[i]) for i in train_idx}
    train = [ex for i, ex in enumerate(examples) if i in train_idx]
    dev = [ex for i, ex in enumerate(examples) if i not in train_idx and group_of(ex) not in seen]
    return train, dev
