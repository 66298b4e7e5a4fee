"""A post that names harm is rarely neutral (issue 11, item 2): linear.decide's harm bar.

Table-driven over the rule the analyzer applies: a post of a harm type (safety, health, legal)
is negative once P(negative) reaches HARM_AT, unless it leans positive; other posts keep the
head's rule.
"""

from __future__ import annotations

import numpy as np
import pytest

from crisisdesk.analysis.complaints import DEFAULT_TAXONOMY, HARM_TYPES
from crisisdesk.analysis.linear import HARM_AT, Head, HeadKind, decide

HEAD = Head("sentiment_de", HeadKind.SOFTMAX, ("negative", "neutral", "positive"), 0, 0.45, 0.15)
NO_RULE = Head("sentiment_de", HeadKind.SOFTMAX, ("negative", "neutral", "positive"), 0)
NEG, NEU, POS = 0, 1, 2


@pytest.mark.parametrize(("head", "p", "has_type", "harm", "expected"), [
    (HEAD, (0.09, 0.88, 0.03), True, True, NEG),      # the burning battery: harm outweighs neutral
    (HEAD, (0.09, 0.88, 0.03), True, False, NEU),     # a delay at the same P stays neutral
    (HEAD, (0.09, 0.88, 0.03), False, False, NEU),
    (HEAD, (0.04, 0.93, 0.03), True, True, NEU),      # below HARM_AT
    (HEAD, (0.13, 0.27, 0.60), True, True, POS),      # "Danke für den schnellen Rückruf!"
    (HEAD, (0.12, 0.76, 0.12), True, True, NEG),      # a tie with positive is not leaning positive
    (HEAD, (0.20, 0.75, 0.05), True, False, NEG),     # complaint_at, as before
    (HEAD, (0.50, 0.40, 0.10), False, False, NEG),    # negative_at, as before
    (NO_RULE, (0.09, 0.88, 0.03), False, True, NEG),  # applies to a head without a rule too
])
def test_harm_bar(head: Head, p: tuple[float, float, float], has_type: bool, harm: bool,
                  expected: int) -> None:
    probabilities = np.array([p], dtype=np.float32)
    chosen = decide(head, probabilities, np.array([has_type]), np.array([harm]))
    assert int(chosen[0]) == expected


def test_without_harm_flags_decide_is_unchanged() -> None:
    probabilities = np.array([[0.09, 0.88, 0.03], [0.5, 0.4, 0.1]], dtype=np.float32)
    assert decide(HEAD, probabilities, np.array([True, False])).tolist() == [NEU, NEG]


def test_harm_types_exist_in_the_default_taxonomy_and_the_bar_is_low() -> None:
    assert {t.name for t in DEFAULT_TAXONOMY} >= HARM_TYPES
    assert 0 < HARM_AT < (HEAD.complaint_at or 1)
