"""The detection engine on SQLite and PostgreSQL: rollups, situations and their lifecycle."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from crisisdesk.detection import rollups
from crisisdesk.detection.config import DetectionConfig, PlaybookConfig
from crisisdesk.detection.engine import DetectionEngine
from crisisdesk.detection.models import Situation, SituationEvent
from crisisdesk.pipeline.events import AuthorRef, NormalizedPost
from crisisdesk.posts import service as post_store
from crisisdesk.sources.service import sync_monitors

T0 = datetime(2026, 11, 1, tzinfo=UTC)
Message = dict[str, object]


class Feed:
    """Posts into the database and the detection engine, batch by batch, like the runner does."""

    def __init__(self, engine: Engine, config: DetectionConfig | None = None) -> None:
        self.engine = engine
        self.config = config or DetectionConfig()
        self.ids = sync_monitors(engine, [("brand", "brand"), ("other", "other")], now=T0)
        self.detector = self.fresh_detector()
        self.n = 0
        self.rng = random.Random(7)
        self.events: list[Message] = []

    def fresh_detector(self) -> DetectionEngine:
        return DetectionEngine(config=self.config, playbook=PlaybookConfig(), monitor_ids=self.ids)

    def post(self, at: datetime, text: str, *, negative: bool = False, followers: int = 100,
             monitor: str = "brand", platform: str = "x", verified: bool = False) -> NormalizedPost:
        self.n += 1
        author = AuthorRef(platform, f"u{self.rng.randrange(100_000)}", f"user{self.n}", None, followers,
                           verified)
        return NormalizedPost(
            platform, f"p{self.n}", "post", at, text, "en", None, None, None, None, author, 1, 2, 0, 0,
            "{}", f"h{self.n}", "test", self.n,
            {"sentiment": {"label": "negative" if negative else "neutral", "score": 0.9},
             "complaint_types": ["safety"] if "fire" in text else []},
            [monitor],
        )

    def feed(self, posts: list[NormalizedPost], batch: int = 50) -> list[Message]:
        posts = sorted(posts, key=lambda p: p.created_at)
        got: list[Message] = []
        for i in range(0, len(posts), batch):
            chunk = posts[i:i + batch]
            with self.engine.begin() as conn:
                written = post_store.write_posts(conn, chunk, [], self.ids, chunk[-1].created_at)
                got.extend(self.detector.process(conn, written.stored, written.new_authors))
        self.events.extend(got)
        return got

    def tick(self, at: datetime) -> list[Message]:
        with self.engine.begin() as conn:
            got = self.detector.tick(conn, at)
        self.events.extend(got)
        return got

    def calm(self, start: datetime, end: datetime, per_hour: float) -> list[NormalizedPost]:
        out: list[NormalizedPost] = []
        t = start
        while True:
            t += timedelta(minutes=self.rng.expovariate(per_hour / 60))
            if t >= end:
                return out
            out.append(self.post(t, f"brand coffee {self.rng.choice(['latte', 'cup', 'shop'])}",
                                 negative=self.rng.random() < 0.1))

    def wave(self, start: datetime, posts: int, minutes: int, text: str) -> list[NormalizedPost]:
        return [self.post(start + timedelta(seconds=i * minutes * 60 / posts), text,
                          negative=self.rng.random() < 0.8, platform=("x", "facebook", "instagram")[i % 3],
                          followers=5000)
                for i in range(posts)]


def _spike_events(events: list[Message]) -> list[Message]:
    return [e for e in events if e["cause"] == "spike"]


def test_a_wave_opens_one_situation_that_grows_and_resolves(engine: Engine) -> None:
    f = Feed(engine)
    onset = T0 + timedelta(days=2, hours=14)
    f.feed(f.calm(T0, onset, per_hour=10))
    assert f.events == []  # two calm days: nothing
    f.feed(f.wave(onset, 400, 60, "brand scooter battery fire burning"))
    f.feed(f.calm(onset + timedelta(hours=1), onset + timedelta(hours=4), per_hour=10))
    spikes = _spike_events(f.events)
    kinds = [e["event"] for e in spikes]
    assert kinds[0] == "alert.opened" and kinds[-1] == "alert.resolved"
    assert kinds.count("alert.opened") == 1 and "alert.updated" in kinds
    opened = spikes[0]
    delay = datetime.fromisoformat(str(opened["at"])) - onset
    assert timedelta(0) < delay <= timedelta(minutes=15)
    severities = [int(str(e["severity"])) for e in spikes if e["event"] != "alert.resolved"]
    assert severities == sorted(severities) and severities[-1] >= 3  # it rose as the wave grew
    named = {w for term in spikes[-2]["top_terms"] for w in str(term).split()}  # type: ignore[attr-defined]
    assert {"battery", "fire"} <= named  # as words or inside a phrase ("battery fire burning")
    assert "brand" in str(opened["summary"]) and opened["reasons"]
    with engine.connect() as conn:
        situations = conn.execute(select(Situation.status, Situation.severity, Situation.cause)).all()
        assert ("resolved", severities[-1], "spike") in situations
        logged = conn.execute(select(func.count()).select_from(SituationEvent)).scalar_one()
        assert logged == len(f.events)
        explanation = json.loads(conn.execute(
            select(Situation.explanation).where(Situation.cause == "spike")).scalar_one())
        assert explanation["top_posts"] and explanation["channels"]
        assert "safety" in explanation["complaint_types"]
    # the summary in both languages, the reason as data a page can put in either
    summaries = opened["summaries"]
    assert isinstance(summaries, dict) and set(summaries) == {"de", "en"}
    assert summaries["en"] == opened["summary"] and summaries["de"] != summaries["en"]
    assert "Beiträge" in summaries["de"] or "Stufe" in summaries["de"]
    top = spikes[-2]["reason_detail"]
    assert isinstance(top, dict) and top["level"] == top["severity"] == severities[-1]
    assert top["signals"] and all(value >= threshold for _, value, threshold in top["signals"])


def test_rollups_are_stored_per_minute_hour_and_day(engine: Engine) -> None:
    f = Feed(engine)
    posts = [f.post(T0 + timedelta(minutes=m), "brand", negative=m % 2 == 0, followers=10) for m in range(90)]
    posts.append(f.post(T0 + timedelta(minutes=5), "other post", monitor="other"))
    f.feed(posts, batch=7)  # buckets are added to across batches
    with engine.connect() as conn:
        hours = rollups.series(conn, f.ids["brand"], "h", T0, T0 + timedelta(days=1))
        days = rollups.series(conn, f.ids["brand"], "d", T0, T0 + timedelta(days=1))
        minutes = rollups.series(conn, f.ids["brand"], "m", T0, T0 + timedelta(hours=2))
        channels = rollups.shares(conn, f.ids["brand"], "d", T0, T0 + timedelta(days=1), "channel")
    assert [(p.volume, p.negative) for p in hours] == [(60, 30), (30, 15)]
    assert [p.velocity for p in hours] == [60, -30]
    assert days[0].volume == 90 and days[0].reach == 900 and days[0].engagement == 270
    assert len(minutes) == 90 and days[0].new_authors == 90
    assert channels == {"x": (90, 45)}


def test_a_restart_keeps_the_open_situation(engine: Engine) -> None:
    f = Feed(engine)
    onset = T0 + timedelta(days=2, hours=9)
    f.feed(f.calm(T0, onset, per_hour=10))
    f.feed(f.wave(onset, 150, 20, "brand app outage down"))
    assert [e["event"] for e in _spike_events(f.events)][:1] == ["alert.opened"]
    # The process restarts: a new engine rebuilds its state from the rollups and the open situation.
    f.detector = f.fresh_detector()
    with engine.connect() as conn:
        f.detector.load(conn, onset + timedelta(minutes=20))
    before = len(f.events)
    f.feed(f.wave(onset + timedelta(minutes=20), 600, 30, "brand app outage down"))
    after = _spike_events(f.events[before:])
    assert after and all(e["event"] == "alert.updated" for e in after)
    assert {e["situation"] for e in after} == {_spike_events(f.events)[0]["situation"]}


def test_it_reopens_when_the_wave_comes_back(engine: Engine) -> None:
    f = Feed(engine, DetectionConfig(resolve_minutes=30, reopen_minutes=240))
    onset = T0 + timedelta(days=2, hours=9)
    f.feed(f.calm(T0, onset, per_hour=10))
    f.feed(f.wave(onset, 200, 20, "brand outage"))
    f.feed(f.calm(onset + timedelta(minutes=20), onset + timedelta(hours=3), per_hour=10))
    f.feed(f.wave(onset + timedelta(hours=3), 300, 20, "brand outage again"))
    spikes = _spike_events(f.events)
    kinds = [e["event"] for e in spikes]
    assert kinds.count("alert.resolved") == 1
    reopened = [e for e in spikes if e.get("reopened")]
    assert len(reopened) == 1 and reopened[0]["situation"] == spikes[0]["situation"]


def test_high_risk_terms_and_influencers_alert_at_once(engine: Engine) -> None:
    f = Feed(engine)
    f.feed(f.calm(T0, T0 + timedelta(hours=10), per_hour=5))
    at = T0 + timedelta(hours=10, minutes=3)
    got = f.feed([f.post(at, "brand: mein Anwalt prüft eine Klage", negative=True)])
    keyword = [e for e in got if e["cause"] == "keyword"]
    assert [e["event"] for e in keyword] == ["alert.opened"]
    assert keyword[0]["at"] == at.isoformat()
    assert {"anwalt", "klage"} <= set(map(str, keyword[0]["top_terms"]))  # type: ignore[call-overload]
    got = f.feed([f.post(at + timedelta(minutes=1), "brand is a disgrace", negative=True,
                         followers=250_000)])
    assert [e["event"] for e in got if e["cause"] == "influencer"] == ["alert.opened"]
    got = f.feed([f.post(at + timedelta(minutes=2), "brand is lovely", negative=False, verified=True)])
    assert got == []  # a verified author posting positively is no alert


def test_a_handful_of_angry_posts_on_a_quiet_brand_stays_quiet(engine: Engine) -> None:
    f = Feed(engine, DetectionConfig(high_risk_terms=[]))
    f.feed(f.calm(T0, T0 + timedelta(days=3), per_hour=3 / 24))
    start = T0 + timedelta(days=3, hours=1)
    f.feed([f.post(start + timedelta(minutes=i), "brand terrible", negative=True) for i in range(6)])
    f.tick(start + timedelta(hours=2))
    assert f.events == []


def test_the_brands_own_accounts_are_never_influencers(engine: Engine) -> None:
    f = Feed(engine, DetectionConfig(own_accounts=["@Brand_Official"]))
    at = T0 + timedelta(hours=10)
    own = f.post(at, "brand apologises for the delay", negative=True, followers=900_000)
    assert own.author is not None
    own.author.handle = "brand_official"
    assert f.feed([own]) == []
    assert [e["cause"] for e in f.feed([f.post(at, "brand is awful", negative=True, followers=900_000)])] \
        == ["influencer"]
