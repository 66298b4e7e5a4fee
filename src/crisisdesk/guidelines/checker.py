"""The reply guideline checker: rules per language over a masked copy of the reply.

Why rules: no public data set labels blame, excuses or non-apologies in company replies, in
either language (``docs/guidelines.md``), so a trained model would learn from a few hundred
labels of our own; rules are as good on those, explainable (each finding points at its words)
and cheap enough to run on every keystroke. The scores on real company replies, and what the
rules miss, are in ``docs/guidelines.md``.

Two kinds of findings: words that break a guideline (``blame``, ``excuse``,
``conditional_apology``, ``hostile``: one finding per passage), and something missing
(``no_apology``, ``no_empathy``, ``no_next_step`` when an apology is called for; ``no_timeline``
when the reply promises something without saying when; ``no_name`` when the name is known).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from crisisdesk.guidelines import lexicon_de, lexicon_en
from crisisdesk.guidelines.codes import LANGS, Code, Finding, Lang
from crisisdesk.guidelines.lexicon import Lexicon, Rule
from crisisdesk.guidelines.messages import message, suggestion
from crisisdesk.guidelines.text import clause_before, mask, mask_quotes, sentences, trimmed_span

LEXICONS: dict[Lang, Lexicon] = {"de": lexicon_de.LEXICON, "en": lexicon_en.LEXICON}
#: Longer replies are checked up to here (a reply is a post, not a letter; keeps every check fast).
MAX_CHARS = 10_000

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Check:
    """The result of :func:`check_reply`: the language the reply was checked in, and what was found."""

    lang: Lang
    findings: list[Finding] = field(default_factory=list)


def _matches(rules: Iterable[Rule], masked: str, lex: Lexicon) -> list[Span]:
    """Spans of ``rules`` in ``masked``, negated ones dropped, overlaps merged (first one wins)."""
    found: list[Span] = []
    for rule in rules:
        for m in rule.pattern.finditer(masked):
            if m.end() == m.start():
                continue
            if rule.negatable and (
                lex.negation.search(clause_before(masked, m.start())) or lex.negation.search(m.group())
            ):
                continue
            found.append((m.start(), m.end()))
    merged: list[Span] = []
    for start, end in sorted(found):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return [(s, _rstrip(masked, s, e)) for s, e in merged]


def _rstrip(text: str, start: int, end: int) -> int:
    """The end of a span without trailing punctuation, and never in the middle of a word (rules
    that take "the rest of the clause" stop after a fixed number of characters)."""
    if end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        cut = text.rfind(" ", start, end)
        end = cut if cut > start else end
    while end > start and text[end - 1] in " ,;:-–":
        end -= 1
    return end


def _overlaps(span: Span, others: Sequence[Span]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in others)


def _asks(masked: str) -> bool:
    """A question ("Which app are you using?", "Is the light red?") moves the case on: it asks the
    person for what we need, so it counts as a next step."""
    return any(sentence.rstrip().endswith("?") for _, _, sentence in sentences(masked))


def _outside_hedged_sentences(spans: list[Span], hedges: Sequence[Span], masked: str) -> list[Span]:
    """``spans`` minus those in a sentence that holds a conditional apology ("Wir bedauern etwaige
    Unannehmlichkeiten": "bedauern" is no apology there)."""
    hedged = [(s, e) for s, e, _ in sentences(masked) if _overlaps((s, e), hedges)]
    return [span for span in spans if not _overlaps(span, hedges) and not _overlaps(span, hedged)]


def _name_tokens(name: str, lex: Lexicon) -> list[str]:
    tokens = [t.strip("@.,") for t in re.split(r"\s+", name.strip())]
    return [t for t in tokens if len(t) >= 2 and t.lower() not in lex.titles]


def _mentions(text: str, name: str, lex: Lexicon) -> bool:
    """Whether the reply speaks to ``name``: any of its words (first or last name, or the handle,
    with or without ``@``), as a whole word, outside quotes."""
    tokens = _name_tokens(name, lex)
    if not tokens:
        return True  # nothing usable to look for: do not nag
    return any(re.search(rf"(?<!\w)@?{re.escape(tok)}(?!\w)", text, re.IGNORECASE) for tok in tokens)


def _greeting(masked: str, lex: Lexicon) -> Span:
    m = lex.greeting.search(masked)
    if m is None:
        first = masked.lstrip()
        start = len(masked) - len(first)
        return start, start
    words = m.group().strip()
    start = masked.index(words, m.start())
    return start, start + len(words)


def check(text: str, lang: Lang, *, name: str | None = None, apology_expected: bool = True) -> list[Finding]:
    """Check one reply written in ``lang`` against the guidelines; findings in text order.

    ``name``: the person's name or handle when known (``no_name`` otherwise cannot apply).
    ``apology_expected``: the situation calls for an apology (a complaint, a crisis type that
    asks for one); without it, a missing apology, empathy or next step is not a finding.
    """
    if lang not in LEXICONS:
        raise ValueError(f"no guidelines for language {lang!r}: use one of {', '.join(LANGS)}")
    text = text[:MAX_CHARS]
    lex = LEXICONS[lang]
    masked = mask(text)
    findings: list[Finding] = []

    def add(code: Code, span: Span) -> None:
        findings.append(
            Finding(code, message(code, lang), span[0], span[1], suggestion(code, lang, name=name))
        )

    conditional = _matches(lex.conditional_apology, masked, lex)
    for code, rules in ((Code.BLAME, lex.blame), (Code.EXCUSE, lex.excuse), (Code.HOSTILE, lex.hostile)):
        for span in _matches(rules, masked, lex):
            if not _overlaps(span, conditional):
                add(code, span)
    for span in conditional:
        add(Code.CONDITIONAL_APOLOGY, span)

    whole = trimmed_span(text)
    if apology_expected and whole != (0, 0):
        apologies = _outside_hedged_sentences(_matches(lex.apology, masked, lex), conditional, masked)
        if not apologies and not conditional:
            add(Code.NO_APOLOGY, whole)
        if not apologies and not _matches(lex.empathy, masked, lex):
            add(Code.NO_EMPATHY, whole)
        offers = _matches(lex.generic_offer, masked, lex)
        steps = [s for s in _matches(lex.next_step, masked, lex) if not _overlaps(s, offers)]
        if not steps and not _asks(masked):
            add(Code.NO_NEXT_STEP, whole)

    promises = _matches(lex.commitment, masked, lex)
    if promises and not _matches(lex.timeline, masked, lex):
        add(Code.NO_TIMELINE, promises[0])

    if name and name.strip() and not _mentions(mask_quotes(text), name, lex):
        add(Code.NO_NAME, _greeting(masked, lex))
    return sorted(findings, key=lambda f: (f.start, f.end, f.code.value))


def detect_lang(text: str, *, default: Lang = "en") -> Lang:
    """German or English, by the analysis' language detection; ``default`` for anything else."""
    from crisisdesk.analysis.language import detect

    guess = detect(text, preferred=LANGS).lang
    return "de" if guess == "de" else "en" if guess == "en" else default


def check_reply(
    text: str, lang: str | None = None, *, name: str | None = None, apology_expected: bool = True
) -> Check:
    """Like :func:`check`, the language detected when not given (German or English)."""
    chosen: Lang
    if lang is None:
        chosen = detect_lang(text)
    elif lang in LEXICONS:
        chosen = "de" if lang == "de" else "en"
    else:
        raise ValueError(f"no guidelines for language {lang!r}: use one of {', '.join(LANGS)}")
    return Check(chosen, check(text, chosen, name=name, apology_expected=apology_expected))
