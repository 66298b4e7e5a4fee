"""Text handling the rules share: what they must not read, clauses, negation.

Masking keeps every offset: characters that the rules must not judge are replaced by spaces, so a
match in the masked text is a span in the original. Quoted words are someone else's (a reply that
quotes the complaint, "you wrote 'your fault'", does not blame anyone), and links and @handles are
not language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Double and typographic quotes of German and English; single straight quotes are apostrophes
# far more often than quotes ("we'll"), so only ‘…’ counts.
_QUOTES = re.compile(
    r'"[^"\n]{1,400}"|„[^“”"\n]{1,400}[“”"]|“[^”\n]{1,400}”|»[^«\n]{1,400}«|«[^»\n]{1,400}»'
    r"|‘[^’\n]{1,400}’|‚[^‘’\n]{1,400}[‘’]|^>.*$",
    re.MULTILINE,
)
# A link ends before trailing punctuation: "… unter https://example.org/x?" is still a question.
_LINKS = re.compile(r"(?:https?://|www\.)\S+?(?=[.,;:!?)\"'»“”]*(?:\s|$))")
_HANDLES = re.compile(r"(?<![\w@])@\w{1,50}")
_CLAUSE_END = re.compile(r"[.;:!?,()\n–—]|\b(?:but|however|aber|jedoch|sondern|doch)\b", re.IGNORECASE)
_SENTENCES = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")


def _blank(text: str, pattern: re.Pattern[str], *, keep_ends: bool = False) -> str:
    def spaces(m: re.Match[str]) -> str:
        inner = " " * len(m.group())
        if keep_ends and len(inner) >= 2:  # keep the quote marks: a clause still ends there
            return m.group()[0] + inner[2:] + m.group()[-1]
        return inner

    return pattern.sub(spaces, text)


def mask_quotes(text: str) -> str:
    """``text`` with quoted passages blanked (same length)."""
    return _blank(text, _QUOTES, keep_ends=True)


def mask(text: str) -> str:
    """``text`` with quotes, links and @handles blanked (same length): what the rules read."""
    return _blank(_blank(mask_quotes(text), _LINKS), _HANDLES)


def clause_before(text: str, start: int, *, width: int = 40) -> str:
    """The words of the same clause just before ``start`` (for negation: "nicht Ihre Schuld")."""
    window = text[max(0, start - width) : start]
    ends = list(_CLAUSE_END.finditer(window))
    return window[ends[-1].end() :] if ends else window


def sentences(text: str) -> Iterator[tuple[int, int, str]]:
    """Each sentence (ending in . ! ? or a line break) with its offsets."""
    for m in _SENTENCES.finditer(text):
        if m.group().strip():
            yield m.start(), m.end(), m.group()


def trimmed_span(text: str) -> tuple[int, int]:
    """The whole reply without its surrounding white space: the span of a "missing" finding."""
    stripped = text.strip()
    if not stripped:
        return 0, 0
    start = text.index(stripped[0])
    return start, start + len(stripped)
