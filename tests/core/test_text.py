"""Folding and tokenising: the one definition of "the same word" across the product."""

from __future__ import annotations

import random
import re

import pytest

from crisisdesk.core.text import Token, TokenKind, TokenLine, fold, token_line, tokenize

W, H, M = TokenKind.WORD, TokenKind.HASHTAG, TokenKind.MENTION


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Deutsche Bahn", "deutsche bahn"),
        ("Verspätung", "verspaetung"),
        ("VERSPÄTUNG", "verspaetung"),
        ("Verspaetung", "verspaetung"),
        ("Grüße aus Köln", "gruesse aus koeln"),
        ("Straße", "strasse"),
        ("STRAẞE", "strasse"),
        ("Ärger über Öl", "aerger ueber oel"),
        ("A\u0308rger", "aerger"),  # decomposed umlaut is still an umlaut
        ("Café crème", "cafe creme"),
        ("naïve Zoë", "naive zoe"),
        ("São Paulo, Kraków", "sao paulo, krakow"),
        ("ﬁnale", "finale"),  # ligature
        ("Ｂａｈｎ", "bahn"),  # full-width
        ("Ⅷ", "viii"),  # compatibility form that decomposes to upper case
        ("İstanbul", "istanbul"),
        ("z̸a̸l̸g̸o̸", "zalgo"),
        ("Москва", "москва"),  # other scripts keep their letters
        ("Bahn 😡 “toll”", "bahn 😡 “toll”"),  # emoji and quotes are left alone
        ("", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    "text",
    ["Verspätung", "STRAẞE", "ΐ", "İ", "Ⅷ ﬁ Ｂ", "z̸a̸l̸g̸o̸", "한국어", "❤️ q̃", "Ǆ ǅ ǆ", "ᾈ"],
)
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("die bahn", [Token("die", W), Token("bahn", W)]),
        ("#db @db_bahn", [Token("db", H), Token("db_bahn", M)]),
        ("deutsche-bahn,  heute!", [Token("deutsche", W), Token("bahn", W), Token("heute", W)]),
        (
            "a#b foo@bar.com",
            [Token("a", W), Token("b", W), Token("foo", W), Token("bar", W), Token("com", W)],
        ),
        ("##x #@y # @", [Token("x", H), Token("y", M)]),
        ("😡bahn😡", [Token("bahn", W)]),
        ("москва #киев", [Token("москва", W), Token("киев", H)]),
        ("", []),
    ],
)
def test_tokenize(text: str, tokens: list[Token]) -> None:
    assert tokenize(fold(text)) == tokens


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Die Bahn!", TokenLine(" die bahn ", ())),
        ("#Bahn-Chaos @DB_Bahn", TokenLine(" bahn chaos @db_bahn ", ("bahn",))),
        ("#a #b c#d ##e", TokenLine(" a b c d e ", ("a", "b", "e"))),
        ("Verspätung 😡 “heute”", TokenLine(" verspaetung heute ", ())),
        ("Zug в Москву #поезд", TokenLine(" zug в москву поезд ", ("поезд",))),
        ("", TokenLine("  ", ())),
    ],
)
def test_token_line(text: str, line: TokenLine) -> None:
    assert token_line(fold(text)) == line


def _reference_line(folded: str) -> TokenLine:
    """token_line as the regex alone would produce it (no ASCII fast path)."""
    raw = re.findall(r"(?<!\w)[#@]\w+|\w+", folded)
    hashtags = tuple(t[1:] for t in raw if t[0] == "#")
    return TokenLine(" " + " ".join(t.lstrip("#") for t in raw) + " ", hashtags)


def test_token_line_fast_paths_agree_with_regex() -> None:
    rng = random.Random(3)
    combining_acute = chr(0x301)
    alphabet = [*"abc xyz_019 #@-.,!?'", "ä", "é", "😡", "“", "”", "ж", combining_acute, "  ", "##", "@@"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        folded = fold(text)
        assert token_line(folded) == _reference_line(folded), text
        tokens = tokenize(folded)
        expected = [("@" if t.kind is M else "") + t.text for t in tokens]
        assert token_line(folded).line.split() == expected, text
