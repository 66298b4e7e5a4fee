"""Which crisis a situation belongs to: a pure decision on what the situations share.

Situations that belong to one event share something a person would point at: the same monitor
(a spike and a high-risk term of one brand), the same posts (a post matched by two monitors
belongs to both of their situations), or the same words (two monitors whose surging terms are
"akku", "brand", "feuer"). Time comes first: only crises active in the last :data:`GAP` are
candidates, so that next month's billing wave on the same monitor is a crisis of its own.

The decision says why, in numbers the page turns into words ("64 % of its posts are also in
crisis #3"); the thresholds are measured on the labelled streams (see docs/crises.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

#: How long a crisis stays a candidate after its last activity.
GAP = timedelta(hours=3)
#: Share of a situation's posts that must also be the crisis's to join by posts …
POST_SHARE = 0.25
#: … and at least this many of them (two shared posts out of five prove little), unless every one
#: of its posts is the crisis's (a first report matched by two monitors raises two small situations).
MIN_SHARED_POSTS = 3
#: Shared terms to join by words (and their share of the smaller term list).
MIN_SHARED_TERMS = 2
TERM_SHARE = 0.3


@dataclass(frozen=True)
class SituationFacts:
    """What the grouping reads of one situation."""

    id: int
    monitor: str
    cause: str
    severity: int
    at: datetime
    posts: frozenset[int] = frozenset()
    terms: frozenset[str] = frozenset()


@dataclass
class CrisisFacts:
    """What the grouping reads of one open (or lately resolved) crisis: the union of its situations."""

    id: int
    last_active: datetime
    monitors: set[str] = field(default_factory=set)
    posts: set[int] = field(default_factory=set)
    terms: set[str] = field(default_factory=set)

    def add(self, s: SituationFacts) -> None:
        self.monitors.add(s.monitor)
        self.posts |= s.posts
        self.terms |= s.terms
        self.last_active = max(self.last_active, s.at)


@dataclass(frozen=True)
class Join:
    crisis: int
    #: ``{"kind": "monitor"|"posts"|"terms", ...}`` with the numbers behind it.
    reason: dict[str, Any]
    #: How strong the tie is (0–1), to choose between candidates.
    strength: float


def decide(s: SituationFacts, crises: Sequence[CrisisFacts]) -> Join | None:
    """The crisis ``s`` joins, with why; None: it belongs to none of them."""
    best: Join | None = None
    for c in crises:
        if s.at - c.last_active > GAP:
            continue
        join = _tie(s, c)
        if join is not None and (best is None or join.strength > best.strength):
            best = join
    return best


def _tie(s: SituationFacts, c: CrisisFacts) -> Join | None:
    if s.monitor in c.monitors:
        return Join(c.id, {"kind": "monitor", "monitor": s.monitor}, 1.0)
    shared = len(s.posts & c.posts)
    if s.posts and (shared >= MIN_SHARED_POSTS or shared == len(s.posts)):
        share = shared / len(s.posts)
        if share >= POST_SHARE:
            return Join(c.id, {"kind": "posts", "share": round(share, 2), "shared": shared,
                               "of": len(s.posts)}, 0.5 + share / 2)
    words = sorted(s.terms & c.terms)
    if len(words) >= MIN_SHARED_TERMS:
        share = len(words) / max(1, min(len(s.terms), len(c.terms)))
        if share >= TERM_SHARE:
            return Join(c.id, {"kind": "terms", "terms": words[:8], "share": round(share, 2)}, share / 2)
    return None


def explain(reason: dict[str, Any], crisis: int, lang: str) -> str:
    """A reason in words, as the crisis page and the events say it."""
    kind = reason.get("kind")
    de = lang == "de"
    if kind == "monitor":
        m = reason.get("monitor")
        return (f"gleicher Monitor wie Krise #{crisis}: {m}" if de
                else f"same monitor as crisis #{crisis}: {m}")
    if kind == "posts":
        pct = round(float(reason.get("share", 0)) * 100)
        return (f"{pct} % seiner Beiträge gehören auch zu Krise #{crisis}" if de
                else f"{pct} % of its posts are also in crisis #{crisis}")
    if kind == "terms":
        words = ", ".join(str(t) for t in reason.get("terms", []))
        return (f"dieselben Begriffe wie Krise #{crisis}: {words}" if de
                else f"the same terms as crisis #{crisis}: {words}")
    if kind == "opened":
        level = reason.get("severity")
        return (f"eröffnet: erste Lage der Stufe {level}, zu keiner offenen Krise passend" if de
                else f"opened: first situation of severity {level}, related to no open crisis")
    if kind == "manual":
        by = reason.get("by")
        return f"von {by} zugeordnet" if de else f"moved here by {by}"
    return str(kind)
