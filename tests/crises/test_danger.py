"""Severity from the danger, table-driven: what a communications lead would sign."""

from __future__ import annotations

from collections import Counter

import pytest

from crisisdesk.crises.danger import Facts, rate


@pytest.mark.parametrize(
    ("facts", "level", "says"),
    [
        # people hurt at modest volume: at least 3, though detection said 1
        (Facts(loudest=1, posts=12, types=Counter(safety=3)), 3, "People may be hurt: 3 posts"),
        # many posts about harm: 4
        (Facts(loudest=2, posts=300, types=Counter(safety=15, health=6)), 4, "at least level 4"),
        # harm and the press: 4
        (Facts(loudest=2, posts=30, types=Counter(health=2), press=1), 4, "The press reports it"),
        # one safety post proves nothing
        (
            Facts(loudest=1, posts=40, types=Counter(safety=1)),
            1,
            "The loudest of its situations is at level 1",
        ),
        # … but one report of harm that also hit a high-risk term (a first fire report): at least 2
        (
            Facts(loudest=1, posts=5, types=Counter(safety=1), risk_terms=True),
            2,
            "A first report of harm (safety or health) with a high-risk term: at least level 2",
        ),
        # a loud billing wave is not 4
        (
            Facts(loudest=4, posts=900, types=Counter(billing_price=500, delivery_delay=80)),
            3,
            "at most level 3, however loud",
        ),
        # … unless the press reports it
        (Facts(loudest=4, posts=900, types=Counter(billing_price=500), press=2), 4, "The press reports it"),
        # lawyers and data: at least 2
        (Facts(loudest=1, posts=20, types=Counter(legal=3)), 2, "legal action (3)"),
        (Facts(loudest=1, posts=20, types=Counter(data_privacy=4)), 2, "data/privacy (4)"),
        # spread over platforms
        (
            Facts(loudest=1, posts=20, platforms=frozenset({"x", "facebook", "instagram"})),
            2,
            "On 3 platforms",
        ),
    ],
)
def test_severity_from_the_danger(facts: Facts, level: int, says: str) -> None:
    rating = rate(facts)
    assert rating.level == level
    assert any(says in r["en"] for r in rating.reasons), rating.reasons
    assert all(r["de"] and r["en"] for r in rating.reasons)


def test_reasons_in_german() -> None:
    rating = rate(Facts(loudest=1, posts=12, types=Counter(safety=3)))
    assert rating.reasons[-1]["de"] == (
        "Menschen könnten zu Schaden kommen: 3 Beiträge über Sicherheit oder Gesundheit – mindestens Stufe 3."
    )
