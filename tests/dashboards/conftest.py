"""A small stream through the real store and detection engine, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from crisisdesk.detection.config import DetectionConfig, PlaybookConfig
from crisisdesk.detection.engine import DetectionEngine
from crisisdesk.pipeline.events import AuthorRef, NormalizedPost
from crisisdesk.posts import service as post_store
from crisisdesk.sources.service import sync_monitors

T0 = datetime(2026, 11, 1, tzinfo=UTC)




@dataclass
class Stream:
    """Posts written like the runner writes them (store + detection, batch by batch)."""

    engine: Engine
    ids: dict[str, int] = field(default_factory=dict)
    posts: list[NormalizedPost] = field(default_factory=list)
    n: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(5))

    def __post_init__(self) -> None:
        self.ids = sync_monitors(
            self.engine, [("brand", "brand"), ("rival", "rival"), ("other", "other")], now=T0
        )
        self.detector = DetectionEngine(
            config=DetectionConfig(), playbook=PlaybookConfig(), monitor_ids=self.ids
        )

    def post(
        self,
        at: datetime,
        text: str,
        *,
        monitors: tuple[str, ...] = ("brand",),
        negative: bool = False,
        insult: bool = False,
        complaints: tuple[str, ...] = (),
        lang: str = "en",
        platform: str = "x",
        followers: int = 100,
        author: str | None = None,
    ) -> NormalizedPost:
        self.n += 1
        who = author or f"u{self.n % 40}"
        ref = AuthorRef(platform, who, f"@{who}", f"User {who}", followers, False)
        return NormalizedPost(
            platform,
            f"p{self.n}",
            "post",
            at,
            text,
            lang,
            None,
            None,
            None,
            None,
            ref,
            1,
            1,
            0,
            0,
            "{}",
            f"h{self.n}",
            "test",
            self.n,
            {
                "sentiment": {"label": "negative" if negative else "neutral", "score": 0.9},
                "insult": {
                    "label": "offense" if insult else "none",
                    "score": 0.9 if insult else 0.1,
                    "kind": "abuse" if insult else None,
                },
                "complaint_types": list(complaints),
            },
            list(monitors),
        )

    def feed(self, posts: list[NormalizedPost], batch: int = 100) -> None:
        posts = sorted(posts, key=lambda p: p.created_at)
        for i in range(0, len(posts), batch):
            chunk = posts[i : i + batch]
            with self.engine.begin() as conn:
                written = post_store.write_posts(conn, chunk, [], self.ids, chunk[-1].created_at)
                self.detector.process(conn, written.stored, written.new_authors)
        self.posts.extend(posts)

    def calm(
        self, start: datetime, end: datetime, per_hour: float, monitor: str = "brand"
    ) -> list[NormalizedPost]:
        out: list[NormalizedPost] = []
        t = start
        while True:
            t += timedelta(minutes=self.rng.expovariate(per_hour / 60))
            if t >= end:
                return out
            out.append(
                self.post(
                    t,
                    f"{monitor} coffee {self.rng.choice(['latte', 'cup', 'shop'])}",
                    monitors=(monitor,),
                    negative=self.rng.random() < 0.1,
                    platform=self.rng.choice(["x", "facebook"]),
                )
            )

    def wave(self, start: datetime, posts: int, minutes: int) -> list[NormalizedPost]:
        return [
            self.post(
                start + timedelta(seconds=i * minutes * 60 / posts),
                "brand scooter battery fire",
                negative=i % 5 != 0,
                insult=i % 7 == 0,
                complaints=("safety",),
                platform=("x", "facebook", "instagram")[i % 3],
                followers=5000,
            )
            for i in range(posts)
        ]


#: The stream's "now": two calm days, a wave at day 2 14:00, then 40 more minutes.
ONSET = T0 + timedelta(days=2, hours=14)
NOW = ONSET + timedelta(minutes=40)


@pytest.fixture
def stream(engine: Engine) -> Stream:
    s = Stream(engine)
    s.feed(
        s.calm(T0, NOW, per_hour=10)
        + s.calm(T0, NOW, per_hour=5, monitor="rival")
        + s.calm(T0, NOW, per_hour=2, monitor="other")
        + s.wave(ONSET, 300, 30)
    )
    return s


SPECIAL = [
    "100% sure",
    "100 percent sure",
    "snake_case",
    "snakeXcase",
    "it's fine",
    'say "cheese"',
    "back\\slash",
    "Ärger mit der Bahn",
    "ÄRGER überall",
    "plain text",
]


@pytest.fixture
def posts(stream: Stream) -> Stream:
    """The calm stream plus 60 posts with every kind of analysis, some at the same second."""
    extra: list[NormalizedPost] = []
    base = T0 + timedelta(days=1, hours=3)
    for i in range(60):
        at = base + timedelta(seconds=(i // 3) * 10)  # three posts per timestamp: ties in the key
        extra.append(
            stream.post(
                at,
                SPECIAL[i % len(SPECIAL)] + f" brand #{i}",
                monitors=("brand", "rival") if i % 4 == 0 else ("brand",),
                negative=i % 2 == 0,
                insult=i % 5 == 0,
                complaints=("billing_price",) if i % 3 == 0 else (),
                lang="de" if i % 3 == 1 else "en",
                platform="mastodon" if i % 6 == 0 else "x",
            )
        )
    stream.feed(extra, batch=7)
    return stream
