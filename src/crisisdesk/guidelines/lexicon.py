"""The shape of one language's rules, and helpers to write them compactly.

A lexicon is data: regular expressions per guideline, compiled once. The checker
(:mod:`crisisdesk.guidelines.checker`) is the same for every language; adding a language means
adding a lexicon module and an entry in :data:`crisisdesk.guidelines.checker.LEXICONS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FLAGS = re.IGNORECASE | re.UNICODE


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern. ``negatable``: a negation in the clause just before it, or inside the match,
    cancels it ("das ist nicht Ihre Schuld", "you did nothing wrong")."""

    pattern: re.Pattern[str]
    negatable: bool = False


def rules(*patterns: str, negatable: bool = False) -> tuple[Rule, ...]:
    return tuple(Rule(re.compile(p, FLAGS), negatable) for p in patterns)


def alt(*words: str) -> str:
    """A non-capturing alternation of ``words`` (regex fragments)."""
    return "(?:" + "|".join(words) + ")"


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Everything the checker needs to know about one language.

    Present codes (the words are the problem): ``blame``, ``excuse``, ``conditional_apology``,
    ``hostile``. Missing codes are decided from what is there: ``apology`` and ``empathy``
    phrases, ``next_step`` phrases (minus ``generic_offer``: "let us know if you need anything"
    is not a step; any question counts as one), ``commitment`` (we promise to
    do something) and ``timeline`` (when). ``negation`` is what cancels a negatable rule;
    ``greeting`` finds where the name belongs; ``titles`` are not names ("Frau", "Mr").
    """

    blame: tuple[Rule, ...]
    excuse: tuple[Rule, ...]
    conditional_apology: tuple[Rule, ...]
    hostile: tuple[Rule, ...]
    apology: tuple[Rule, ...]
    empathy: tuple[Rule, ...]
    next_step: tuple[Rule, ...]
    generic_offer: tuple[Rule, ...]
    commitment: tuple[Rule, ...]
    timeline: tuple[Rule, ...]
    negation: re.Pattern[str]
    greeting: re.Pattern[str]
    titles: frozenset[str]
