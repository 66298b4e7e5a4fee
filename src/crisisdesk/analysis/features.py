"""Text features shared by every analysis model, computed for a whole batch at once in numpy.

Why not scikit-learn's vectorizers: their analyzers run Python code per n-gram, about 10,000
short posts/s for character n-grams on this machine, while the whole enrich stage must run at
half of VADER's rate (about 25,000 posts/s) doing four analyses. Here a batch of texts becomes
one string, one regex pass normalises it, and all character and word n-grams of all texts are
hashed together with vectorised rolling hashes: the per-post Python work is a join and a split.

Features (hashed into ``2**bits`` columns, "the hashing trick"):
- character n-grams, n = 2..5, over the folded text with whitespace collapsed; n-grams never
  cross from one post into the next;
- word unigrams and bigrams (a word is a run of letters, digits, ``#``, ``@`` or ``'``).
Occurrences are weighted by an optional IDF vector and each post is scaled to unit length, as
TF-IDF would do (see :meth:`Featurizer.transform` for the one difference).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from crisisdesk.analysis.cues import WordSpans, cue_tokens
from crisisdesk.core.text import fold

_SEP = "\x00"  # never part of a post (the normalize stage drops NULs); not whitespace either
_URL_RE = re.compile(r"https?://[^\s\x00]+|www\.[^\s\x00]+")  # never across a separator
_MENTION_RE = re.compile(r"@\w+")
_DIGITS = str.maketrans("123456789", "000000000")  # for clean(); counts() does it on code points
# 32-bit arithmetic (wrapping): half the memory traffic of 64-bit, and 2**32 hash values are
# plenty for at most 2**20 columns.
_P = np.uint32(0x01000193)  # FNV prime: any odd multiplier works for rolling hashes
_MIX = np.uint32(0x9E3779B1)  # golden-ratio multiplier spreads hashes over the top bits


def _inverse(p: int) -> int:
    """p^-1 modulo 2^32 (p odd), by Newton's iteration."""
    x = p
    for _ in range(5):
        x = (x * (2 - p * x)) % (1 << 32)
    return x


_P_INV = np.uint32(_inverse(int(_P)))
_CHAR_NS = (2, 3, 4, 5)
_MAX_CHARS = 2000  # per post: longer texts are cut (features saturate long before)


def _word_table() -> npt.NDArray[np.bool_]:
    """Which code points (below U+3000) belong to words; everything above counts as a word char
    except the emoji blocks, which stand alone as their own tokens via the character n-grams."""
    table = np.zeros(0x3000, dtype=np.bool_)
    for cp in range(0x3000):
        ch = chr(cp)
        table[cp] = ch.isalnum() or ch in "#@'_"
    return table


_WORD = _word_table()


def clean(text: str) -> str:
    """The normal form features are computed on (also used by tests to reason about features)."""
    text = _URL_RE.sub(" url ", text[:_MAX_CHARS])
    text = _MENTION_RE.sub("@user", text)
    return " ".join(fold(text.replace(_SEP, " ").translate(_DIGITS)).split())


@dataclass(frozen=True)
class Featurizer:
    """Hashes texts into a sparse ``(n_texts, 2**bits)`` matrix; stateless except the IDF."""

    bits: int = 18
    idf: npt.NDArray[np.float32] | None = None
    #: Add the cue tokens of :mod:`.cues` (lexicon, negation scope, complaint cues, emoji), each
    #: occurrence worth ``cue_weight`` n-gram occurrences. Off for models trained without them.
    cues: bool = False
    cue_weight: float = 1.0

    @property
    def n_features(self) -> int:
        return 1 << self.bits

    def counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """One entry of 1 per n-gram occurrence (before IDF and scaling): what IDF is learned from."""
        n_docs = len(texts)
        if n_docs == 0:
            return sparse.csr_matrix((0, self.n_features), dtype=np.float32)
        joined = _SEP + _SEP.join(t[:_MAX_CHARS].replace(_SEP, " ") for t in texts) + _SEP
        joined = _MENTION_RE.sub("@user", _URL_RE.sub(" url ", joined))
        joined = " ".join(fold(joined).split())  # NUL is not whitespace: posts stay apart
        codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
        codes[(codes > 0x30) & (codes <= 0x39)] = 0x30  # every digit is 0: numbers vary, shapes don't
        is_sep = codes == ord(_SEP)
        doc = np.cumsum(is_sep) - 1  # the post each position belongs to (separators: the next)
        cols: list[npt.NDArray[np.uint32]] = []
        rows: list[npt.NDArray[np.int64]] = []
        self._char_ngrams(codes, is_sep, doc, cols, rows)
        words = self._word_ngrams(codes, doc, cols, rows)
        n_plain = sum(len(c) for c in cols)
        if self.cues:
            cue_cols, cue_rows = cue_tokens(words if words is not None else WordSpans.none(codes), doc)
            cols.extend(cue_cols)
            rows.extend(cue_rows)
        row = np.concatenate(rows)
        order = np.argsort(row, kind="stable")  # a merge of a few sorted runs: cheap
        col = np.concatenate(cols)[order]
        with np.errstate(over="ignore"):
            col = ((col * _MIX) >> np.uint32(32 - self.bits)).astype(np.int32)
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=n_docs), out=indptr[1:])
        # Repeated n-grams stay separate entries (their values add up in every product);
        # merging them would mean sorting every row, the most expensive step by far.
        data = np.ones(len(col), dtype=np.float32)
        if len(col) > n_plain and self.cue_weight != 1.0:
            data[order >= n_plain] = self.cue_weight
        if len(col) and int(col.max()) >= self.n_features:  # would corrupt memory in scipy
            raise AssertionError("feature index out of range")
        return sparse.csr_matrix((data, col, indptr), shape=(n_docs, self.n_features))

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """IDF-weighted features scaled to unit length per post: what the models consume.

        Each occurrence of an n-gram is its own entry worth its IDF; the length a post is scaled
        by is the root of the sum over occurrences of IDF², which equals the usual L2 norm when
        nothing repeats and grows more slowly (like damped TF) when something does.
        """
        matrix = self.counts(texts)
        data = matrix.data
        if self.idf is not None:
            data *= self.idf[matrix.indices]
        lengths = np.diff(matrix.indptr)
        nonempty = lengths > 0
        norms = np.ones(matrix.shape[0], dtype=np.float32)
        if data.size:
            # Segments start at non-empty rows only: an empty row has no elements to sum.
            norms[nonempty] = np.sqrt(np.add.reduceat(data * data, matrix.indptr[:-1][nonempty]))
        data /= np.repeat(norms, lengths)
        return matrix

    def fit_idf(self, texts: Sequence[str]) -> Featurizer:
        """A featurizer with IDF weights learned from ``texts`` (smoothed, as scikit-learn does)."""
        matrix = self.counts(texts)
        present = sparse.csr_matrix(matrix)
        present.sum_duplicates()
        df = np.bincount(present.indices, minlength=self.n_features).astype(np.float64)
        n = matrix.shape[0]
        idf = (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)
        return Featurizer(bits=self.bits, idf=idf, cues=self.cues, cue_weight=self.cue_weight)

    @staticmethod
    def _char_ngrams(codes: npt.NDArray[np.uint32], is_sep: npt.NDArray[np.bool_],
                     doc: npt.NDArray[np.int64], cols: list[npt.NDArray[np.uint32]],
                     rows: list[npt.NDArray[np.int64]]) -> None:
        c = codes
        seps = np.concatenate(([0], np.cumsum(is_sep)))  # seps[j] = separators before position j
        h = c.copy()
        with np.errstate(over="ignore"):
            for n in range(2, max(_CHAR_NS) + 1):
                h = h[:-1] * _P + c[n - 1:]
                if n not in _CHAR_NS:
                    continue
                ok = seps[n:] == seps[: len(h)]  # no separator inside the window
                cols.append(h[ok] + np.uint32(n))  # the length salts the hash
                rows.append(doc[: len(h)][ok])

    @staticmethod
    def _word_ngrams(
        codes: npt.NDArray[np.uint32], doc: npt.NDArray[np.int64], cols: list[npt.NDArray[np.uint32]],
        rows: list[npt.NDArray[np.int64]],
    ) -> WordSpans | None:
        wordish = np.where(codes < 0x3000, _WORD[np.minimum(codes, 0x2FFF)], codes >= 0x3000)
        # Emoji and symbols above U+3000 count as word characters only outside the emoji blocks.
        wordish &= ~((codes >= 0x1F000) & (codes < 0x20000))
        edges = np.diff(np.concatenate(([False], wordish, [False])).astype(np.int8))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)
        if len(starts) == 0:
            return None
        c = codes
        with np.errstate(over="ignore"):
            # Polynomial hash of each word from prefix sums: G[i] = sum c[j] * P^-j, so the word
            # [s, e) hashes to (G[e] - G[s]) * P^s, independent of where it stands.
            ones = np.full(len(c), _P, dtype=np.uint32)
            powers = np.cumprod(ones, dtype=np.uint32) * _P_INV  # P^0 .. P^(n-1)
            ones[:] = _P_INV
            inverse = np.cumprod(ones, dtype=np.uint32) * _P  # P^0 .. P^-(n-1)
            prefix = np.concatenate(([np.uint32(0)], np.cumsum(c * inverse, dtype=np.uint32)))
            words = (prefix[ends] - prefix[starts]) * powers[starts]
            word_doc = doc[starts]
            cols.append(words ^ np.uint32(0xA5A5A5A5))
            rows.append(word_doc)
            same = word_doc[1:] == word_doc[:-1]
            bigrams = words[:-1] * _P + words[1:]
            cols.append(bigrams[same] ^ np.uint32(0x5A5A5A5A))
            rows.append(word_doc[:-1][same])
        return WordSpans(codes, starts, ends, words, word_doc, prefix, powers)
