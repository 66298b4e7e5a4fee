"""Which crisis a situation belongs to: a pure decision on what the situations share.

Situations that belong to one event share something a person would point at: the same monitor
(a spike and a high-risk term of one brand), the same posts (a post matched by two monitors
belongs to both of their situations), or the same words (two monitors whose surging terms are
"akku", "brand", "feuer"). Time comes first: only crises active in the last :data:`GAP` are
candidates, so that next month's billing wave on the same monitor is a crisis of its own; a
crisis rated 3 or more stays one for a day (:data:`LONG_GAP`) for a situation of one of its
monitors that shares its words or posts — the morning after a train crash is the same crisis.

What does *not* prove one event, measured on the labelled streams (docs/crises.md):

* the high-risk phrases (injured, police, lawyer, boycott …): every safety event's keyword
  situations carry them, so two train crashes on two brands share them. A term tie needs words
  that are not on that list (a name, a place, a hashtag), and a phrase and its pattern
  (``lawyer`` / ``lawyer*``) or a word and a phrase holding it (``train`` / ``train crash``) count
  once;
* the same monitor long after its own part of the crisis went quiet: a crisis kept alive by
  other monitors would otherwise pull in every later event of that monitor. The monitor tie holds
  while the monitor's own situation in the crisis was active within :data:`GAP`, and not when
  both clearly talk about something else (:data:`OTHER_TOPIC_TERMS` terms each, none shared).

The decision says why, in numbers the page turns into words ("64 % of its posts are also in
crisis #3"); the thresholds are measured on the labelled streams (see docs/crises.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

#: How long a crisis stays a candidate after its last activity …
GAP = timedelta(hours=3)
#: … and how long one rated :data:`LONG_SEVERITY` or more does, for a tie by posts or words.
LONG_GAP = timedelta(hours=24)
LONG_SEVERITY = 3
#: Share of a situation's posts that must also be the crisis's to join by posts …
POST_SHARE = 0.25
#: … and at least this many of them (two shared posts out of five prove little), unless every one
#: of its posts is the crisis's (a first report matched by two monitors raises two small situations).
MIN_SHARED_POSTS = 3
#: Shared distinctive terms (not high-risk phrases) to join by words, and their share of the
#: smaller list of distinctive terms.
MIN_SHARED_TERMS = 2
TERM_SHARE = 0.3
#: Words on both sides, none shared: the same monitor, another topic.
OTHER_TOPIC_TERMS = 3
#: Its own monitor after a lull: shared words (of the distinctive terms, word by word).
MIN_SHARED_WORDS = 3
#: Another monitor joins by words only this long after the crisis opened: an event reaches the
#: other monitors watching it within hours; a day later the same words ("train", "derailment")
#: are more often another event of the same kind. Shared posts tie at any time.
YOUNG = timedelta(hours=6)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SituationFacts:
    """What the grouping reads of one situation."""

    id: int
    monitor: str
    cause: str
    severity: int
    at: datetime
    posts: frozenset[int] = frozenset()
    #: Its terms as people read them (``lawyer``, not ``lawyer*``), lower case.
    terms: frozenset[str] = frozenset()
    #: Those of :attr:`terms` that are high-risk phrases: they say what kind of event, not which.
    risk: frozenset[str] = frozenset()

    @property
    def distinctive(self) -> frozenset[str]:
        return self.terms - self.risk


@dataclass
class CrisisFacts:
    """What the grouping reads of one open (or lately resolved) crisis: the union of its situations."""

    id: int
    last_active: datetime
    monitors: set[str] = field(default_factory=set)
    posts: set[int] = field(default_factory=set)
    #: Its situations' distinctive terms (high-risk phrases left out).
    terms: set[str] = field(default_factory=set)
    severity: int = 1
    #: When each monitor's own situations in it were last active.
    monitor_active: dict[str, datetime] = field(default_factory=dict)
    #: When it opened (None: not known, as young).
    opened: datetime | None = None

    def add(self, s: SituationFacts) -> None:
        self.monitors.add(s.monitor)
        self.posts |= s.posts
        self.terms |= s.distinctive
        self.last_active = max(self.last_active, s.at)
        seen = self.monitor_active.get(s.monitor)
        self.monitor_active[s.monitor] = s.at if seen is None else max(seen, s.at)


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
        join = _tie(s, c)
        if join is not None and (best is None or join.strength > best.strength):
            best = join
    return best


def _tie(s: SituationFacts, c: CrisisFacts) -> Join | None:
    quiet = s.at - c.last_active
    own = s.monitor in c.monitors
    if quiet > LONG_GAP or (quiet > GAP and not (own and c.severity >= LONG_SEVERITY)):
        return None
    if own and s.at - c.monitor_active.get(s.monitor, c.last_active) <= GAP and not _other_topic(s, c):
        return Join(c.id, {"kind": "monitor", "monitor": s.monitor}, 1.0)
    shared = len(s.posts & c.posts)
    if s.posts and (shared >= MIN_SHARED_POSTS or shared == len(s.posts)):
        share = shared / len(s.posts)
        if share >= POST_SHARE:
            return Join(c.id, {"kind": "posts", "share": round(share, 2), "shared": shared,
                               "of": len(s.posts)}, 0.5 + share / 2)
    if own:  # its own monitor after a lull: the same words, counted word by word
        mine, theirs = tokens(s.distinctive), tokens(c.terms)
        common = sorted(mine & theirs)
        share = len(common) / max(1, min(len(mine), len(theirs)))
        if len(common) >= MIN_SHARED_WORDS and share >= TERM_SHARE:
            return Join(c.id, {"kind": "terms", "terms": common[:8], "share": round(share, 2)}, share / 2)
        return None
    if c.opened is not None and s.at - c.opened > YOUNG:
        return None  # another monitor, hours into the crisis, with words alone: another event of its kind
    words = distinct(s.distinctive & c.terms)
    if len(words) >= MIN_SHARED_TERMS:
        share = len(words) / max(1, min(len(distinct(s.distinctive)), len(distinct(c.terms))))
        if share >= TERM_SHARE:
            return Join(c.id, {"kind": "terms", "terms": words[:8], "share": round(share, 2)}, share / 2)
    return None


def _other_topic(s: SituationFacts, c: CrisisFacts) -> bool:
    """Both say clearly what they are about, and it is not the same thing: a brand's monitor catches
    a boycott call in the morning and a train crash in the afternoon."""
    mine, theirs = tokens(s.distinctive), tokens(c.terms)
    return len(mine) >= OTHER_TOPIC_TERMS and len(theirs) >= OTHER_TOPIC_TERMS and not mine & theirs


def tokens(terms: Iterable[str]) -> set[str]:
    """The words of terms (``spain train crash`` → spain, train, crash), three letters or more."""
    return {w for t in terms for w in _WORD.findall(t) if len(w) >= 3}


def distinct(terms: Iterable[str]) -> list[str]:
    """Terms that are separate evidence, sorted: a word that a longer term holds counts once, as
    that term (``train`` in ``train crash``; ``akku`` in ``#akku brand``)."""
    unique = sorted(set(terms), key=lambda t: (-len(t.split()), t))
    kept: list[str] = []
    for term in unique:
        words = term.split()
        if not any(_holds(k.split(), words) for k in kept):
            kept.append(term)
    return sorted(kept)


def _holds(longer: list[str], part: list[str]) -> bool:
    n = len(part)
    return n <= len(longer) and any(longer[i:i + n] == part for i in range(len(longer) - n + 1))


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
