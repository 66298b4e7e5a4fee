"""Cue features: what a word list knows that 2,500 labelled posts about one railway cannot.

The hashed n-grams (:mod:`.features`) learn only the words their training data used; GermEval
2017 is about Deutsche Bahn, so "Schimmel", "Saftladen" or "Lebensmittelvergiftung" mean nothing
to a head trained on it alone. These features carry over to other brands and domains: each adds
a few synthetic tokens to a post, hashed into the same columns as the n-grams, so a head learns
one weight for "a negative word", not one per word it happened to see.

Per post, computed for the whole batch at once in numpy on the word hashes the featurizer
already has (no second tokenisation):

* ``lexicon``: a word of the shipped polarity lists (German: Klenner et al. 2010 via textblob-de,
  Apache-2.0; English: VADER's lexicon, MIT; inflected forms and German compounds by their head
  noun included) counts as a negative or positive word; inside a negation's scope it counts as
  the opposite ("nicht gut"), after an intensifier it counts twice as a separate token;
* ``negation scope``: up to three words after a negator ("nicht", "kein", "nie", "not", "never"…)
  and before the clause ends (``. , ; : ! ?``) also emit a negated copy of themselves;
* ``complaint cues``: words and word pairs that mark a complaint in German and English ("nie
  wieder", "keine Antwort", "Geld zurück", "still waiting", "refund"…);
* ``emoji``: negative and positive faces and symbols; ``punctuation``: "!!", "?!" or "!?".

The lists live in ``lexicon/`` beside this module (``cues.txt`` is crisisdesk's own).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from crisisdesk.core.text import fold

U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]

_P = 0x01000193  # the featurizer's polynomial hash base (features._P)
_MASK = 0xFFFFFFFF
_P_INV = pow(_P, -1, 1 << 32)
#: Salts of the synthetic tokens: distinct odd constants, far from the n-gram salts.
TOKENS = {name: np.uint32(0x7F4A7C15 + 0x2545F491 * i & _MASK) for i, name in enumerate((
    "lex_neg", "lex_pos", "lex_neg_negated", "lex_pos_negated", "lex_neg_intense", "lex_pos_intense",
    "complaint", "emoji_neg", "emoji_pos", "excl", "negated"))}
_SCOPE = 3  # words after a negator that it reaches
_COMPOUND_MIN = 6  # shortest head noun matched at the end of a longer word ("...vergiftung")
_CLAUSE_END = (ord("."), ord(","), ord(";"), ord(":"), ord("!"), ord("?"))


def word_hash(word: str) -> int:
    """The featurizer's hash of one folded word (digits as 0): sum of code * P^-k, mod 2^32."""
    h, power = 0, 1
    for ch in fold(word):
        code = 0x30 if "0" <= ch <= "9" else ord(ch)
        h = (h + code * power) & _MASK
        power = (power * _P_INV) & _MASK
    return h


def pair_hash(first: str, second: str) -> int:
    """How the featurizer combines two adjacent word hashes into a bigram (before its salt)."""
    return (word_hash(first) * _P + word_hash(second)) & _MASK


def _sorted(values: set[int]) -> U32:
    return np.array(sorted(values), dtype=np.uint32)


@dataclass(frozen=True)
class CueTables:
    negators: U32
    intensifiers: U32
    negative: U32
    positive: U32
    #: per length, hashes of negative/positive nouns matched as the end of a compound word
    negative_heads: dict[int, U32]
    positive_heads: dict[int, U32]
    complaint_words: U32
    complaint_pairs: U32
    negative_emoji: U32
    positive_emoji: U32


def _sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            out.setdefault(current, [])
        else:
            out.setdefault(current, []).append(line)
    return out


def _inflections(form: str, pos: str) -> set[str]:
    """The forms a lemma takes in posts: German adjective and noun endings, verb participles."""
    forms = {form}
    low = form.lower()
    if pos == "JJ":
        forms |= {low + s for s in ("e", "en", "er", "es", "em", "ste", "sten")}
    elif pos == "NN":
        forms |= {form + s for s in ("s", "n", "en", "e", "es", "er")}
    elif pos == "VB" and low.endswith(("en", "ln", "rn")):
        stem = low[:-2] if low.endswith("en") else low[:-1]
        forms |= {stem + "t", stem + "te", stem + "ten", stem + "st", stem + "e", "ge" + stem + "t"}
    return forms


@cache
def tables() -> CueTables:
    """The shipped lists, hashed once per process."""
    folder = resources.files("crisisdesk.analysis") / "lexicon"
    negative: set[int] = set()
    positive: set[int] = set()
    heads: dict[bool, dict[int, set[int]]] = {True: {}, False: {}}
    for name in ("de_polarity.tsv", "en_polarity.tsv"):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or not line.strip():
                continue
            form, pos, polarity = line.split("\t")
            is_negative = float(polarity) < 0
            target = negative if is_negative else positive
            target.update(word_hash(f) for f in _inflections(form, pos))
            if pos == "NN" and len(fold(form)) >= _COMPOUND_MIN and name.startswith("de"):
                for f in _inflections(form, pos):
                    heads[is_negative].setdefault(len(fold(f)), set()).add(word_hash(f))
    both = negative & positive  # ambiguous forms ("toll" is a lemma and an inflection) count for neither
    cues = _sections((folder / "cues.txt").read_text(encoding="utf-8"))
    complaint = cues.get("complaint", [])
    return CueTables(
        negators=_sorted({word_hash(w) for w in cues.get("negators", [])}),
        intensifiers=_sorted({word_hash(w) for w in cues.get("intensifiers", []) if " " not in w}),
        negative=_sorted(negative - both),
        positive=_sorted(positive - both),
        negative_heads={n: _sorted(h) for n, h in heads[True].items()},
        positive_heads={n: _sorted(h) for n, h in heads[False].items()},
        complaint_words=_sorted({word_hash(w) for w in complaint if " " not in w}),
        complaint_pairs=_sorted({pair_hash(*w.split(" ", 1)) for w in complaint if " " in w}),
        negative_emoji=_sorted({ord(e[0]) for e in cues.get("negative_emoji", [])}),
        positive_emoji=_sorted({ord(e[0]) for e in cues.get("positive_emoji", [])}),
    )


def _member(values: U32, table: U32) -> npt.NDArray[np.bool_]:
    if len(table) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=np.bool_)
    at = np.minimum(np.searchsorted(table, values), len(table) - 1)
    return np.asarray(table[at] == values)


@dataclass
class WordSpans:
    """What the featurizer knows about the words of a batch, in text order."""

    @classmethod
    def none(cls, codes: U32) -> WordSpans:
        """A batch without a single word (emoji only): its emoji and punctuation still count."""
        empty = np.zeros(0, dtype=np.int64)
        return cls(codes, empty, empty, np.zeros(0, dtype=np.uint32), empty,
                   np.zeros(1, dtype=np.uint32), np.zeros(0, dtype=np.uint32))

    codes: U32  # the folded batch, one code point per position
    starts: I64
    ends: I64
    hashes: U32  # unsalted word hashes
    doc: I64  # the post each word belongs to
    prefix: U32  # the prefix sums the word hashes came from (features._word_ngrams)
    powers: U32


def cue_tokens(words: WordSpans, position_doc: I64) -> tuple[list[U32], list[I64]]:
    """Synthetic token hashes and the post of each, for every cue found in the batch."""
    t = tables()
    cols: list[U32] = []
    rows: list[I64] = []

    def emit(name: str, where: npt.NDArray[np.bool_], doc: I64) -> None:
        if where.any():
            rows.append(doc[where])
            cols.append(np.full(int(where.sum()), TOKENS[name], dtype=np.uint32))

    h, doc = words.hashes, words.doc
    n = len(h)
    if n:
        idx = np.arange(n)
        # Clause boundaries: punctuation between a word and the one before it, or a new post.
        ends_here = np.isin(words.codes, _CLAUSE_END)
        before = np.concatenate(([0], np.cumsum(ends_here)))
        boundary = np.ones(n, dtype=np.bool_)
        boundary[1:] = (before[words.starts[1:]] > before[words.ends[:-1]]) | (doc[1:] != doc[:-1])
        clause_start = np.maximum.accumulate(np.where(boundary, idx, 0))
        is_neg = _member(h, t.negators)
        last_neg = np.maximum.accumulate(np.where(is_neg, idx, -1))
        prev_neg = np.concatenate(([-1], last_neg[:-1]))
        in_scope = (prev_neg >= clause_start) & (idx - prev_neg <= _SCOPE)
        intense = np.zeros(n, dtype=np.bool_)
        intense[1:] = _member(h[:-1], t.intensifiers) & ~boundary[1:]
        negative = _member(h, t.negative)
        positive = _member(h, t.positive)
        _compound_heads(words, t, negative, positive)
        emit("lex_neg", negative & ~in_scope, doc)
        emit("lex_pos", positive & ~in_scope, doc)
        emit("lex_neg_negated", negative & in_scope, doc)
        emit("lex_pos_negated", positive & in_scope, doc)
        emit("lex_neg_intense", negative & intense & ~in_scope, doc)
        emit("lex_pos_intense", positive & intense & ~in_scope, doc)
        if in_scope.any():  # the negated word itself, as its own feature
            rows.append(doc[in_scope])
            cols.append(h[in_scope] ^ TOKENS["negated"])
        complaint = _member(h, t.complaint_words)
        same = np.zeros(n, dtype=np.bool_)
        same[1:] = doc[1:] == doc[:-1]
        with np.errstate(over="ignore"):
            pairs = h[:-1] * np.uint32(_P) + h[1:]
        complaint[1:] |= _member(pairs, t.complaint_pairs) & same[1:]
        emit("complaint", complaint, doc)
    codes = words.codes
    symbol = codes >= 0x2600  # emoji and dingbats: a cheap pre-filter before the look-ups
    if symbol.any():
        emit("emoji_neg", _member(codes[symbol], t.negative_emoji), position_doc[symbol])
        emit("emoji_pos", _member(codes[symbol], t.positive_emoji), position_doc[symbol])
    bang = codes == ord("!")
    if bang.any():  # "!!", "!?" or "?!": once per pair, so "!!!" weighs more than "!!"
        pair = (bang[:-1] | (codes[:-1] == ord("?"))) & (bang[1:] | (codes[1:] == ord("?"))) & (
            bang[:-1] | bang[1:])
        emit("excl", pair, position_doc[:-1])
    return cols, rows


def _compound_heads(words: WordSpans, t: CueTables, negative: npt.NDArray[np.bool_],
                    positive: npt.NDArray[np.bool_]) -> None:
    """Mark words that end in a lexicon noun ("Lebensmittel|vergiftung") in place.

    Only words at least three letters longer than a head are looked at, and the tail hash is
    computed for those alone: long words are a small share of a batch, so this stays cheap.
    """
    lengths = words.ends - words.starts
    for length in sorted(set(t.negative_heads) | set(t.positive_heads)):
        candidates = np.flatnonzero(lengths >= length + 3)
        if len(candidates) == 0:
            continue
        ends = words.ends[candidates]
        start = ends - length
        with np.errstate(over="ignore"):
            tail = (words.prefix[ends] - words.prefix[start]) * words.powers[start]
        if length in t.negative_heads:
            negative[candidates[_member(tail, t.negative_heads[length])]] = True
        if length in t.positive_heads:
            hit = candidates[_member(tail, t.positive_heads[length])]
            positive[hit[~negative[hit]]] = True


def token_column(name: str, bits: int) -> int:
    """The feature column of a synthetic token (as :class:`~.features.Featurizer` hashes it)."""
    with np.errstate(over="ignore"):
        return int((TOKENS[name] * np.uint32(0x9E3779B1)) >> np.uint32(32 - bits))
