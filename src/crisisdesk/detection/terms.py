"""The terms that moved in a window of posts, in the words people wrote.

Words, two- and three-word phrases and hashtags are counted once per post (one spammer repeating a
word cannot make it surge) under their folded key, so "Zurücktreten", "zurücktreten" and
"zuruecktreten" are one term; the term is shown in the spelling people used most in the window, and
capitalised only when people mostly wrote it so where case says something (not at the start of a
sentence, not in Title Case headlines or ALL-CAPS shouting): German nouns and names keep their
capital, English words do not.

Ranking is the weighted log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi and
Quinn 2008, "Fightin' Words") on the share of posts using a term: how much more often the window's
posts use it than the baseline's, without crowning a term seen twice. When that finds nothing (no
baseline to speak of: a new or quiet monitor, whose 20x spike is ten posts against three; or a
window spread too thin), the explanation falls back to the most frequent terms of the window and
says so (:class:`TermMethod`), because a spike must never be explained by silence.

A phrase replaces its words when it holds most of their posts ("Deutsche Bahn", not "deutsche" and
"bahn"); a phrase holding only a minority of them gives way to the words. Phrases never begin or end
with a stopword, except negations ("not working", "funktioniert nicht"), names ("New York") and a
few idioms ("nie wieder", "fällt aus"): see :mod:`crisisdesk.detection.stopwords`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from crisisdesk.core.text import fold
from crisisdesk.detection.stopwords import IDIOMS, NEGATIONS, is_filler, stopwords_for

PRIOR = 50.0  # pseudo-posts of the Dirichlet prior, spread by the pooled frequency
MIN_Z = 2.0
#: A phrase replaces a word (or shorter phrase) when it holds at least this share of its posts.
COVER = 0.6
#: A post whose words are mostly capitalised (a headline, shouting) says nothing about case.
STYLED_SHARE, STYLED_MIN_WORDS = 0.8, 4
#: A term in this share of the posts before and now is the monitor's own (its brand name).
OWN_SHARE = 0.8

_LINK = re.compile(r"https?://\S+|www\.\S+")
_PIECE = re.compile(r"(?<!\w)[#@]\w+|\w+(?:['-]\w+)*|\n|[^\w\s]")
_LETTER = re.compile(r"[^\W\d_]")
_SENTENCE_END = frozenset(".!?…:;\n")

_fold = lru_cache(maxsize=1 << 16)(fold)


class TermMethod(StrEnum):
    """How the terms of an explanation were found; the pages say so when it is not ``surging``."""

    SURGING = "surging"  # more frequent than in the baseline (log-odds, z >= 2)
    FREQUENT = "frequent"  # nothing stood out: the most frequent terms of the window
    NONE = "none"  # the window has no words to show (links, emoji, stopwords only)


class Doc(NamedTuple):
    """A post's text and its detected language (None: unknown, both stopword lists apply)."""

    text: str
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Terms:
    """Words and phrases (``terms``) and hashtags (with ``#``), best first, as people wrote them."""

    terms: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    method: TermMethod = TermMethod.NONE


class _Token(NamedTuple):
    key: str
    surface: str
    content: bool  # a word that may be a term by itself
    weak: bool  # its case says nothing (sentence start, headline, shouting)
    edge: bool  # may begin or end a phrase


#: Occurrence forms of one key: (surfaces, weak flags) -> count.
_Forms = Counter[tuple[tuple[str, ...], tuple[bool, ...]]]
#: First words of the idioms, so that a pair of stopwords is looked up only when it may be one.
_IDIOM_HEADS = frozenset(p.split(" ")[0] for p in IDIOMS)


@lru_cache(maxsize=1 << 16)
def _word_of(surface: str, stop: frozenset[str]) -> tuple[str, str, bool, bool]:
    """Key, surface, whether a term by itself, whether a capitalised stopword (part of a name)."""
    key = _fold(surface)
    if key.endswith("'s") and key not in stop:  # "Moore's" is Moore
        key, surface = key[:-2], surface[:-2]
    if not _LETTER.search(key) or (len(key) < 3 and not (len(key) == 2 and surface.isupper())):
        return key, surface, False, False  # numbers; "DB" and "UK" count, "zu" does not
    content = key not in stop and not is_filler(key)
    return key, surface, content, surface[:1].isupper() and len(key) >= 3 and "'" not in key


def _word(surface: str, stop: frozenset[str], weak: bool) -> _Token:
    """A word of a post. It may stand at a phrase's edge when it is a content word, a negation
    ("not working") or a stopword capitalised mid-sentence, as in a name ("New York")."""
    key, surface, content, capital = _word_of(surface, stop)
    return _Token(key, surface, content, weak, content or key in NEGATIONS or (capital and not weak))


def _styled(words: list[str]) -> bool:
    long = [w for w in words if len(w) >= 3 and w[0].isalpha()]
    return len(long) >= STYLED_MIN_WORDS and sum(w[0].isupper() for w in long) >= STYLED_SHARE * len(long)


def _scan(doc: Doc, forms: dict[str, _Forms] | None) -> set[str]:
    """The keys of one post: words, phrases (with spaces) and ``#hashtags``; their forms into ``forms``."""
    text = doc.text if doc.text.isascii() else unicodedata.normalize("NFC", doc.text).replace("’", "'")
    stop = stopwords_for(doc.lang)
    pieces = _PIECE.findall(_LINK.sub(" \n ", text) if "http" in text or "www." in text else text)
    styled = _styled([p for p in pieces if p[0].isalnum()])
    german = doc.lang == "de"  # a capital at a German sentence start is mostly a noun's own
    keys: set[str] = set()
    run: list[_Token] = []
    start = True
    for piece in pieces:
        head = piece[0]
        if head.isalnum() or head == "_":
            run.append(_word(piece, stop, styled or (start and not german)))
            start = False
            continue
        if run:
            _phrases(run, keys, forms)
            run = []
        if head == "#" and len(piece) > 1:
            tag = _fold(piece[1:])
            if _LETTER.search(tag) and len(tag) >= 2 and tag not in stop and not is_filler(tag):
                keys.add("#" + tag)
                if forms is not None:
                    forms.setdefault("#" + tag, Counter())[((piece,), (False,))] += 1
        elif head in _SENTENCE_END:
            start = True  # links too: they are cut out as line breaks
    if run:
        _phrases(run, keys, forms)
    return keys


def _phrases(run: list[_Token], keys: set[str], forms: dict[str, _Forms] | None) -> None:
    """Words and phrases of a run of words between punctuation, links, mentions and hashtags.

    A phrase has a content word, no word twice, and words fit to stand at both ends; or it is
    one of the :data:`IDIOMS`. Checked on the tokens before any string is built: this runs for
    every word of every sampled post.
    """
    size = len(run)
    for i, a in enumerate(run):
        if a.content:
            keys.add(a.key)
            if forms is not None:
                forms.setdefault(a.key, Counter())[((a.surface,), (a.weak,))] += 1
        if i + 1 >= size:
            break
        b = run[i + 1]
        if (a.edge and b.edge and (a.content or b.content) and a.key != b.key) or (
                a.key in _IDIOM_HEADS and f"{a.key} {b.key}" in IDIOMS):
            _add(keys, forms, (a, b))
        if i + 2 >= size:
            continue
        c = run[i + 2]
        if (a.edge and c.edge and (a.content or b.content or c.content)
                and a.key != b.key != c.key != a.key) or (
                a.key in _IDIOM_HEADS and f"{a.key} {b.key} {c.key}" in IDIOMS):
            _add(keys, forms, (a, b, c))


def _add(keys: set[str], forms: dict[str, _Forms] | None, part: tuple[_Token, ...]) -> None:
    key = " ".join(t.key for t in part)
    keys.add(key)
    if forms is not None:
        forms.setdefault(key, Counter())[(tuple(t.surface for t in part), tuple(t.weak for t in part))] += 1


def _count(docs: Iterable[Doc], forms: dict[str, _Forms] | None) -> Counter[str]:
    counts: Counter[str] = Counter()
    for doc in docs:
        counts.update(_scan(doc, forms))
    return counts


def _log_odds(w: Counter[str], b: Counter[str], n_w: int, n_b: int, min_docs: int) -> dict[str, float]:
    """z-scores of the terms a larger share of the window's posts uses than of the baseline's.

    Shares are of posts (``n_w``, ``n_b``), not of tokens: a term counts once per post, and a
    token total would move with the stopword list and with every phrase counted beside its words.
    On the bench streams this found more of the injected crises' terms and no more in calm hours
    than token totals did (docs/detection.md, "Explaining a spike").
    """
    n_w, n_b = max(n_w, 1), max(n_b, 1)
    total = n_w + n_b
    out = {}
    for term, y_w in w.items():
        y_b = b.get(term, 0)
        if y_w < min_docs or _own(y_w, y_b, n_w, n_b):
            continue  # the own words' log-odds are near infinite on both sides: noise, not news
        alpha = PRIOR * (y_w + y_b) / total
        rest = PRIOR - alpha  # pseudo-posts without the term; > 0, as own words are left out
        delta = (math.log((y_w + alpha) / (n_w - y_w + rest))
                 - math.log((y_b + alpha) / (n_b - y_b + rest)))
        z = delta / math.sqrt(1 / (y_w + alpha) + 1 / (y_b + alpha))
        if z >= MIN_Z:
            out[term] = z
    return out


def _frequent(w: Counter[str], b: Counter[str], n_w: int, n_b: int) -> dict[str, float]:
    """Window frequency (terms in two posts or more when there are any), rarer in the baseline first.

    Left out, while others remain: terms in nearly every post before as now (:data:`OWN_SHARE`),
    the monitor's own words (the brand name its query matches), which are not what moved. A
    crisis word that was already there before stays: the baseline may be the crisis's first hour.
    """
    floor = 2 if any(n >= 2 for n in w.values()) else 1
    found = {t: n + 0.5 / (1 + b.get(t, 0)) for t, n in w.items() if n >= floor}
    moved = {t: v for t, v in found.items() if not _own(w[t], b.get(t, 0), max(n_w, 1), max(n_b, 1))}
    return moved or found


def _own(y_w: int, y_b: int, n_w: int, n_b: int) -> bool:
    """In nearly every post before as now: the monitor's own words (the brand its query matches)."""
    return y_w >= OWN_SHARE * n_w and y_b >= OWN_SHARE * n_b


def _parts(key: str) -> list[str]:
    """The words and shorter phrases inside a phrase."""
    words = key.split(" ")
    return [*words, *(" ".join(words[i:i + 2]) for i in range(len(words) - 1) if len(words) == 3)]


def _select(scores: dict[str, float], counts: Counter[str]) -> dict[str, float]:
    """Phrases in place of the words they hold most of; every shown item with its rank."""
    dropped: set[str] = set()
    for phrase in (k for k in scores if k.count(" ") == 2):
        inner = [p for p in _parts(phrase) if " " in p and p in scores]
        if all(counts[phrase] >= COVER * counts[p] for p in inner):
            dropped.update(inner)  # "scooter battery fire" says "battery fire" and more
        else:
            dropped.add(phrase)  # "hurricane sandy mess" holds few of "hurricane sandy"
    def order(phrase: str) -> tuple[float, float, int, int, str]:
        """More posts first; then stronger words, fewer stopwords inside, longer."""
        words = phrase.split(" ")
        content = [w for w in words if w in counts]
        strength = sum(scores.get(w, 0.0) for w in content) / max(len(content), 1)
        return -counts[phrase], -strength, len(words) - len(content), -len(words), phrase

    phrases = sorted((k for k in scores if " " in k and k not in dropped), key=order)
    absorbed: set[str] = set(dropped)
    shown: dict[str, float] = {}
    for phrase in phrases:
        parts = [p for p in _parts(phrase) if p in scores and " " not in p]
        if any(p in absorbed for p in parts):
            continue  # overlaps a phrase already shown: "Costa Rica", "coast of Costa"
        taken = [p for p in parts if counts[phrase] >= COVER * counts[p]]
        if parts and not taken:
            continue  # a minority use of words that surge by themselves: the words say it
        shown[phrase] = max([scores[phrase], *(scores[p] for p in taken),
                             *(scores[p] for p in _parts(phrase) if p in dropped)])
        absorbed.update(taken)
    for key, score in scores.items():
        if " " in key or key in absorbed:
            continue
        if key.startswith("#") and (key[1:] in absorbed or key[1:] in scores):
            continue  # the hashtag and the word: shown once, as the word
        shown[key] = max(score, scores.get("#" + key, score))
    return shown


def display(forms: _Forms) -> str:
    """The form of a term people wrote most, with the case they mostly used where case is telling."""
    spellings: Counter[tuple[str, ...]] = Counter()
    for (surfaces, _), n in forms.items():
        spellings[tuple(s.lower() for s in surfaces)] += n
    best = max(spellings, key=lambda s: (spellings[s], not "".join(s).isascii(), s))
    chosen = [(surfaces, weak, n) for (surfaces, weak), n in forms.items()
              if tuple(s.lower() for s in surfaces) == best]
    words = []
    for i, low in enumerate(best):
        votes = [(surfaces[i], n) for surfaces, weak, n in chosen if not weak[i]]
        words.append(_case(low, votes) if votes else
                     _case(low, [(surfaces[i], n) for surfaces, _, n in chosen], titles=False))
    return " ".join(words)


def _shouted(surface: str) -> bool:
    """All capitals, with two letters or more ("DB", "TORNADO"; not "A320")."""
    return surface.isupper() and sum(c.isalpha() for c in surface) > 1


def _case(low: str, votes: list[tuple[str, int]], *, titles: bool = True) -> str:
    """Lower case unless people mostly capitalised it (nouns, names), wrote it in capitals (short
    acronyms: "DB", "ICE") or in a mixed case of their own ("iPhone", "PayPal", "A320").
    ``titles=False``: only sentence starts and headlines were seen, whose capital says nothing."""
    if low.startswith("#"):
        return Counter(dict(votes)).most_common(1)[0][0] if votes else low
    total = sum(n for _, n in votes)
    upper = sum(n for s, n in votes if _shouted(s))
    if len(low) > 5 and upper < total:  # shouting a long word says nothing about its case
        votes = [(s, n) for s, n in votes if not _shouted(s)]
        total, upper = total - upper, 0
    if upper * 2 > total and len(low) <= 5:
        return low.upper()
    mixed: Counter[str] = Counter()
    title = 0
    for s, n in votes:
        if s == low or _shouted(s):
            continue
        if s[0].isupper() and s[1:] == low[1:]:
            title += n
        else:
            mixed[s] += n
    if mixed:
        form, n = mixed.most_common(1)[0]
        if n * 2 > total:
            return form
    if titles and (title + sum(mixed.values())) * 2 > total:
        return low[0].upper() + low[1:]
    return low


def _docs(texts: Sequence[str | Doc]) -> list[Doc]:
    return [t if isinstance(t, Doc) else Doc(t) for t in texts]


def surging(window: Sequence[str | Doc], baseline: Sequence[str | Doc], *, top: int = 10,
            min_docs: int = 3) -> Terms:
    """The terms and hashtags that moved in ``window`` against ``baseline``, as people wrote them.

    Never empty while the window has a word to show: when no term is significant even at two
    posts, the window's most frequent terms are returned with ``method`` :attr:`TermMethod.FREQUENT`.
    """
    forms: dict[str, _Forms] = {}
    w = _count(_docs(window), forms)
    b = _count(_docs(baseline), None)
    method = TermMethod.SURGING
    scores = _log_odds(w, b, len(window), len(baseline), min_docs)
    if not scores and min_docs > 2:
        scores = _log_odds(w, b, len(window), len(baseline), 2)
    if not scores:
        scores, method = _frequent(w, b, len(window), len(baseline)), TermMethod.FREQUENT
    if not scores:
        return Terms(method=TermMethod.NONE)
    shown = sorted(_select(scores, w).items(), key=lambda kv: (-kv[1], -w[kv[0]], kv[0]))
    terms = [display(forms[k]) for k, _ in shown if not k.startswith("#")][:top]
    tags = [display(forms[k]) for k, _ in shown if k.startswith("#")][:top]
    return Terms(terms, tags, method)


def merge(*lists: Iterable[str], limit: int = 10) -> list[str]:
    """Term lists joined, each term once whatever its case, spelling or hashtag sign; first wins."""
    seen: set[str] = set()
    out = []
    for term in (t for terms in lists for t in terms):
        key = _fold(term.lstrip("#"))
        if key and key not in seen:
            seen.add(key)
            out.append(term)
    return out[:limit]
