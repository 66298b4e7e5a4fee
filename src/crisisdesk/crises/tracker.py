"""Keeping crises up to date from the situation events, in the same transaction as the events.

The runner hands every batch's situation events here before it commits (:meth:`CrisisTracker.track`),
so a crisis never misses a situation that was stored, and its own events (``crisis.opened``,
``crisis.updated``, ``crisis.resolved``) leave with the situation events after the commit: to the
events topic (``replay --events-out``), live pages and notifications.

A situation joins the crisis it is tied to (:mod:`crisisdesk.crises.grouping`); one tied to none
opens a crisis of its own once it, or the danger of its posts (a fire, people hurt: the crisis
rating of :meth:`CrisisTracker._assess`), reaches :attr:`CrisisTracker.open_at` — one raised by a
single post (a high-risk phrase, an influencer: :data:`INSTANT`) only for the danger; a lesser one waits
alone (it may join later, when a crisis it belongs to opens or it grows). Internal alert holders
(monitors whose name has a ``:``, such as channel health and SLA breaches) are not public events
and never make crises.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from crisisdesk.bus.base import Message
from crisisdesk.crises.danger import (
    HARM,
    HARM_POSTS,
    PRESS_KINDS,
    PRESS_PLATFORMS,
    Facts,
    rate,
    single_harm_report,
)
from crisisdesk.crises.default_types import DEFAULT_TYPES
from crisisdesk.crises.grouping import LONG_GAP, CrisisFacts, SituationFacts, decide, explain
from crisisdesk.crises.models import Crisis, CrisisSituation
from crisisdesk.crises.playbook import bound, suggest, sync_tasks, type_of
from crisisdesk.crises.types import CrisisTypeConfig
from crisisdesk.detection.config import DEFAULT_HIGH_RISK
from crisisdesk.detection.engine import INFLUENCER, KEYWORD
from crisisdesk.detection.models import Situation
from crisisdesk.detection.summary import display_term
from crisisdesk.posts.models import Post
from crisisdesk.sources.matcher import MatchDoc, MonitorSet
from crisisdesk.sources.models import Monitor, MonitorMatch

#: The posts a situation is about: its monitor's matches from this long before it opened.
LEAD = timedelta(minutes=60)
#: At most this many of them (the newest) take part in the comparison.
MAX_POSTS = 2000
#: How many posts' "carries a phrase" are remembered per set of phrases before starting afresh.
CARRY_CACHE = 200_000
#: The situation events that change crises (an acknowledgement or an escalation step does not).
GROUPED = frozenset({"alert.opened", "alert.updated", "alert.resolved"})
#: The newest posts whose texts suggest the crisis's type.
SUGGEST_POSTS = 500
#: Situations raised by one post (a high-risk phrase, an influencer): alone they open a crisis only
#: when what the posts are about is dangerous. One background tweet saying "police" or "lawyer" is
#: a situation to look at, not a crisis; measured, such single posts made four in five of the false
#: crises on the labelled streams (docs/crises.md).
INSTANT = frozenset({KEYWORD, INFLUENCER})


@dataclass
class Assessment:
    level: int
    reasons: list[dict[str, str]]
    type: str | None
    type_reason: dict[str, str] | None
    #: Whether what the posts are about (people hurt, a dangerous type) raised the level, not
    #: only how loud or widespread they are: only that opens a crisis for a quiet situation.
    danger: bool = False


class CrisisTracker:
    def __init__(self, *, open_at: int = 2, lang: str = "en",
                 types: Sequence[CrisisTypeConfig] = DEFAULT_TYPES,
                 risk_terms: Sequence[str] = DEFAULT_HIGH_RISK) -> None:
        self.open_at = open_at
        self.lang = lang
        self.types = types
        self.risk = RiskWords(risk_terms)
        self._risk_sets: dict[tuple[str, ...], MonitorSet] = {}
        #: Per set of phrases, whether each post read so far carries one: a post's text does not
        #: change, and the candidates' facts are read afresh for every event (see :meth:`_carrying`).
        self._carries: dict[tuple[str, ...], dict[int, bool]] = {}
        self._monitor_names: dict[int, str] = {}
        self._facts: dict[int, SituationFacts] = {}

    def track(self, conn: Connection, events: Sequence[Message]) -> list[Message]:
        """Group the situations of ``events``; returns the crisis events to publish with them."""
        out: list[Message] = []
        relevant = [e for e in events if e.get("event") in GROUPED and ":" not in str(e.get("monitor", ":"))]
        if not relevant:
            return out
        with Session(bind=conn) as session:
            for e in relevant:
                event = self._one(session, e)
                if event is not None:
                    out.append(event)
            session.flush()
        return out

    def _one(self, session: Session, e: Message) -> Message | None:
        sid = int(e["situation"])
        at = datetime.fromisoformat(str(e["at"]))
        situation = session.get(Situation, sid)
        if situation is None:
            return None
        link = session.get(CrisisSituation, sid)
        if e["event"] == "alert.resolved":
            self._facts.pop(sid, None)
            if link is None:
                return None
            return self._maybe_resolved(session, session.get_one(Crisis, link.crisis_id), at)
        facts = self._situation_facts(session, situation, e, at)
        if link is not None:  # already in a crisis: it may be worse now, or back
            crisis = session.get_one(Crisis, link.crisis_id)
            return self._touch(session, crisis, situation.severity, at)
        join = decide(facts, self._candidates(session, at))
        if join is not None:
            crisis = session.get_one(Crisis, join.crisis)
            session.add(CrisisSituation(situation_id=sid, crisis_id=crisis.id, joined_at=at,
                                        reason={**join.reason, "text": explain(join.reason, crisis.id,
                                                                               self.lang)}))
            if facts.monitor not in crisis.monitors:
                crisis.monitors = [*crisis.monitors, facts.monitor]
            return self._touch(session, crisis, situation.severity, at, joined=sid, force=True)
        if situation.severity < self.open_at or situation.cause in INSTANT:
            alone = self._assess(session, [situation], confirmed=None)
            if not alone.danger or alone.level < self.open_at:
                return None  # neither loud nor dangerous enough alone: it may join a crisis later
        crisis = Crisis(title=_title(facts, e), status="open", severity=situation.severity, opened_at=at,
                        updated_at=at, monitors=[facts.monitor])
        session.add(crisis)
        session.flush()
        reason = {"kind": "opened", "severity": situation.severity}
        session.add(CrisisSituation(situation_id=sid, crisis_id=crisis.id, joined_at=at,
                                    reason={**reason, "text": explain(reason, crisis.id, self.lang)}))
        session.flush()
        self.rate_crisis(session, crisis)
        return self._event(session, crisis, "crisis.opened", at)

    def rate_crisis(self, session: Session, crisis: Crisis) -> None:
        """The crisis's severity from the danger (:mod:`crisisdesk.crises.danger`) and its type's
        bounds, with reasons; the type suggested from its posts while nobody has confirmed one."""
        confirmed = crisis.type if crisis.type_confirmed_by is not None else None
        found = self._assess(session, self._situations_of(session, crisis.id), confirmed=confirmed,
                             current=crisis.type)
        if confirmed is None and found.type is not None:  # a suggestion stays until a better one fits
            crisis.type, crisis.type_reason = found.type, found.type_reason
        crisis.severity, crisis.reasons = found.level, found.reasons
        ct = type_of(self.types, crisis.type)
        if ct is not None and confirmed is not None:
            sync_tasks(session, crisis, ct, at=max(crisis.updated_at, crisis.opened_at))

    def _assess(self, session: Session, situations: Sequence[Situation], *,
                confirmed: str | None, current: str | None = None) -> Assessment:
        """Rate situations as one crisis: the danger of their posts, bounded by the type (the one
        a person confirmed, else the one their posts suggest)."""
        ids: set[int] = set()
        terms: set[str] = set()
        for s in situations:
            sf = self._situation_facts(session, s, None, s.updated_at)
            ids |= sf.posts
            terms |= sf.terms
        facts = Facts(loudest=max((s.severity for s in situations), default=1), posts=len(ids),
                      risk_terms=any(s.cause == KEYWORD for s in situations))
        platforms: set[str] = set()
        texts: list[tuple[str, list[str]]] = []
        chunk = sorted(ids, reverse=True)
        for i in range(0, len(chunk), 900):  # SQLite's bound on parameters
            part = chunk[i:i + 900]
            rows = session.execute(
                select(Post.platform, Post.kind, Post.complaint_types, Post.text).where(Post.id.in_(part)))
            for platform, kind, types, text in rows:
                platforms.add(platform)
                facts.press += platform in PRESS_PLATFORMS or kind in PRESS_KINDS
                kinds = json.loads(types) if types else []
                facts.types.update(kinds)
                if len(texts) < SUGGEST_POSTS:
                    texts.append((text or "", kinds))
        facts.platforms = frozenset(platforms)
        rating = rate(facts)
        harm = sum(facts.types[t] for t in HARM) >= HARM_POSTS or single_harm_report(facts)
        out = Assessment(rating.level, list(rating.reasons), confirmed, None, danger=harm)
        if confirmed is None and self.types:
            found = suggest(self.types, texts, sorted(terms))
            out.type, out.type_reason = (found.type, found.reason) if found else (current, None)
        ct = type_of(self.types, out.type)
        if ct is not None:
            out.level, why = bound(ct, out.level, confirmed=confirmed is not None)
            if why is not None:
                out.reasons.append(why)
                out.danger = out.danger or ct.min_severity > 1
        return out

    def _touch(self, session: Session, crisis: Crisis, severity: int, at: datetime, *,
               joined: int | None = None, force: bool = False) -> Message | None:
        changed = force
        if crisis.status != "open":
            crisis.status, crisis.resolved_at, changed = "open", None, True
        session.flush()
        before = (crisis.severity, crisis.reasons)
        self.rate_crisis(session, crisis)
        changed = changed or (crisis.severity, crisis.reasons) != before
        crisis.updated_at = max(crisis.updated_at, at)
        if not changed:
            return None
        session.flush()
        event = self._event(session, crisis, "crisis.updated", at)
        if joined is not None:
            event["joined"] = joined
        return event

    def _maybe_resolved(self, session: Session, crisis: Crisis, at: datetime) -> Message | None:
        session.flush()
        still = session.scalar(
            select(Situation.id).join(CrisisSituation, CrisisSituation.situation_id == Situation.id)
            .where(CrisisSituation.crisis_id == crisis.id, Situation.status != "resolved").limit(1))
        if still is not None or crisis.status == "resolved" or taken_in_charge(crisis):
            return None  # a crisis a person took charge of is ended by a person (manual.resolve)
        crisis.status, crisis.resolved_at, crisis.updated_at = "resolved", at, max(crisis.updated_at, at)
        return self._event(session, crisis, "crisis.resolved", at)

    def _candidates(self, session: Session, at: datetime) -> list[CrisisFacts]:
        """Open crises, and those resolved within :data:`LONG_GAP` (an event that flares up again;
        :func:`grouping.decide` says how long each one is a candidate)."""
        crises = session.scalars(select(Crisis).where(
            (Crisis.status == "open") | (Crisis.resolved_at >= at - LONG_GAP))).all()
        out = []
        for crisis in crises:
            facts = CrisisFacts(crisis.id, crisis.updated_at, severity=crisis.severity,
                                opened=crisis.opened_at)
            for situation in self._situations_of(session, crisis.id):
                until = at if situation.status != "resolved" else min(at, situation.updated_at)
                facts.add(self._situation_facts(session, situation, None, until, fresh=True))
            facts.last_active = max(facts.last_active, crisis.updated_at)
            out.append(facts)
        return out

    @staticmethod
    def _situations_of(session: Session, crisis_id: int) -> Sequence[Situation]:
        return session.scalars(select(Situation).join(
            CrisisSituation, CrisisSituation.situation_id == Situation.id)
            .where(CrisisSituation.crisis_id == crisis_id).order_by(Situation.id)).all()

    def _situation_facts(self, session: Session, situation: Situation, e: Message | None,
                         at: datetime, *, fresh: bool = False) -> SituationFacts:
        """What the grouping reads of a situation. ``fresh``: as it is now, not as at its last event
        (a crisis's situations keep gathering posts between their events, and a new situation is
        compared with all of them)."""
        known = self._facts.get(situation.id)
        if known is not None and e is None and not fresh:
            return known
        monitor = self._monitor_names.get(situation.monitor_id)
        if monitor is None:
            monitor = session.scalar(select(Monitor.name).where(Monitor.id == situation.monitor_id)) or "?"
            self._monitor_names[situation.monitor_id] = monitor
        posts = frozenset(session.scalars(
            select(MonitorMatch.post_id)
            .where(MonitorMatch.monitor_id == situation.monitor_id,
                   MonitorMatch.post_created_at >= situation.opened_at - LEAD,
                   MonitorMatch.post_created_at <= max(at, situation.updated_at))
            .order_by(MonitorMatch.post_created_at.desc()).limit(MAX_POSTS)))
        stored = _stored(situation)
        if situation.cause == KEYWORD:
            posts = self._carrying(session, posts, _risk_of(stored)) or posts
        terms = set(_terms(e.get("top_terms", []) if e is not None else []))
        terms |= _terms([*stored.get("top_terms", []), *stored.get("terms", [])])
        facts = SituationFacts(situation.id, monitor, situation.cause, situation.severity, at, posts,
                               frozenset(terms), frozenset(t for t in terms if self.risk.holds(t)))
        self._facts[situation.id] = facts
        return facts

    def _carrying(self, session: Session, posts: frozenset[int], patterns: Sequence[str]) -> frozenset[int]:
        """The posts that carry one of a high-risk-term situation's phrases: what it is about. The
        monitor's other chatter of the hour is not (a competitor's monitor catching "glad I chose
        Kinetta #voltarofire" with "recall" is about the Voltaro fire, whatever else it sees).

        Each post is read and matched once per set of phrases: the open crises' situations are
        looked at again for every event, and their posts are mostly the same ones as last time."""
        if not patterns or not posts:
            return frozenset()
        key = tuple(sorted(patterns))
        matcher = self._risk_sets.get(key)
        if matcher is None:
            matcher = self._risk_sets[key] = MonitorSet.compile([(t, t) for t in key])
        known = self._carries.setdefault(key, {})
        if len(known) > CARRY_CACHE:
            known.clear()  # a bound on memory over a long replay; what is needed is read again
        ids = sorted(p for p in posts if p not in known)
        rows: list[tuple[int, str]] = []
        for i in range(0, len(ids), 900):  # SQLite's bound on parameters
            rows.extend((int(pid), text or "") for pid, text in session.execute(
                select(Post.id, Post.text).where(Post.id.in_(ids[i:i + 900]))))
        hits = matcher.match_many([MatchDoc(text) for _, text in rows])
        for (pid, _), hit in zip(rows, hits, strict=True):
            known[pid] = bool(hit)
        return frozenset(p for p in posts if known.get(p, False))

    def _event(self, session: Session, crisis: Crisis, name: str, at: datetime) -> Message:
        return crisis_event(session, crisis, name, at)


def taken_in_charge(crisis: Crisis) -> bool:
    """A person confirmed its type: the team runs it by its playbook (tasks, approvals, crisis mode),
    so it stays open when its situations calm down until a person ends it. Detection's calm says
    the talk has stopped, not that the work is done (the statement, the follow-up, the review).
    A crisis nobody took charge of still ends with its last situation."""
    return crisis.type_confirmed_by is not None


def crisis_event(session: Session, crisis: Crisis, name: str, at: datetime) -> Message:
    """A crisis lifecycle event (``crisis.opened``/``updated``/``resolved``) as it is published."""
    situations = session.scalars(select(CrisisSituation.situation_id)
                                 .where(CrisisSituation.crisis_id == crisis.id)
                                 .order_by(CrisisSituation.situation_id)).all()
    return {"event": name, "crisis": crisis.id, "severity": crisis.severity, "type": crisis.type,
            "title": crisis.title, "situations": list(situations), "monitors": list(crisis.monitors),
            "status": crisis.status, "reasons": list(crisis.reasons or []), "at": at.isoformat()}


def _terms(values: Iterable[object]) -> set[str]:
    """Terms as people read them: ``lawyer*`` and ``lawyer``, ``#Akku`` and ``akku`` are one."""
    out = {display_term(str(v)).lower().strip().lstrip("#@") for v in values}
    return {t for t in out if t}


class RiskWords:
    """The workspace's high-risk phrases, to tell the words that say *what kind* of event (injured,
    police, lawyer) from those that say *which* (a name, a place): see :mod:`crisisdesk.crises.grouping`."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.exact: set[str] = set()
        self.prefixes: list[str] = []
        for p in patterns:
            term = display_term(p).lower().strip()
            if p.strip().endswith("*"):
                self.prefixes.append(term)
            self.exact.add(term)

    def holds(self, term: str) -> bool:
        return term in self.exact or any(term.startswith(p) for p in self.prefixes)


def _stored(situation: Situation) -> dict[str, Any]:
    """A situation's stored explanation (its terms, and a keyword situation's phrases)."""
    try:
        stored = json.loads(situation.explanation or "{}")
    except ValueError:
        return {}
    return stored if isinstance(stored, dict) else {}


def _risk_of(stored: dict[str, Any]) -> list[str]:
    """The high-risk phrases (as queries) that raised a keyword situation."""
    return [str(t) for t in stored.get("terms", []) if str(t).strip()]


def _title(facts: SituationFacts, e: Message) -> str:
    terms = [str(t) for t in e.get("top_terms", [])[:3]]
    return f"{facts.monitor}: {', '.join(terms)}" if terms else facts.monitor
