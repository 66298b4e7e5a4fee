"""The ``crisisdesk demo`` scenario: a calm week of brand chatter, then a product crisis.

Why synthetic: a demo must run offline, be reproducible for a seed, and show every feature (monitors,
spikes, top posts, inbox messages, press pickup) on one timeline without shipping anybody's real posts.
The story and the texts live in ``texts.py``/``texts_crisis.py``; who posts, ids and metrics in
``people.py``; this module decides *how many* posts of *which kind* appear *when* and assembles them
into canonical posts (the shape ``crisisdesk.posts.schemas.PostIn`` accepts).

Timing model: every stream hour gets Poisson counts from a daily rhythm (local time CET: quiet nights,
a morning ramp, lunch and evening peaks, flatter and lower weekends). The crisis adds a logistic build-up
from a single first report to a peak ~11 hours later, then an exponential decay with a second, smaller
wave when the recall is announced. Posts are generated hour by hour and yielded in time order, so the
generator never holds more than one hour of posts plus small bounded pools of conversation parents.

The crisis is over before the stream ends: its posts fade out over ``FADE_HOURS`` and the last
``QUIET_HOURS`` are calm again, so detection can resolve every situation within the replay (it
needs an hour back at baseline, and an hour without a high-risk term, to call a situation over).
A crisis needs two days to run its course; with one it is cut short in its first evening.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from crisisdesk.demo import compose
from crisisdesk.demo.people import BRAND_ACCOUNT, Ids, People, Persona, metrics_for, poisson, post_url
from crisisdesk.demo.texts_crisis import FIRST_REPORT, OFFICIAL_STATEMENTS
from crisisdesk.demo.workspace import workspace_yaml

DEFAULT_START: Final = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
LOCAL_OFFSET: Final = timedelta(hours=1)  # the audience lives on CET in November
# Relative posting activity per local hour; both rows are normalised to a daily total below.
WEEKDAY_RHYTHM: Final = (0.25, 0.15, 0.1, 0.07, 0.07, 0.12, 0.35, 0.7, 1.0, 1.05, 1.0, 1.1,
                         1.35, 1.25, 1.0, 0.95, 1.0, 1.1, 1.3, 1.5, 1.55, 1.35, 0.95, 0.55)
WEEKEND_RHYTHM: Final = (0.4, 0.3, 0.2, 0.12, 0.08, 0.08, 0.12, 0.25, 0.5, 0.8, 1.05, 1.2,
                         1.25, 1.2, 1.15, 1.1, 1.1, 1.15, 1.25, 1.3, 1.3, 1.15, 0.9, 0.6)
WEEKEND_FACTOR: Final = 0.85
CALM_DAILY: Final = {"brand": 330.0, "competitor": 45.0, "noise": 130.0, "news": 0.6}
CRISIS_ONSET: Final = timedelta(hours=6, minutes=35)  # 07:35 local on the first crisis day
CRISIS_PEAK_PER_HOUR: Final = 330.0
NEWS_PEAK_PER_HOUR: Final = 5.0
CRISIS_DECAY_HOURS: Final = 9.0  # after the peak, talk halves about every six hours
FADE_HOURS: Final = 6.0  # the crisis's last posts thin out over these hours …
QUIET_HOURS: Final = 4.0  # … and the stream's last hours are calm again
SHARE_GERMAN: Final = 0.6

_SOCIAL: Final = {"x": 0.34, "instagram": 0.17, "facebook": 0.14, "telegram": 0.07, "mastodon": 0.12,
                  "bluesky": 0.16}
_MESSAGE: Final = {"email": 0.55, "whatsapp": 0.38, "viber": 0.07}
_PAGE: Final = {"facebook": 0.55, "instagram": 0.45}
_CALM_MIX: Final = {"praise": 0.26, "question": 0.16, "mild_negative": 0.12, "channel_comment": 0.15,
                    "service_message": 0.1, "review": 0.05, "ceo": 0.02, "comparison": 0.02,
                    "reply": 0.18}
# Engagement multipliers: fear and outrage travel further than "my scooter is nice".
_BOOST: Final = {"fire_report": 3.0, "spread": 2.0, "influencer": 4.0, "insult": 1.5, "joke": 2.5,
                 "safety_worry": 1.5, "news": 1.0}
_REPLY_PLATFORMS: Final = frozenset({"x", "mastodon", "bluesky", "telegram", "instagram", "facebook"})
_MENTION_PLATFORMS: Final = frozenset({"x", "mastodon", "bluesky"})


def _crisis_mix(t: float) -> dict[str, float]:
    """Which crisis posts appear t hours after the first report: fear first, anger and service later."""
    ramp = min(1.0, max(0.0, t / 8.0))
    return {
        "fire_report": 2.5 if t < 4 else 0.9,
        "safety_worry": 1.6,
        "spread": 0.8 + 1.2 * ramp,
        "influencer": 0.0 if t < 2.5 else 0.007,
        "service_complaint": 0.3 + 2.2 * ramp,
        "insult": 0.0 if t < 1.5 else 1.3 * ramp + 0.1,
        "ceo_crisis": 0.0 if t < 6 else 0.35,
        "competitor_crisis": 0.0 if t < 4 else 0.25,
        "defender": 0.3,
        "joke": 0.0 if t < 5 else 0.5,
        "service_message_crisis": 0.2 + 0.9 * ramp,
        "review_crisis": 0.0 if t < 4 else 0.3,
        "reply": 0.0 if t < 0.5 else 2.4,
    }


def crisis_shape(t: float) -> float:
    """Crisis intensity (0..1) t hours after the first report: logistic build-up, decay, recall wave."""
    if t < 0:
        return 0.0
    growth = 1.0 / (1.0 + math.exp(-(t - 7.0) / 1.3))
    decay = math.exp(-max(0.0, t - 11.0) / CRISIS_DECAY_HOURS)
    recall_wave = 0.3 * math.exp(-((t - 27.0) ** 2) / (2 * 3.0**2))
    return growth * decay + recall_wave


def rhythm(at: datetime) -> float:
    """Activity factor of the hour containing ``at`` (1.0 = an average hour of a weekday)."""
    local = at + LOCAL_OFFSET
    weekend = local.weekday() >= 5
    row = WEEKEND_RHYTHM if weekend else WEEKDAY_RHYTHM
    return row[local.hour] * 24 / sum(row) * (WEEKEND_FACTOR if weekend else 1.0)


@dataclass(frozen=True)
class _Planned:
    at: datetime
    stream: str  # brand | competitor | noise | news | crisis | crisis_news | official | first_report
    extra: tuple[str, str] | None = None  # (lang, text) of an official statement


@dataclass
class _Root:
    """A post that later posts may reply to."""

    platform: str
    id: str
    conversation_id: str
    handle: str
    lang: str


class _Scenario:
    """Plans each hour and turns each planned slot into a canonical post."""

    def __init__(self, seed: int, start: datetime, calm_days: int, crisis_days: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - a demo needs reproducible, not secret, numbers
        self.start = start
        self.end = start + timedelta(days=calm_days + crisis_days)
        self.onset = start + timedelta(days=calm_days) + CRISIS_ONSET if crisis_days > 0 else None
        self.people = People(self.rng)
        self.ids = Ids(self.rng)
        self.calm_roots: deque[_Root] = deque(maxlen=150)
        self.crisis_roots: deque[_Root] = deque(maxlen=150)
        # Page posts people comment under; the first ones predate the scenario, like on a real page.
        self.page_posts: dict[str, deque[str]] = {
            p: deque((self.ids.next(p) for _ in range(3)), maxlen=3) for p in _PAGE
        }

    def hours_since_onset(self, at: datetime) -> float | None:
        return None if self.onset is None else (at - self.onset).total_seconds() / 3600

    def fade(self, at: datetime) -> float:
        """1 while the crisis runs, falling to 0 ``QUIET_HOURS`` before the stream ends."""
        left = (self.end - at).total_seconds() / 3600 - QUIET_HOURS
        return min(1.0, max(0.0, left / FADE_HOURS))

    def plan_hour(self, hour: datetime) -> list[_Planned]:
        rng = self.rng
        factor = rhythm(hour)
        mid = hour + timedelta(minutes=30)
        t = self.hours_since_onset(mid)
        crisis_on = t is not None and t > -0.5
        lambdas = {s: CALM_DAILY[s] / 24 * factor for s in ("brand", "competitor", "noise")}
        daytime = 1.0 if 7 <= (hour + LOCAL_OFFSET).hour < 20 else 0.0
        lambdas["news"] = CALM_DAILY["news"] / 13 * daytime
        if crisis_on and t is not None:
            soft = 0.4 + 0.6 * factor / 1.6  # a crisis keeps people up, but nights stay quieter
            fade = self.fade(mid)
            lambdas["crisis"] = CRISIS_PEAK_PER_HOUR * crisis_shape(t) * soft * fade
            lambdas["competitor"] *= 1.0 + 0.8 * fade
            press = min(1.0, max(0.0, (t - 4.5) / 3)) * math.exp(-max(0.0, t - 12) / 14)
            press += 0.6 * math.exp(-((t - 27.0) ** 2) / (2 * 2.5**2))
            lambdas["crisis_news"] = NEWS_PEAK_PER_HOUR * press * (0.3 + 0.7 * daytime) * fade
        plan = [
            _Planned(hour + timedelta(seconds=rng.randrange(3600)), stream)
            for stream, lam in lambdas.items()
            for _ in range(poisson(rng, lam))
        ]
        local = hour + LOCAL_OFFSET
        if local.hour == 10 and not crisis_on:
            plan.append(_Planned(hour + timedelta(seconds=rng.randrange(600, 2400)), "official"))
        if self.onset is not None and hour <= self.onset < hour + timedelta(hours=1):
            plan.append(_Planned(self.onset, "first_report"))
        for offset, lang, text in OFFICIAL_STATEMENTS:
            at = (self.onset or self.end) + timedelta(hours=offset)
            if hour <= at < hour + timedelta(hours=1) and at < self.end:
                plan.append(_Planned(at, "official", (lang, text)))
        plan.sort(key=lambda p: p.at)
        return plan

    def build(self, planned: _Planned) -> dict[str, Any]:
        rng = self.rng
        stream, at = planned.stream, planned.at
        t = self.hours_since_onset(at)
        lang = "de" if rng.random() < SHARE_GERMAN else "en"
        if stream == "official":
            return self._official(at, planned.extra)
        if stream in {"news", "crisis_news"}:
            return self._news(at, lang, crisis=stream == "crisis_news")
        if stream == "first_report":
            return self._first_report(at)
        if stream == "crisis" and t is not None:
            category = _weighted(rng, _crisis_mix(t))
        elif stream == "brand":
            category = _weighted(rng, _CALM_MIX)
        else:
            category = stream
        crisis = stream == "crisis"
        if category == "reply":
            roots = self.crisis_roots if crisis else self.calm_roots
            if roots:
                return self._reply(at, rng.choice(list(roots)[-60:]), crisis=crisis)
            category = "spread" if crisis else "praise"
        if category in {"service_message", "service_message_crisis"}:
            return self._message(at, category, lang)
        if category in {"review", "review_crisis"}:
            return self._review(at, category, lang)
        if category == "channel_comment":
            return self._page_comment(at, category, lang, _weighted(rng, _PAGE))
        persona = self.people.influencer(lang) if category == "influencer" else None
        platform = persona.platform if persona else _weighted(rng, _SOCIAL)
        return self._social(at, category, lang, platform, crisis=crisis, persona=persona)

    # --- post shapes -------------------------------------------------------------------------------

    def _base(self, at: datetime, platform: str, persona: Persona, text: str, kind: str, lang: str,
              boost: float = 1.0) -> dict[str, Any]:
        post_id = self.ids.next(platform)
        post: dict[str, Any] = {
            "platform": platform, "id": post_id, "created_at": at.isoformat(timespec="seconds"),
            "text": text, "author": dict(persona.author), "kind": kind, "lang": lang,
        }
        url = post_url(platform, persona, post_id)
        if url:
            post["url"] = url
        metrics = metrics_for(self.rng, platform, persona.followers, boost)
        if metrics is not None:
            post["metrics"] = metrics
        return post

    def _social(self, at: datetime, category: str, lang: str, platform: str, *, crisis: bool,
                persona: Persona | None) -> dict[str, Any]:
        brand_directed = category not in {"noise", "competitor"}
        if platform == "facebook" and brand_directed:
            return self._page_comment(at, category, lang, "facebook")
        persona = persona or self.people.pick(platform, lang)
        text = compose.render(self.rng, category, lang, crisis=crisis, tag_rate=self._tag_rate(at, crisis))
        post = self._base(at, platform, persona, text, "post", lang, _BOOST.get(category, 1.0))
        if "@voltaro" in text.lower() and platform in _MENTION_PLATFORMS | {"instagram"}:
            post["channel"] = f"{platform}:voltaro"
        if platform in _REPLY_PLATFORMS and category not in {"noise"}:
            roots = self.crisis_roots if crisis else self.calm_roots
            roots.append(_Root(platform, post["id"], post["id"], persona.handle, lang))
        return post

    def _tag_rate(self, at: datetime, crisis: bool) -> float | None:
        t = self.hours_since_onset(at)
        return 0.05 + 0.35 * min(1.0, t / 5) if crisis and t is not None and t >= 0 else None

    def _first_report(self, at: datetime) -> dict[str, Any]:
        """Patient zero: one ordinary customer, no hashtag yet, a photo and a question."""
        persona = Persona("x", "de", {"id": "x8800417", "handle": "mara_bkr", "name": "Mara Becker",
                                      "followers": 1_840, "verified": False})
        post = self._base(at, "x", persona, FIRST_REPORT, "post", "de", 6.0)
        post["channel"] = "x:voltaro"
        self.crisis_roots.append(_Root("x", post["id"], post["id"], persona.handle, "de"))
        return post

    def _page_comment(self, at: datetime, category: str, lang: str, platform: str) -> dict[str, Any]:
        persona = self.people.pick(platform, lang)
        text = compose.render(self.rng, category, lang, crisis=category not in compose.CALM_CATEGORIES)
        post = self._base(at, platform, persona, text, "comment", lang, _BOOST.get(category, 1.0))
        parent = self.rng.choice(self.page_posts[platform])
        post.update(in_reply_to=parent, conversation_id=parent, channel=f"{platform}:voltaro")
        return post

    def _reply(self, at: datetime, root: _Root, *, crisis: bool) -> dict[str, Any]:
        lang = root.lang if self.rng.random() < 0.9 else ("en" if root.lang == "de" else "de")
        persona = self.people.pick(root.platform, lang)
        text = compose.render(self.rng, "reply", lang, crisis=crisis)
        if root.platform in _MENTION_PLATFORMS:
            text = f"@{root.handle.split('@')[0]} {text}"
        kind = "comment" if root.platform in _PAGE else "reply"
        post = self._base(at, root.platform, persona, text, kind, lang, 0.5)
        post.update(in_reply_to=root.id, conversation_id=root.conversation_id)
        if self.rng.random() < 0.2:  # some replies draw replies of their own
            roots = self.crisis_roots if crisis else self.calm_roots
            roots.append(_Root(root.platform, post["id"], root.conversation_id, persona.handle, lang))
        return post

    def _message(self, at: datetime, category: str, lang: str) -> dict[str, Any]:
        platform = _weighted(self.rng, _MESSAGE)
        persona = self.people.pick(platform, lang)
        text = compose.render(self.rng, category, lang, crisis=category.endswith("_crisis"))
        post = self._base(at, platform, persona, text, "message", lang)
        post.update(channel=f"{platform}:service", conversation_id=f"thread:{persona.author['id']}")
        return post

    def _review(self, at: datetime, category: str, lang: str) -> dict[str, Any]:
        persona = self.people.pick("review", lang)
        text = compose.render(self.rng, category, lang, crisis=category.endswith("_crisis"))
        post = self._base(at, "review", persona, text, "review", lang)
        post["channel"] = "review:voltaro"
        return post

    def _news(self, at: datetime, lang: str, *, crisis: bool) -> dict[str, Any]:
        persona, domain, section = self.people.outlet(lang)
        text = compose.headline(self.rng, lang, crisis=crisis)
        post = self._base(at, "news", persona, text, "article", lang)
        slug = compose.slugify(text.split(" – ")[0])
        slug = slug if len(slug) <= 60 else slug[:60].rsplit("-", 1)[0]
        post["url"] = f"https://www.{domain}/{section}/{slug}-{post['id'].split('-')[1]}"
        return post

    def _official(self, at: datetime, statement: tuple[str, str] | None) -> dict[str, Any]:
        platform = "x" if statement else self.rng.choice(("facebook", "instagram", "x"))
        if statement:
            lang, text = statement
        else:
            lang = "de" if self.rng.random() < SHARE_GERMAN else "en"
            text = compose.render(self.rng, "official", lang, crisis=False)
        persona = Persona(platform, lang, dict(BRAND_ACCOUNT))
        posts = self._base(at, platform, persona, text, "post", lang, 2.0)
        posts["channel"] = f"{platform}:voltaro"
        if platform in self.page_posts:
            self.page_posts[platform].append(posts["id"])
        roots = self.crisis_roots if statement else self.calm_roots
        roots.append(_Root(platform, posts["id"], posts["id"], "voltaro", lang))
        return posts


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def generate_scenario(*, seed: int = 7, start: datetime | None = None, calm_days: int = 7,
                      crisis_days: int = 2) -> Iterator[dict[str, Any]]:
    """Yield the demo's canonical posts in ``created_at`` order; the same seed gives the same posts.

    ``start`` must be a timezone-aware UTC midnight (the daily rhythm is laid out from it). The crisis
    begins at 07:35 local time on the first day after the calm days and runs for ``crisis_days``.
    """
    start = DEFAULT_START if start is None else start
    if start.tzinfo is None or start.utcoffset() != timedelta(0):
        raise ValueError(f"start must be timezone-aware UTC, got {start.isoformat()}")
    if (start.hour, start.minute, start.second, start.microsecond) != (0, 0, 0, 0):
        raise ValueError(f"start must be midnight, got {start.isoformat()}")
    if calm_days < 0 or crisis_days < 0:
        raise ValueError("calm_days and crisis_days must not be negative")
    return _generate(_Scenario(seed, start.astimezone(UTC), calm_days, crisis_days))


def _generate(scenario: _Scenario) -> Iterator[dict[str, Any]]:
    hour = scenario.start
    while hour < scenario.end:
        for planned in scenario.plan_hour(hour):
            yield scenario.build(planned)
        hour += timedelta(hours=1)


def scenario_end(*, start: datetime | None = None, calm_days: int = 7, crisis_days: int = 2) -> datetime:
    """Where the scenario's stream time ends (midnight after its last day)."""
    return (DEFAULT_START if start is None else start) + timedelta(days=calm_days + crisis_days)


def demo_workspace_yaml(sink_url: str | None = None, *, webhook_secret: str | None = None) -> str:
    """The ``crisisdesk.yaml`` of the demo workspace: monitors that fit the Voltaro story, detection,
    and, given the URL of the demo's local sink, the crisis team with its targets and escalation."""
    return workspace_yaml(sink_url, webhook_secret=webhook_secret)
