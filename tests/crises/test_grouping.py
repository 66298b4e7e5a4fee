"""The grouping decision, table-driven: what ties a situation to a crisis, and what does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crisisdesk.crises.grouping import CrisisFacts, SituationFacts, decide, distinct, explain

T = datetime(2026, 11, 3, 14, tzinfo=UTC)


def situation(
    monitor: str = "service",
    posts: range | set[int] = range(0),
    terms: tuple[str, ...] = (),
    at: datetime = T,
    risk: tuple[str, ...] = (),
) -> SituationFacts:
    return SituationFacts(99, monitor, "spike", 2, at, frozenset(posts), frozenset(terms) | frozenset(risk),
                          frozenset(risk))


def crisis(
    cid: int = 3,
    monitors: tuple[str, ...] = ("brand",),
    posts: range | set[int] = range(100),
    terms: tuple[str, ...] = ("akku", "brand", "feuer"),
    last: datetime = T,
    severity: int = 2,
    active: dict[str, datetime] | None = None,
    opened: datetime | None = None,
) -> CrisisFacts:
    return CrisisFacts(cid, last, set(monitors), set(posts), set(terms), severity, dict(active or {}), opened)


H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("s", "crises", "joins", "kind"),
    [
        # the same monitor, a different cause (a spike and a high-risk term of one brand)
        (situation("brand"), [crisis()], 3, "monitor"),
        # 64 of its 100 posts are the crisis's: another monitor watching the same event
        (situation(posts=range(36, 136)), [crisis()], 3, "posts"),
        # two shared posts out of three prove little; no shared words either
        (situation(posts=range(98, 101)), [crisis()], None, None),
        # … but a situation raised by posts that are all the crisis's (one first report, matched
        # by two monitors) belongs to it
        (situation(posts={42}), [crisis()], 3, "posts"),
        (situation(posts={41, 42}), [crisis()], 3, "posts"),
        # a small share of a large situation: a brand that is talked about anyway
        (situation(posts=range(90, 190)), [crisis()], None, None),
        # the same words on another monitor
        (situation(terms=("akku", "feuer", "explodiert")), [crisis()], 3, "terms"),
        # one shared word is not an event
        (situation(terms=("akku", "rechnung", "preis")), [crisis()], None, None),
        # tied, but the crisis has been quiet for more than three hours
        (situation("brand", at=T + timedelta(hours=4)), [crisis()], None, None),
        # the stronger tie wins: posts over words
        (
            situation(posts=range(0, 50), terms=("akku", "feuer")),
            [crisis(4, posts=range(1000, 1100)), crisis(5, monitors=("x",), posts=range(0, 60))],
            5,
            "posts",
        ),
        # nothing open: nothing to join
        (situation("brand"), [], None, None),
        # high-risk phrases say what kind of event, not which: two train crashes on two brands
        # share "injured" and "police" (and "train" inside "train crash" is the same word)
        (
            situation("nytrain", terms=("train", "train crash", "metro north"), risk=("injured", "police")),
            [crisis(terms=("train", "train crash", "santiago", "spain"))],
            None,
            None,
        ),
        # … but a name, a place beside them is one event
        (
            situation("clutha", terms=("clutha", "glasgow", "pub"), risk=("police",)),
            [crisis(terms=("clutha", "glasgow", "helicopter"))],
            3,
            "terms",
        ),
        # the same monitor, but its own part of the crisis went quiet 5 h ago (other monitors kept the
        # crisis alive): a new event of that monitor is not pulled in …
        (
            situation("brand", terms=("rechnung", "preis")),
            [crisis(monitors=("brand", "other"), active={"brand": T - 5 * H, "other": T - H}, last=T - H)],
            None,
            None,
        ),
        # … unless it shares the words
        (
            situation("brand", terms=("akku brand", "feuer", "rückruf")),
            [crisis(monitors=("brand", "other"), active={"brand": T - 5 * H, "other": T - H}, last=T - H)],
            3,
            "terms",
        ),
        # the morning after: a crisis rated 3 is still a candidate 10 h later for the same words …
        (situation("brand", terms=("akku brand", "feuer"), at=T + 10 * H), [crisis(severity=3)], 3, "terms"),
        # … not by the monitor alone …
        (situation("brand", at=T + 10 * H), [crisis(severity=3)], None, None),
        # … a lesser crisis is not, and nothing is after a day
        (situation("brand", terms=("akku brand", "feuer"), at=T + 10 * H), [crisis()], None, None),
        # another monitor with the same words hours after the crisis opened: another event of its kind
        (
            situation(terms=("akku", "feuer", "explodiert")),
            [crisis(last=T - H, opened=T - 8 * H)],
            None,
            None,
        ),
        # … while shared posts still tie it
        (situation(posts=range(36, 136)), [crisis(last=T - H, opened=T - 8 * H)], 3, "posts"),
        # the same monitor, still active, but clearly about something else: a boycott call in the
        # morning, a train crash in the afternoon
        (
            situation("brand", terms=("spain train crash", "santiago")),
            [crisis(terms=("boycottsofitel", "no to discrimination", "happy monday"))],
            None,
            None,
        ),
        (situation("brand", terms=("akku", "feuer"), at=T + 25 * H), [crisis(severity=4)], None, None),
    ],
)
def test_what_ties_a_situation_to_a_crisis(
    s: SituationFacts, crises: list[CrisisFacts], joins: int | None, kind: str | None
) -> None:
    decision = decide(s, crises)
    assert (decision.crisis if decision else None) == joins
    assert (decision.reason["kind"] if decision else None) == kind


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "64 % of its posts are also in crisis #3"),
        ("de", "64 % seiner Beiträge gehören auch zu Krise #3"),
    ],
)
def test_the_reason_in_words(lang: str, said: str) -> None:
    decision = decide(situation(posts=range(36, 136)), [crisis()])
    assert decision is not None and explain(decision.reason, 3, lang) == said


@pytest.mark.parametrize(
    ("terms", "kept"),
    [
        (["train", "train crash", "crash"], ["train crash"]),
        (["santiago", "santiago de compostela", "tren"], ["santiago de compostela", "tren"]),
        (["akku", "brand", "feuer"], ["akku", "brand", "feuer"]),
        # words inside another word are other words
        (["police", "policescotland"], ["police", "policescotland"]),
        ([], []),
    ],
)
def test_a_word_inside_a_shared_phrase_counts_once(terms: list[str], kept: list[str]) -> None:
    assert distinct(terms) == kept
