"""Text folding and tokenising shared by the whole product.

Every place that compares user-written words with post text (monitor queries, keyword lists,
insult lexicons, deduplication) must see the same characters, otherwise a query for
``verspätung`` silently misses a post that says ``Verspaetung``. These functions are the one
definition of "the same word"; they run for every ingested post, so they avoid per-character
Python loops: one ``str.translate`` table, one precompiled regex, and an ASCII fast path that
skips Unicode normalisation for the (very common) plain-ASCII post.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import NamedTuple

__all__ = [
    "Token",
    "TokenKind",
    "TokenLine",
    "fold",
    "token_line",
    "tokenize",
]

# German spelling variants are equivalent in practice (keyboards without umlauts, URLs,
# hashtags): ä=ae, ö=oe, ü=ue, ß=ss. Applied after casefold (which already turns ß and ẞ into
# ss) and before NFKD, which would otherwise turn ä into a plain a.
_GERMAN = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"))

# Combining marks of the Latin/Greek/Cyrillic accent blocks. We do not strip every Unicode
# combining character: in Indic or Hebrew scripts they carry meaning, not decoration.
# UTF-8 lead bytes of those blocks except U+20D0-U+20FF (E2 83 ..), checked separately since
# E2 alone would hit on every typographic quote or dash. A superset: a hit only means "run
# the regex"; U+FE0F (emoji variation selector, EF B8 8F) is the common false positive.
_COMBINING_UTF8_LEADS = b"\xcc\xcd\xe1\xef"
_COMBINING_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")

# A token is a run of word characters, optionally introduced by # (hashtag) or @ (mention).
# A sigil only counts at the start of a token: "a#b" and "foo@bar.com" are plain words.
_TOKEN_RE = re.compile(r"(?<!\w)[#@]\w+|\w+")

# ASCII fast path of the same rule: map every non-word character except the sigils to a space
# and let str.split() do the rest (about three times faster than the regex). A sigil that the
# regex would not treat as a token start makes us fall back to the regex.
# Every ASCII code point is in the table: a missing key costs an internal exception per char.
_NON_ASCII_WORD_RE = re.compile(r"[^\W\x00-\x7f]")
_ASCII_SEPARATORS = str.maketrans(
    {chr(i): chr(i) if chr(i).isalnum() or chr(i) in "_#@" else " " for i in range(128)}
)


class TokenKind(StrEnum):
    """What a token is on social media; queries treat the three kinds differently."""

    WORD = "word"
    HASHTAG = "hashtag"
    MENTION = "mention"


class Token(NamedTuple):
    """One token of folded text; ``text`` carries no sigil (``#bahn`` -> ``bahn``)."""

    text: str
    kind: TokenKind


class TokenLine(NamedTuple):
    """Folded text in the one shape the matchers search with plain substring search.

    ``line`` is the tokens joined by single spaces, with one space before and after, so that
    `` bahn `` finds exactly the whole word and `` verspaet`` exactly the words starting with
    it. Hashtags appear in ``line`` as their bare word (a plain term matches the hashtag form
    too) and are also listed in ``hashtags`` (so ``#db`` can demand the hashtag form). Mentions
    keep their ``@`` in ``line``, so a plain word never matches a handle by accident.
    """

    line: str
    hashtags: tuple[str, ...]


def fold(text: str) -> str:
    """Return the comparison form of ``text``: case-folded, German-folded, accents stripped.

    Idempotent, so callers may fold query literals and post text with the same function and
    never worry about folding twice.
    """
    if text.isascii():
        return text.lower()
    s = text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
    s = s.casefold()
    for umlaut, spelled in _GERMAN:
        if umlaut in s:
            s = s.replace(umlaut, spelled)
    if s.isascii():
        return s
    if not unicodedata.is_normalized("NFKD", s):
        # NFKD splits é into e + U+0301 and unifies compatibility forms (ﬁ, full-width Ａ),
        # which may be upper case again (Ⅷ -> VIII), hence the second casefold.
        s = unicodedata.normalize("NFKD", s)
        folded = s.casefold()
        if folded != s:
            s = unicodedata.normalize("NFKD", folded)
    if _may_have_combining(s):
        s = _COMBINING_RE.sub("", s)
    return s


def _may_have_combining(s: str) -> bool:
    """Cheap pre-check (byte search on UTF-8) before the slower regex strips accents."""
    encoded = s.encode("utf-8", "surrogatepass")
    return len(encoded.translate(None, _COMBINING_UTF8_LEADS)) != len(encoded) or b"\xe2\x83" in encoded


def _sigils_well_placed(padded: str) -> bool:
    """Whether every # and @ in a space-padded token line starts a token, as in the regex."""
    if "#" in padded and (padded.count("#") != padded.count(" #") or "# " in padded):
        return False
    return "@" not in padded or (padded.count("@") == padded.count(" @") and "@ " not in padded)


def _padded_line(folded: str) -> str:
    """Tokens with their sigils, joined by single spaces, with a space at both ends."""
    if folded.isascii():
        ascii_text = folded
    elif _NON_ASCII_WORD_RE.search(folded) is None:
        # Only emoji, typographic quotes and the like are non-ASCII: all of them separate
        # tokens, and so does the "?" they are replaced with.
        ascii_text = folded.encode("ascii", "replace").decode("ascii")
    else:
        return f" {' '.join(_TOKEN_RE.findall(folded))} "
    padded = f" {' '.join(ascii_text.translate(_ASCII_SEPARATORS).split())} "
    if _sigils_well_placed(padded):
        return padded
    return f" {' '.join(_TOKEN_RE.findall(folded))} "


def tokenize(folded: str) -> list[Token]:
    """Split folded text into ordered word, hashtag and mention tokens.

    Everything that is not a word character separates tokens (spaces, punctuation, hyphens,
    emoji), which is why ``"deutsche bahn"`` in a query finds ``Deutsche-Bahn,`` in a post.
    """
    tokens: list[Token] = []
    for raw in _padded_line(folded).split():
        head = raw[0]
        if head == "#":
            tokens.append(Token(raw[1:], TokenKind.HASHTAG))
        elif head == "@":
            tokens.append(Token(raw[1:], TokenKind.MENTION))
        else:
            tokens.append(Token(raw, TokenKind.WORD))
    return tokens


def token_line(folded: str) -> TokenLine:
    """Return the :class:`TokenLine` of folded text; the per-post hot path of matching.

    Equivalent to :func:`tokenize` but built with C-level string operations only; the
    Python-level loop runs only over hashtags, and only when the post has any.
    """
    padded = _padded_line(folded)
    if "#" not in padded:
        return TokenLine(padded, ())
    # "#" only ever starts a token, so each " #" chunk starts with one whole hashtag.
    hashtags = tuple(chunk.partition(" ")[0] for chunk in padded.split(" #")[1:])
    # "#" can only occur at the start of a token, so dropping every "#" leaves the bare words.
    return TokenLine(padded.replace("#", ""), hashtags)
