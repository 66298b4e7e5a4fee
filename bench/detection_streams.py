"""Build labelled evaluation streams for the crisis detector from the real data in ../shared/data.

For each stream NAME the output directory gets ``NAME.jsonl`` (canonical posts), ``NAME.onsets.jsonl``
(the labelled events, empty for negative controls), ``NAME.decoys.jsonl`` (harmless small bursts
that must not alert, same format) and ``NAME.yaml`` (a workspace whose monitors match the posts).
docs/detection.md describes every stream. Seeded: the same ``--seed`` gives byte-identical files.

    python bench/detection_streams.py [--out /tmp/crisisdesk-detection-streams] [--seed 7]

Never write into the repository: the data's licences forbid copying it there.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
OUT = Path("/tmp/crisisdesk-detection-streams")
TWITTER_EPOCH_MS = 1288834974657

#: Known event times (UTC, from each event's Wikipedia article), checked against the collections'
#: half-hour counts: the jump falls in the half hour after these times.
T26_SUDDEN = {
    "glasgow": ("2013_Glasgow_helicopter_crash", "2013-11-29T22:22"),
    "laairport": ("2013_LA_airport_shootings", "2013-11-01T16:20"),
    "spaintrain": ("2013_Spain_train_crash", "2013-07-24T18:41"),
    "westtexas": ("2013_West_Texas_explosion", "2013-04-18T00:50"),
    "nytrain": ("2013_NY_train_crash", "2013-12-01T12:20"),
    "meteor": ("2013_Russia_meteor", "2013-02-15T03:20"),
    "bohol": ("2013_Bohol_earthquake", "2013-10-15T00:12"),
    "costarica": ("2012_Costa_Rica_earthquake", "2012-09-05T14:42"),
    "guatemala": ("2012_Guatemala_earthquake", "2012-11-07T16:35"),
}
T6_SLOW = {"sandy": "2012_Sandy_Hurricane", "alberta": "2013_Alberta_Floods",
           "queensland": "2013_Queensland_Floods"}
#: Raw keyword collections with the most history before the event ("a new monitor").
RAW_T26 = ("costarica", "guatemala", "bohol", "meteor", "spaintrain")
BUSY_SHAPES = ("glasgow", "laairport", "spaintrain", "germanwings", "sandy", "queensland")
AIRLINES = {"Delta": "delta", "Southwest": "southwestair", "US Airways": "usairways",
            "United": "united", "Virgin America": "virginamerica"}

SUDDEN_HOURS, SLOW_HOURS = 24, 48


def twitter_time(tweet_id: int) -> datetime:
    return datetime.fromtimestamp(((tweet_id >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


# -- readers ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Tweet:
    at: datetime
    id: str
    text: str
    author: str = ""


def mozetic(data: Path, lang: str) -> list[Tweet]:
    """``id \\t label \\t \\text``; lines that do not start with an id continue the previous tweet."""
    tweets: list[list[str]] = []
    path = data / "mozetic_twitter15" / f"retrieved_dataset_{lang}.txt"
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3 and parts[0].isdigit():
            tweets.append([parts[0], parts[2].removeprefix("\\")])
        elif tweets:
            tweets[-1][1] += " " + line
    out = [Tweet(twitter_time(int(i)), i, t.strip()) for i, t in tweets if t.strip()]
    out.sort(key=lambda t: (t.at, t.id))
    return out


def t26_times(data: Path, event: str) -> list[tuple[datetime, str]]:
    path = next((data / "crisislex" / "CrisisLexT26" / event).glob("*tweetids_entire_period.csv"))
    with path.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    out = [(datetime.strptime(r[0].strip(), "%a %b %d %H:%M:%S %z %Y").astimezone(UTC),
            r[1].strip().strip('"')) for r in rows if r]
    return sorted(out)


def t26_texts(data: Path, event: str) -> tuple[dict[str, str], list[str]]:
    """All labelled texts by id, and the texts labelled as related to the event."""
    path = next((data / "crisislex" / "CrisisLexT26" / event).glob("*tweets_labeled.csv"))
    by_id: dict[str, str] = {}
    related: list[str] = []
    with path.open(encoding="utf-8") as f:
        reader = csv.reader(f, skipinitialspace=True)
        next(reader)
        for row in reader:
            if len(row) < 5:
                continue
            tid, text = row[0].strip().strip('"'), row[1].strip()
            by_id[tid] = text
            if row[4].strip().startswith("Related"):
                related.append(text)
    return by_id, related


def t6_on_topic(data: Path, event: str) -> list[Tweet]:
    path = next((data / "crisislex" / "CrisisLexT6" / event).glob("*.csv"))
    out = []
    with path.open(encoding="utf-8") as f:
        reader = csv.reader(f, skipinitialspace=True)
        next(reader)
        for row in reader:
            if len(row) >= 3 and row[2].strip() == "on-topic":
                tid = row[0].strip().strip("'")
                out.append(Tweet(twitter_time(int(tid)), tid, row[1].strip()))
    return sorted(out, key=lambda t: (t.at, t.id))


def pheme(data: Path) -> list[Tweet]:
    out = []
    for part in ("rumours", "non-rumours"):
        path = data / "pheme_germanwings" / f"germanwings-crash-all-rnr-threads.{part}.json"
        for d in json.loads(path.read_text(encoding="utf-8")):
            at = datetime.strptime(d["created_at"], "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
            out.append(Tweet(at, str(d["id_str"]), d["text"]))
    return sorted(out, key=lambda t: (t.at, t.id))


def airline(data: Path) -> dict[str, list[Tweet]]:
    seen: set[str] = set()
    out: dict[str, list[Tweet]] = {}
    with (data / "airline" / "Tweets-before-2015-02-21.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["tweet_id"] in seen:
                continue
            seen.add(row["tweet_id"])
            at = datetime.strptime(row["tweet_created"], "%Y-%m-%d %H:%M:%S %z").astimezone(UTC)
            out.setdefault(row["airline"], []).append(Tweet(at, row["tweet_id"], row["text"], row["name"]))
    for tweets in out.values():
        tweets.sort(key=lambda t: (t.at, t.id))
    return out


# -- shapes -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Shape:
    """A real crisis's volume curve: seconds after its onset, with texts to draw from."""

    name: str
    kind: str  # sudden | slow
    source: str
    offsets: list[float]
    texts: list[str]  # same length as offsets when aligned, else a pool to draw from
    aligned: bool
    hours: int

    def peak_hour(self) -> int:
        return max(Counter(int(o // 3600) for o in self.offsets).values())


def shapes(data: Path) -> dict[str, Shape]:
    out: dict[str, Shape] = {}
    for short, (event, known) in T26_SUDDEN.items():
        times = [t for t, _ in t26_times(data, event)]
        k = datetime.fromisoformat(known + ":00+00:00")
        origin = max(k, times[0])
        offsets = [(t - origin).total_seconds() for t in times
                   if origin <= t < origin + timedelta(hours=SUDDEN_HOURS)]
        _, related = t26_texts(data, event)
        out[short] = Shape(short, "sudden", f"CrisisLexT26 {event}", offsets, related, False, SUDDEN_HOURS)
    gw = pheme(data)
    out["germanwings"] = Shape("germanwings", "sudden", "PHEME Germanwings 4U9525",
                               [(t.at - gw[0].at).total_seconds() for t in gw
                                if t.at < gw[0].at + timedelta(hours=SUDDEN_HOURS)],
                               [t.text for t in gw if t.at < gw[0].at + timedelta(hours=SUDDEN_HOURS)],
                               True, SUDDEN_HOURS)
    for short, event in T6_SLOW.items():
        on = t6_on_topic(data, event)
        on = [t for t in on if t.at < on[0].at + timedelta(hours=SLOW_HOURS)]
        out[short] = Shape(short, "slow", f"CrisisLexT6 {event} (on-topic)",
                           [(t.at - on[0].at).total_seconds() for t in on], [t.text for t in on], True,
                           SLOW_HOURS)
    return out


# -- writing ----------------------------------------------------------------------------------
@dataclass
class Stream:
    name: str
    description: str
    posts: list[dict[str, object]] = field(default_factory=list)
    onsets: list[dict[str, str]] = field(default_factory=list)
    decoys: list[dict[str, str]] = field(default_factory=list)
    monitors: dict[str, str] = field(default_factory=dict)  # name -> query

    def write(self, out: Path) -> int:
        self.posts.sort(key=lambda p: (str(p["created_at"]), str(p["id"])))
        with (out / f"{self.name}.jsonl").open("w", encoding="utf-8") as f:
            for p in self.posts:
                f.write(json.dumps(p, ensure_ascii=False, sort_keys=True) + "\n")
        for suffix, rows in (("onsets", self.onsets), ("decoys", self.decoys)):
            with (out / f"{self.name}.{suffix}.jsonl").open("w", encoding="utf-8") as f:
                for row in sorted(rows, key=lambda r: (r["onset"], r["monitor"])):
                    f.write(json.dumps(row, sort_keys=True) + "\n")
        lines = [f"# {self.name}: {self.description}", "version: 1", "database:",
                 f"  path: {self.name}.db", "analysis:", "  enabled: true", "monitors:"]
        for name, query in self.monitors.items():
            lines += [f"  - name: {name}", f"    query: {json.dumps(query)}"]
        (out / f"{self.name}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return len(self.posts)


def brand_query(brand: str) -> str:
    return f"{brand} OR @{brand}"


def post(pid: str, at: datetime, text: str, rng: random.Random,
         author: str | None = None) -> dict[str, object]:
    handle = author or f"user{rng.randrange(10**7)}"
    followers = min(int(math.exp(rng.gauss(5.0, 1.6))), 20_000)  # small accounts: no influencer alerts
    return {"platform": "x", "id": pid, "created_at": iso(at), "text": text, "lang": None,
            "author": {"id": handle, "handle": handle, "followers": followers, "verified": False}}


def mention(brand: str, text: str) -> str:
    return f"@{brand} {text}"


def thin(tweets: Sequence[Tweet], keep: float, rng: random.Random) -> Iterator[Tweet]:
    for t in tweets:
        if rng.random() < keep:
            yield t


def background(stream: Stream, brand: str, tweets: Sequence[Tweet], keep: float, rng: random.Random) -> None:
    for t in thin(tweets, keep, rng):
        stream.posts.append(post(f"{brand}-bg-{t.id}", t.at, mention(brand, t.text), rng))


def inject(stream: Stream, brand: str, shape: Shape, onset: datetime, peak: float, rng: random.Random,
           stream_end: datetime) -> None:
    """The shape scaled so that its busiest hour holds ``peak`` posts, starting at ``onset``."""
    factor = peak / shape.peak_hour()
    n = 0
    for i, offset in enumerate(shape.offsets):
        copies = int(factor) + (rng.random() < factor - int(factor))
        for c in range(copies):
            at = onset + timedelta(seconds=offset + (rng.uniform(0, 120) if c else 0))
            if at >= stream_end:
                continue
            text = shape.texts[i] if shape.aligned else rng.choice(shape.texts)
            stream.posts.append(post(f"{brand}-ev-{n}", at, mention(brand, text), rng))
            n += 1
    end = min(onset + timedelta(hours=shape.hours), stream_end)
    stream.onsets.append({"monitor": brand, "onset": iso(onset), "end": iso(end),
                          "name": f"{shape.name} ({shape.kind})"})


def decoy_bursts(stream: Stream, brand: str, pool: Sequence[Tweet], start: datetime, end: datetime,
                 avoid: tuple[datetime, datetime], rng: random.Random, count: int = 3, size: int = 5) -> None:
    """Harmless bursts: ``size`` posts in 10 minutes, 3 h from the event and each other; none may alert."""
    placed = 0
    taken: list[datetime] = []
    while placed < count:
        at = start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds() - 3600))
        if avoid[0] - timedelta(hours=3) <= at <= avoid[1] + timedelta(hours=3):
            continue
        if any(abs(at - prev) < timedelta(hours=3) for prev in taken):
            continue  # two bursts close together are one bigger burst
        taken.append(at)
        for j in range(size):
            t = rng.choice(pool)
            when = at + timedelta(seconds=rng.uniform(0, 600))
            stream.posts.append(post(f"{brand}-decoy-{placed}-{j}", when, mention(brand, t.text), rng))
        stream.decoys.append({"monitor": brand, "onset": iso(at), "end": iso(at + timedelta(minutes=70)),
                              "name": f"decoy burst {placed + 1}: {size} posts in 10 min"})
        placed += 1


def alnum(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


# -- streams ----------------------------------------------------------------------------------
def injection_stream(name: str, description: str, bg: Sequence[Tweet], shapes_: dict[str, Shape],
                     chosen: Sequence[str], keep: float, peak: float, rng: random.Random,
                     prefix: str) -> Stream:
    stream = Stream(name, description)
    start, end = bg[0].at, bg[-1].at
    for short in chosen:
        shape = shapes_[short]
        brand = f"{prefix}{alnum(short)}"
        stream.monitors[brand] = brand_query(brand)
        background(stream, brand, bg, keep, rng)
        lo, hi = (7.25 * 24, 9.0 * 24) if shape.kind == "sudden" else (7.0 * 24, 8.25 * 24)
        onset = start + timedelta(hours=rng.uniform(lo, hi))
        onset = onset.replace(microsecond=0)
        inject(stream, brand, shape, onset, peak, rng, end)
        decoy_bursts(stream, brand, bg, start + timedelta(hours=12), end,
                     (onset, onset + timedelta(hours=shape.hours)), rng)
    return stream


def build(data: Path, out: Path, seed: int) -> list[tuple[str, int, int, str]]:
    out.mkdir(parents=True, exist_ok=True)
    en = mozetic(data, "eng")
    hours = (en[-1].at - en[0].at).total_seconds() / 3600
    native = len(en) / hours  # posts per hour
    sh = shapes(data)
    every = list(sh)
    streams: list[Stream] = []
    rate = {"busy": 0.85, "medium": 5 / native, "quiet": 3 / 24 / native}
    specs = [
        ("inject-busy", f"busy brand (~{0.85 * native:.0f}/h, Mozetič EN times), crises peaking at 6x",
         BUSY_SHAPES, rate["busy"], 6 * 0.85 * native, "busy"),
        ("inject-medium", "medium brand (~5/h), crises peaking at 30/h (6x)", every,
         rate["medium"], 30.0, "med"),
        ("inject-medium-weak", "medium brand (~5/h), weak crises peaking at 15/h (3x)", every,
         rate["medium"], 15.0, "weak"),
        ("inject-quiet", "quiet brand (~3/day), crises peaking at 15/h", every, rate["quiet"], 15.0, "quiet"),
    ]
    for i, (name, desc, chosen, keep, peak, prefix) in enumerate(specs):
        r = random.Random(seed * 1000 + i)
        streams.append(injection_stream(name, desc, en, sh, chosen, keep, peak, r, prefix))
    # negative controls: real calm streams, no event
    rng = random.Random(seed * 1000 + 100)
    ctl = Stream("control-mozetic-en", "Mozetič EN 2014-09-15..25 thinned to busy/medium/quiet, no event")
    for label, keep in rate.items():
        brand = f"calm{label}"
        ctl.monitors[brand] = brand_query(brand)
        background(ctl, brand, en, keep, rng)
    streams.append(ctl)
    de = [t for t in mozetic(data, "deu")
          if datetime(2014, 3, 28, tzinfo=UTC) <= t.at < datetime(2014, 4, 26, tzinfo=UTC)]
    trap = Stream("trap-gap-de", "Mozetič DE 2014-03-28..04-25: collection pauses 04-04..04-18 and resumes "
                  "(a collection change, not a crisis)")
    trap.monitors["calmde"] = brand_query("calmde")
    background(trap, "calmde", de, 1.0, random.Random(seed * 1000 + 101))
    streams.append(trap)
    for airline_name, tweets in sorted(airline(data).items()):
        handle = AIRLINES.get(airline_name)
        if handle is None:
            continue  # American: 3 tweets before 2015-02-21 in this copy
        s = Stream(f"control-airline-{handle}", f"@{handle} tweets 2015-02-17..20 as collected, no event")
        s.monitors[handle] = brand_query(handle)
        r = random.Random(seed * 1000 + 200 + len(streams))
        for t in tweets:
            s.posts.append(post(t.id, t.at, t.text, r, author=t.author))
        streams.append(s)
    # raw keyword collections: a new monitor, hours of chatter, then the event at its known time
    for short in RAW_T26:
        event, known = T26_SUDDEN[short]
        s = Stream(f"raw-{short}", f"CrisisLexT26 {event} keyword collection as collected; onset {known}Z")
        s.monitors["keywords"] = "platform:x"
        by_id, _ = t26_texts(data, event)
        pool = list(by_id.values())
        r = random.Random(seed * 1000 + 300 + len(streams))
        times = t26_times(data, event)
        for at, tid in times:
            s.posts.append(post(tid, at, by_id.get(tid) or r.choice(pool), r))
        k = datetime.fromisoformat(known + ":00+00:00")
        s.onsets.append({"monitor": "keywords", "onset": iso(k),
                         "end": iso(min(k + timedelta(hours=SUDDEN_HOURS), times[-1][0])),
                         "name": f"{short} (sudden, as collected)"})
        streams.append(s)
    summary = []
    for s in streams:
        n = s.write(out)
        summary.append((s.name, n, len(s.onsets), s.description))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    repo = Path(__file__).resolve().parents[1]
    if args.out.resolve().is_relative_to(repo):
        parser.error(f"--out {args.out} is inside the repository; the data must not be copied there")
    total = 0
    for name, n, events, description in build(args.data, args.out, args.seed):
        total += n
        print(f"{name:28} {n:7d} posts {events:3d} events  {description}")
    print(f"{total} posts in {args.out}")


if __name__ == "__main__":
    main()
