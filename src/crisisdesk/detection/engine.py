"""The detection engine: rollups, detectors and situations, driven by the stored posts' times.

The runner hands it each batch of stored posts inside the batch's transaction. It adds them to
the rollups and to the monitors' bounded state, and each time the stream crosses a minute it
evaluates the monitors that moved (and those with an open situation): spikes open or grow a
situation, calm closes it after ``resolve_minutes``. Each time it crosses an hour, every
monitor's sustained-rise CUSUM (:mod:`.cusum`) adds the hours that completed; one that fires
opens or grows the same spike situation, with a reason that says it was a sustained rise.
High-risk terms and influencers alert at the post that shows them. What happens is written to
``situations``/``situation_events`` in the same transaction and returned as events that the
runner publishes after the commit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from crisisdesk.bus.base import Message
from crisisdesk.detection import cusum, rollups
from crisisdesk.detection.config import DetectionConfig, PlaybookConfig
from crisisdesk.detection.cusum import Sustained
from crisisdesk.detection.detectors import (
    Reading,
    expected_per_hour,
    is_calm,
    negativity_reading,
    volume_readings,
)
from crisisdesk.detection.explain import explain
from crisisdesk.detection.models import Situation, SituationEvent
from crisisdesk.detection.severity import Rating, Signals, rate
from crisisdesk.detection.state import Counts, MonitorState
from crisisdesk.detection.summary import display_term, summarize
from crisisdesk.detection.terms import merge
from crisisdesk.pipeline.events import NormalizedPost, PostKey, StoredPost
from crisisdesk.sources.matcher import MonitorSet

_situations: Table = Situation.__table__  # type: ignore[assignment]
_events: Table = SituationEvent.__table__  # type: ignore[assignment]

SPIKE, KEYWORD, INFLUENCER = "spike", "keyword", "influencer"
#: The match stage matches high-risk phrases together with the monitors, under names with this
#: prefix (a monitor name cannot contain ":"); the store and the events ignore such names.
RISK_PREFIX = "risk:"
WINDOW = 60  # minutes: the window severity and explanations look at
BASELINE = timedelta(hours=24)
#: A situation is updated (a new event) when its window volume has grown this much since the last.
GROWTH = 2.0
#: A sustained rise is explained over the hours that built it, at most this many.
SUSTAINED_EXPLAINED = timedelta(hours=12)


def minute_of(at: datetime) -> int:
    return int(at.timestamp()) // 60


def time_of(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


@dataclass
class Tracked:
    """A situation the engine follows: open, or resolved recently enough to reopen."""

    id: int
    monitor_id: int
    cause: str
    severity: int
    status: str  # open | resolved
    last_active: int
    event_volume: int
    resolved_minute: int | None = None
    terms: list[str] = field(default_factory=list)


class DetectionEngine:
    """Per-monitor state and situations of one workspace."""

    def __init__(self, *, config: DetectionConfig, playbook: PlaybookConfig,
                 monitor_ids: Mapping[str, int], risk_in_match_stage: bool = False) -> None:
        """``risk_in_match_stage``: the pipeline's match stage also matches the high-risk phrases
        (as monitors named ``RISK_PREFIX + phrase``), so the engine need not match them again."""
        self.risk_in_match_stage = risk_in_match_stage
        self._own = frozenset(h.lstrip("@").lower() for h in config.own_accounts)
        self._negatives: dict[int, tuple[int, tuple[int, int]]] = {}  # monitor -> (hour, baseline)
        self.config = config
        self.playbook = playbook
        self.monitor_ids = dict(monitor_ids)
        self.names = {mid: name for name, mid in monitor_ids.items()}
        self.states: dict[int, MonitorState] = {mid: MonitorState() for mid in self.names}
        self.tracked: dict[tuple[int, str], Tracked] = {}
        self.minute: int | None = None
        self.dirty: set[int] = set()
        #: The hour up to which every monitor's CUSUM has been moved, and the alarms not yet acted on.
        self._cusum_hour = -1
        self._sustained: dict[int, Sustained] = {}
        #: Used only for posts whose match stage did not look for the high-risk phrases.
        self.high_risk = MonitorSet.compile([(RISK_PREFIX + t, t) for t in config.high_risk_terms])

    # -- loading ------------------------------------------------------------------------------
    def load(self, conn: Connection, now: datetime) -> None:
        """Rebuild state from the rollups and follow the open (and recently resolved) situations."""
        self.states.update(rollups.load_states(conn, self.names, now, self.config))
        self._cusum_hour = minute_of(now) // 60
        self.follow_situations(conn, now)

    def follow_situations(self, conn: Connection, now: datetime) -> None:
        """Follow the open (and recently resolved) situations as stored: at a start, and in the
        distributed mode when a person changed one on another process (the stored row wins)."""
        self.tracked.clear()
        reopen_since = now - timedelta(minutes=self.config.reopen_minutes)
        rows = conn.execute(select(_situations).where(
            _situations.c.monitor_id.in_(list(self.names)),
            (_situations.c.status != "resolved") | (_situations.c.resolved_at >= reopen_since),
        ).order_by(_situations.c.id)).mappings().all()
        for row in rows:
            resolved = row["resolved_at"]
            self.tracked[(row["monitor_id"], row["cause"])] = Tracked(
                row["id"], row["monitor_id"], row["cause"], row["severity"],
                "resolved" if row["status"] == "resolved" else "open",
                minute_of(row["updated_at"]), 0, minute_of(resolved) if resolved else None,
                list(json.loads(row["explanation"] or "{}").get("terms", [])),
            )
        if rows:
            self.minute = max(self.minute or 0, minute_of(now))

    # -- feeding ------------------------------------------------------------------------------
    def process(self, conn: Connection, stored: Sequence[StoredPost],
                new_authors: set[PostKey] | frozenset[PostKey] = frozenset()) -> list[Message]:
        """A committed-to-be batch: rollups, state, instant alerts and minute evaluations."""
        posts = [s.post for s in stored if s.action == "created" and s.post.monitors]
        if not posts:
            return []
        rollups.write(conn, rollups.accumulate(posts, self.monitor_ids, set(new_authors)))
        posts.sort(key=lambda p: p.created_at)
        events: list[Message] = []
        # Posts are added to the state per monitor and minute (one ring update per group, not
        # per post); a post that may alert at once is added before its alert reads the state.
        pending: dict[int, Counts] = {}
        group = -1

        def flush() -> None:
            for mid, counts in pending.items():
                self.states[mid].add(group, counts)
            pending.clear()

        for post in posts:
            terms = [n[len(RISK_PREFIX):] for n in post.monitors if n.startswith(RISK_PREFIX)]
            if not terms and self.high_risk.names and not self.risk_in_match_stage:
                terms = [n[len(RISK_PREFIX):] for n in self.high_risk.match(post)]
            m = minute_of(post.created_at)
            if m != group:
                flush()
                group = m
            if self.minute is None:
                self.minute = m
                self._move_cusums(m)
            elif m > self.minute:
                events.extend(self._advance(conn, m))
            counts = self._counts(post, terms)
            mids = [mid for name in post.monitors if (mid := self.monitor_ids.get(name)) is not None]
            platform = post.platform
            for mid in mids:  # Counts.add, unrolled: this loop runs for every post of an import
                total = pending.get(mid)
                if total is None:
                    pending[mid] = total = Counts()
                total.volume += 1
                total.negative += counts.negative
                total.insult += counts.insult
                total.reach += counts.reach
                total.negative_reach += counts.negative_reach
                total.press += counts.press
                total.influencers += counts.influencers
                total.platforms[platform] = total.platforms.get(platform, 0) + 1
                for term in terms:
                    total.high_risk[term] = total.high_risk.get(term, 0) + 1
            self.dirty.update(mids)
            if not (terms or counts.influencers):
                continue
            flush()
            for mid in mids:
                seen = self._window(mid, m + 1).high_risk
                if terms and max(seen.get(t, 0) for t in terms) >= self.config.high_risk_min_posts:
                    events.extend(self._instant(conn, mid, KEYWORD, m, post.created_at, terms))
                if counts.influencers:
                    events.extend(self._instant(conn, mid, INFLUENCER, m, post.created_at, []))
        flush()
        return events

    def tick(self, conn: Connection, now: datetime) -> list[Message]:
        """Time passed without posts (a live service calls this every few seconds)."""
        m = minute_of(now)
        if self.minute is None or m <= self.minute:
            return []
        return self._advance(conn, m)

    def _counts(self, post: NormalizedPost, terms: list[str]) -> Counts:
        negative = rollups.sentiment_of(post) == "negative"
        reach = rollups.followers(post)
        author = post.author
        influential = negative and author is not None and (
            (author.followers or 0) >= self.config.influencer_followers
            or (self.config.influencer_verified and bool(author.verified))
        ) and (author.handle or "").lstrip("@").lower() not in self._own
        # platforms and high_risk stay empty here: process() adds them per monitor directly.
        return Counts(volume=1, negative=int(negative), insult=int(rollups.is_insult(post)), reach=reach,
                      negative_reach=reach if negative else 0,
                      press=int(post.platform in rollups.PRESS_PLATFORMS), influencers=int(influential))

    def _window(self, mid: int, end: int) -> Counts:
        return self.states[mid].window(end, WINDOW)

    # -- evaluation ---------------------------------------------------------------------------
    def _advance(self, conn: Connection, m: int) -> list[Message]:
        """The stream reached minute ``m``: evaluate what moved and what is open."""
        self.minute = m
        self._move_cusums(m)
        due = self.dirty | {t.monitor_id for t in self.tracked.values() if t.status == "open"}
        due |= self._sustained.keys()
        self.dirty = set()
        events: list[Message] = []
        for mid in sorted(due):
            state = self.states[mid]
            state.prune(m)
            events.extend(self._evaluate(conn, mid, state, m))
        return events

    def _move_cusums(self, m: int) -> None:
        """At an hour boundary, add the completed hours to every monitor's CUSUM — every
        monitor's, quiet ones too, and before any post of the new hour enters a ring, so the
        running value is the one a restart rebuilds from the rollups."""
        hour = m // 60
        if hour <= self._cusum_hour or not self.config.cusum.enabled:
            return
        self._cusum_hour = hour
        for mid, state in self.states.items():
            alarm = cusum.advance(state, hour, self.config)
            if alarm is not None:
                self._sustained[mid] = alarm

    def _per_hour(self, mid: int, state: MonitorState, m: int) -> float:
        """Posts expected in the hour before ``m`` (the detectors cache it on the state)."""
        return expected_per_hour(state, m, self.config.method)

    def _negative_baseline(self, mid: int, state: MonitorState, m: int) -> tuple[int, int]:
        hour = (m - WINDOW) // 60
        cached = self._negatives.get(mid)
        if cached is None or cached[0] != hour:
            cached = (hour, state.negative_baseline(hour))
            self._negatives[mid] = cached
        return cached[1]

    def _readings(self, mid: int, state: MonitorState, m: int,
                  window: Counts) -> list[Reading]:
        return volume_readings(state, m, self.config, per_hour=self._per_hour(mid, state, m),
                               window60=window)

    def _evaluate(self, conn: Connection, mid: int, state: MonitorState, m: int) -> list[Message]:
        events: list[Message] = []
        window = state.window(m, WINDOW, detail=False)
        tracked = self.tracked.get((mid, SPIKE))
        sustained = self._sustained.pop(mid, None)
        open_causes = [c for c in (SPIKE, KEYWORD, INFLUENCER)
                       if (t := self.tracked.get((mid, c))) is not None and t.status == "open"]
        if (not open_causes and sustained is None and window.volume < self.config.min_posts
                and window.negative < self.config.min_negative):
            return events  # too little to judge and nothing to resolve: the common case
        readings = self._readings(mid, state, m, window)
        negativity = negativity_reading(state, m, window, self.config,
                                        baseline=self._negative_baseline(mid, state, m))
        spike = [r for r in readings if r.spike]
        if spike or negativity.spike or sustained is not None:
            notes: list[dict[str, Any]] = []
            if spike:
                r = max(spike, key=lambda x: x.z)
                notes.append({"kind": "volume", "posts": int(r.observed), "minutes": int(r.window),
                              "ratio": float(r.ratio), "expected": float(r.expected), "z": float(r.z)})
            elif negativity.spike:
                notes.append({"kind": "negativity", "share": float(negativity.share),
                              "usual": float(negativity.baseline_share), "z": float(negativity.z)})
            if sustained is not None:
                notes.append(sustained.note())
            events.extend(self._raise(conn, mid, SPIKE, m, time_of(m), state.window(m, WINDOW), notes, [],
                                      readings, sustained=sustained))
        elif tracked is not None and tracked.status == "open":
            if not is_calm(readings, negativity, self.config) or state.cusum.alarmed:
                tracked.last_active = m
            elif m - tracked.last_active >= self.config.resolve_minutes:
                events.append(self._resolve(conn, tracked, tracked.last_active + self.config.resolve_minutes))
        for cause, active in ((KEYWORD, state.has_risk(m, WINDOW)), (INFLUENCER, window.influencers > 0)):
            t = self.tracked.get((mid, cause))
            if t is None or t.status != "open":
                continue
            if active:
                t.last_active = m
            elif m - t.last_active >= self.config.resolve_minutes:
                events.append(self._resolve(conn, t, t.last_active + self.config.resolve_minutes))
        return events

    def _instant(self, conn: Connection, mid: int, cause: str, m: int, at: datetime,
                 terms: list[str]) -> list[Message]:
        window = self._window(mid, m + 1)
        if cause == KEYWORD:
            note: dict[str, Any] = {"kind": "keyword", "terms": [display_term(x) for x in terms]}
        else:
            note = {"kind": "influencer", "count": int(window.influencers)}
        return self._raise(conn, mid, cause, m, at, window, [note], terms)

    def _raise(self, conn: Connection, mid: int, cause: str, m: int, at: datetime, window: Counts,
               notes: list[dict[str, Any]], terms: list[str], readings: list[Reading] | None = None, *,
               sustained: Sustained | None = None) -> list[Message]:
        """Open, reopen or grow the situation of (monitor, cause); ``sustained``: the CUSUM's
        alarm, when it fired (its run's ratio counts as a volume ratio, and the summary and the
        explanation describe the hours of the rise)."""
        state = self.states[mid]
        expected = self._per_hour(mid, state, m)
        if readings is None:
            readings = self._readings(mid, state, m, state.window(m, WINDOW))
        ratios = [r.ratio for r in readings if r.observed >= self.config.min_posts]
        if sustained is not None:
            ratios.append(sustained.ratio)
        signals = Signals.of(window, expected, max([window.volume / expected, *ratios]))
        rating = rate(signals, self.playbook, floor=1, notes=notes)
        if sustained is not None and sustained.note() not in rating.notes:
            # A playbook level's reasons replaced the detector's; a sustained rise keeps its own,
            # since its last hour alone may look ordinary.
            rating = rating.with_note(sustained.note())
        t = self.tracked.get((mid, cause))
        if t is not None and t.status == "resolved":
            assert t.resolved_minute is not None
            if m - t.resolved_minute <= self.config.reopen_minutes:
                t.status, t.last_active, t.resolved_minute = "open", m, None
                conn.execute(update(_situations).where(_situations.c.id == t.id).values(
                    status="open", resolved_at=None, updated_at=at, severity=rating.level))
                t.severity = rating.level
                t.terms = sorted({*t.terms, *terms})
                return [self._record(conn, t, "alert.opened", at, rating, signals, window, m,
                                     reopened=True, sustained=sustained)]
            t = None
        if t is None:
            t = self._open(conn, mid, cause, m, at, rating, terms)
            return [self._record(conn, t, "alert.opened", at, rating, signals, window, m,
                                 sustained=sustained)]
        t.last_active = m
        new_terms = [x for x in terms if x not in t.terms]
        grew = window.volume >= GROWTH * max(t.event_volume, 1)
        if rating.level > t.severity or new_terms or grew:
            t.terms = sorted({*t.terms, *terms})
            if rating.level > t.severity:
                t.severity = rating.level
            else:
                rating = rating.kept_at(t.severity)
            conn.execute(update(_situations).where(_situations.c.id == t.id).values(
                severity=t.severity, updated_at=at))
            return [self._record(conn, t, "alert.updated", at, rating, signals, window, m,
                                 sustained=sustained)]
        return []

    def _open(self, conn: Connection, mid: int, cause: str, m: int, at: datetime, rating: Rating,
              terms: list[str]) -> Tracked:
        sid = conn.execute(insert(_situations).values(
            monitor_id=mid, cause=cause, status="open", severity=rating.level, opened_at=at,
            updated_at=at, explanation="{}",
        ).returning(_situations.c.id)).scalar_one()
        t = Tracked(int(sid), mid, cause, rating.level, "open", m, 0, None, sorted(set(terms)))
        self.tracked[(mid, cause)] = t
        return t

    def _resolve(self, conn: Connection, t: Tracked, m: int) -> Message:
        at = time_of(m)
        t.status, t.resolved_minute = "resolved", m
        conn.execute(update(_situations).where(_situations.c.id == t.id).values(
            status="resolved", resolved_at=at, updated_at=at))
        body: Message = {"event": "alert.resolved", "situation": t.id, "monitor": self.names[t.monitor_id],
                         "cause": t.cause, "severity": t.severity,
                         "severity_name": self.playbook.name(t.severity, self.config.language),
                         "at": at.isoformat(), "top_terms": [], "summary": self._resolved_text(t)}
        self._log(conn, t, body, at)
        return body

    def _resolved_text(self, t: Tracked) -> str:
        name = self.names[t.monitor_id]
        minutes = self.config.resolve_minutes
        if self.config.language == "de":
            return f"{name}: seit {minutes} Minuten wieder auf normalem Niveau; Lage beendet."
        return f"{name}: back at baseline for {minutes} minutes; situation resolved."

    def _record(self, conn: Connection, t: Tracked, event: str, at: datetime, rating: Rating,
                signals: Signals, window: Counts, m: int, *, reopened: bool = False,
                sustained: Sustained | None = None) -> Message:
        end = time_of(m + 1) if t.cause != SPIKE else time_of(m)
        start = end - timedelta(minutes=WINDOW)
        if sustained is not None:  # a sustained rise is explained over the hours that built it
            start = max(time_of(sustained.start_minute), end - SUSTAINED_EXPLAINED)
        explanation = explain(conn, t.monitor_id, start, end, start - BASELINE)
        lang = self.config.language
        level_name = self.playbook.name(rating.level, lang)
        rise = (sustained.ratio, sustained.hours, sustained.posts) if sustained is not None else None
        summaries = {language: summarize(monitor=self.names[t.monitor_id], cause=t.cause, level=rating.level,
                                         level_name=self.playbook.name(rating.level, language),
                                         signals=signals, explanation=explanation, lang=language,
                                         terms=t.terms, rise=rise)
                     for language in ("de", "en")}  # pages speak the reader's language
        summary = summaries["de" if lang == "de" else "en"]
        t.event_volume = window.volume
        # The one list pages and notifications show: keywords that fired, surging terms, hashtags.
        top_terms = merge([display_term(x) for x in t.terms if t.cause == KEYWORD],
                          explanation.top_terms, explanation.top_hashtags)
        stored = json.loads(explanation.to_json()) | {
            "top_terms": top_terms, "terms": t.terms, "summary": summary, "summaries": summaries,
            "signals": signals.as_dict(), "reasons": rating.reasons, "reason_detail": rating.detail()}
        if sustained is not None:
            stored["sustained"] = {"hours": sustained.hours, "posts": sustained.posts,
                                   "expected": round(sustained.expected, 1),
                                   "ratio": round(sustained.ratio, 2),
                                   "cusum": round(sustained.value, 2), "threshold": sustained.threshold}
        conn.execute(update(_situations).where(_situations.c.id == t.id).values(
            explanation=json.dumps(stored, ensure_ascii=False)))
        body: Message = {
            "event": event, "situation": t.id, "monitor": self.names[t.monitor_id], "cause": t.cause,
            "severity": rating.level, "severity_name": level_name, "at": at.isoformat(),
            "top_terms": top_terms, "summary": summary, "summaries": summaries, "reasons": rating.reasons,
            "reason_detail": rating.detail(),
            "signals": signals.as_dict(), **({"reopened": True} if reopened else {}),
        }
        # The timeline keeps the explanation as it was at this event: a notification sent for a
        # later escalation step describes the situation as of that step, not as of the newest event.
        self._log(conn, t, body | {"explanation": stored}, at)
        return body

    @staticmethod
    def _log(conn: Connection, t: Tracked, body: Mapping[str, Any], at: datetime) -> None:
        conn.execute(insert(_events).values(situation_id=t.id, event=body["event"], at=at,
                                            severity=t.severity,
                                            body=json.dumps(body, ensure_ascii=False)))
