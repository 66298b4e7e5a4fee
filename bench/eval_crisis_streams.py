"""How situations group into crises on the labelled streams: one crisis per real event, none merged.

Build the detection streams first, then::

    python bench/detection_streams.py
    python bench/eval_crisis_streams.py [--streams /tmp/crisisdesk-detection-streams] [--seed 7] [--jobs 1]

Why: issue 14 asks for evidence beyond the demo's scenario (``bench/eval_crises.py``). The detection
streams watch each event with one monitor, so this script also builds (from the same real data in
../shared/data, into ``--multi-out``, never into the repository) streams in which **several monitors
watch one event** (a brand, a place, a flight number, a hashtag of the same crash), one monitor
watches two events a day apart, an unrelated event runs at the same time on other monitors, and a
monitor has only its everyday chatter. Every stream is replayed through the whole product
(``crisisdesk replay --speed max --events-out``, analysis on) into a fresh SQLite file, as a user
runs it; then the crisis lifecycle events and the stored join reasons are scored against the labels:

* **crises per event** (target 1): the crises holding a situation of one of the event's monitors
  that is active inside the event's window (onset − 30 min … end); 0 is a missed event;
* **wrong merges** (target 0): crises that touch two different labelled events;
* **false crises**: crises that touch no event, per monitor-day of stream time;
* per event, the highest **severity** and the **type** its crises reached inside the window, next
  to the severity a communications lead of the organisation the monitors name would give it
  (:data:`JUSTIFIED`, argued in docs/crises.md), and how long after the onset the first crisis
  covered it.

Deterministic for a seed (the streams are, and the replay is). Prints a table per stream, totals
and the details of every split and wrong merge (which situations, how they joined); writes all of
it as JSON to ``--json-out``. docs/crises.md holds a run of it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import detection_streams as ds

STREAMS = ds.OUT
MULTI_OUT = Path("/tmp/crisisdesk-crisis-streams")
JSON_OUT = Path("/tmp/crisisdesk-crisis-streams-results.json")
#: The scoring window opens this long before the labelled onset (as crisisdesk eval detection).
LEAD = timedelta(minutes=30)

#: The severity (1 watch, 2 issue, 3 crisis, 4 severe crisis) a communications lead of the
#: organisation the monitors name would give each event, and why; docs/crises.md argues each.
JUSTIFIED: dict[str, tuple[int, str]] = {
    "glasgow": (4, "police helicopter into a full pub, 10 dead; the operator's aircraft, the venue"),
    "laairport": (4, "gunman in a terminal, a TSA officer killed, airport shut; own staff and site"),
    "spaintrain": (4, "high-speed train derailed, 79 dead; the operator's safety in question"),
    "westtexas": (4, "fertilizer plant explodes, 15 dead, 160 injured; the plant's negligence"),
    "nytrain": (4, "commuter train derailed, 4 dead, 60+ injured; the operator's safety"),
    "germanwings": (4, "airliner crashed, 150 dead; the airline, its parent and the maker"),
    "meteor": (3, "about 1,500 hurt by glass, nobody to blame; duty of care, not reputation"),
    "bohol": (3, "M7.2 earthquake, 222 dead; natural disaster: duty of care, no blame"),
    "costarica": (2, "M7.6 earthquake, 2 dead, little damage; check on people, pause campaigns"),
    "guatemala": (3, "M7.4 earthquake, 39+ dead, thousands homeless; duty of care"),
    "sandy": (3, "hurricane, dozens dead, millions without power; duty of care, slow"),
    "alberta": (3, "floods, 5 dead, 100,000 evacuated; duty of care, slow"),
    "queensland": (3, "floods after a cyclone, 6 dead, towns evacuated; duty of care, slow"),
}


def event_key(name: str) -> str:
    """``spaintrain (sudden)`` → ``spaintrain``."""
    return name.split(" ", 1)[0]


# -- multi-monitor streams ----------------------------------------------------------------------
@dataclass(frozen=True)
class Watch:
    """A monitor: its name (also the handle its everyday chatter mentions) and what else it matches."""

    name: str
    query: str


@dataclass(frozen=True)
class Placed:
    """An event put into a multi-monitor stream ``hours`` after the background's start."""

    shape: str
    hours: float
    monitors: tuple[str, ...]


@dataclass(frozen=True)
class MultiSpec:
    name: str
    description: str
    watches: tuple[Watch, ...]
    events: tuple[Placed, ...]


MULTI = (
    MultiSpec(
        "multi-aviation",
        "Germanwings 4U9525 watched by four monitors (airline, parent, maker, flight number); 26 h "
        "later the LAX shooting watched by two (airport, TSA); one calm brand",
        (Watch("germanwings", "germanwings"), Watch("lufthansa", "lufthansa"),
         Watch("airbus", "airbus OR a320"), Watch("flight4u9525", "4u9525 OR #4u9525"),
         Watch("lax", "lax OR #lax"), Watch("tsa", "tsa OR #tsa"), Watch("calmbrand", "")),
        (Placed("germanwings", 7.4 * 24, ("germanwings", "lufthansa", "airbus", "flight4u9525")),
         Placed("laairport", 7.4 * 24 + 26, ("lax", "tsa"))),
    ),
    MultiSpec(
        "multi-rail",
        "Spain train crash watched by three monitors (city, region, a rail-accident monitor); 2 h "
        "later the Glasgow helicopter crash on two others (the pub, police); 31 h after Spain the NY "
        "train crash on three (operator, borough, the same rail-accident monitor); one calm brand",
        (Watch("santiago", "santiago OR compostela"), Watch("galicia", "galicia"),
         Watch("traincrash", 'derail* OR "train crash"'),
         Watch("metronorth", '"metro-north" OR metronorth OR "metro north"'), Watch("bronx", "bronx"),
         Watch("clutha", "clutha"), Watch("policescotland", "police"), Watch("calmbrand", "")),
        (Placed("spaintrain", 7.3 * 24, ("santiago", "galicia", "traincrash")),
         Placed("glasgow", 7.3 * 24 + 2, ("clutha", "policescotland")),
         Placed("nytrain", 7.3 * 24 + 31, ("metronorth", "bronx", "traincrash"))),
    ),
)
#: Everyday chatter per monitor (posts an hour, a little below ``inject-medium``'s 5: the monitors
#: split the 34/h background between them) and each event's busiest hour over all its posts (each
#: monitor sees the share of them that names it).
CHATTER_PER_HOUR, EVENT_PEAK = 4.0, 120.0


def build_multi(data: Path, out: Path, seed: int) -> list[str]:
    """Write the :data:`MULTI` streams into ``out`` (same files as bench/detection_streams.py)."""
    out.mkdir(parents=True, exist_ok=True)
    en = ds.mozetic(data, "eng")
    native = len(en) / ((en[-1].at - en[0].at).total_seconds() / 3600)
    shapes = ds.shapes(data)
    names = []
    for i, spec in enumerate(MULTI):
        rng = random.Random(seed * 1000 + 500 + i)
        stream = ds.Stream(spec.name, spec.description)
        start, end = en[0].at, en[-1].at
        for w in spec.watches:
            stream.monitors[w.name] = f"@{w.name} OR ({w.query})" if w.query else f"@{w.name}"
        # Everyday chatter: each background tweet goes to one monitor at most (different brands are
        # talked about by different people), so calm monitors share neither posts nor texts.
        keep = CHATTER_PER_HOUR * len(spec.watches) / native
        for t in en:
            if rng.random() < keep:
                w = rng.choice(spec.watches)
                stream.posts.append(ds.post(f"{w.name}-bg-{t.id}", t.at, ds.mention(w.name, t.text), rng))
        for placed in spec.events:
            shape = shapes[placed.shape]
            onset = (start + timedelta(hours=placed.hours)).replace(microsecond=0)
            factor = EVENT_PEAK / shape.peak_hour()
            n = 0
            for j, offset in enumerate(shape.offsets):
                copies = int(factor) + (rng.random() < factor - int(factor))
                for c in range(copies):
                    at = onset + timedelta(seconds=offset + (rng.uniform(0, 120) if c else 0))
                    if at >= end:
                        continue
                    text = shape.texts[j] if shape.aligned else rng.choice(shape.texts)
                    # As posted: no brand prefix, so each monitor gets the posts that name it.
                    stream.posts.append(ds.post(f"{placed.shape}-{n}", at, text, rng))
                    n += 1
            stream.onsets.append({
                "monitor": placed.monitors[0], "monitors": ",".join(placed.monitors), "onset": ds.iso(onset),
                "end": ds.iso(min(onset + timedelta(hours=shape.hours), end)),
                "name": f"{shape.name} ({shape.kind})"})
        stream.write(out)
        names.append(spec.name)
    return names


# -- replay and scoring -------------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    name: str
    monitors: frozenset[str]
    onset: datetime
    end: datetime


def parse_at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def load_events(path: Path) -> list[Event]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        monitors = str(row.get("monitors") or row["monitor"]).split(",")
        out.append(Event(str(row["name"]), frozenset(monitors), parse_at(row["onset"]),
                         parse_at(row.get("end") or row["onset"])))
    return out


def replay(stream: Path, config: Path, folder: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The lifecycle events (sorted by time) and the stored join of every situation to its crisis."""
    events_path = folder / "events.jsonl"
    db = folder / "crisisdesk.db"
    env = {**os.environ, "CRISISDESK_DATABASE_URL": f"sqlite:///{db}"}
    subprocess.run([sys.executable, "-m", "crisisdesk.cli.main", "replay", str(stream), "--config",
                    str(config), "--speed", "max", "--events-out", str(events_path)],
                   env=env, check=True, stdout=subprocess.DEVNULL, cwd=folder)
    events = [json.loads(line) for line in events_path.read_text(encoding="utf-8").splitlines() if line]
    order = {"alert.opened": 0, "alert.updated": 1, "crisis.opened": 2, "crisis.updated": 3,
             "alert.resolved": 4, "crisis.resolved": 5}
    events.sort(key=lambda e: (parse_at(e["at"]), order.get(e["event"], 9)))
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT cs.situation_id, cs.crisis_id, cs.joined_at, cs.reason, s.cause, m.name "
            "FROM crisis_situations cs JOIN situations s ON s.id = cs.situation_id "
            "JOIN monitors m ON m.id = s.monitor_id ORDER BY cs.situation_id").fetchall()
    joins = [{"situation": r[0], "crisis": r[1], "joined_at": str(r[2]), "reason": json.loads(r[3] or "{}"),
              "cause": r[4], "monitor": r[5]} for r in rows]
    return events, joins


def stream_span(path: Path) -> tuple[datetime, datetime]:
    first = last = None
    with path.open(encoding="utf-8") as f:
        for line in f:
            at = parse_at(json.loads(line)["created_at"])
            first = at if first is None or at < first else first
            last = at if last is None or at > last else last
    if first is None or last is None:
        raise SystemExit(f"{path}: no posts")
    return first, last


def intervals(events: list[dict[str, Any]], end: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each situation's open spells: from opened (or reopened) to resolved, else the stream's end."""
    spells: dict[int, list[tuple[datetime, datetime]]] = {}
    opened: dict[int, datetime] = {}
    for e in events:
        if not e["event"].startswith("alert."):
            continue
        sid, at = int(e["situation"]), parse_at(e["at"])
        if e["event"] == "alert.resolved":
            if sid in opened:
                spells.setdefault(sid, []).append((opened.pop(sid), at))
        elif sid not in opened:
            opened[sid] = at
    for sid, at in opened.items():
        spells.setdefault(sid, []).append((at, max(at, end)))
    return spells


def score_stream(name: str, stream_dir: Path, seed: int) -> dict[str, Any]:
    del seed  # the streams carry it; kept so that every job has the same signature
    labelled = load_events(stream_dir / f"{name}.onsets.jsonl")
    start, end = stream_span(stream_dir / f"{name}.jsonl")
    with tempfile.TemporaryDirectory(prefix=f"crisisdesk-eval-{name}-") as tmp:
        events, joins = replay(stream_dir / f"{name}.jsonl", stream_dir / f"{name}.yaml", Path(tmp))
    monitors_of: dict[int, str] = {}
    opening_terms: dict[int, list[str]] = {}
    for e in events:
        if e["event"].startswith("alert."):
            monitors_of[int(e["situation"])] = str(e["monitor"])
            if e["event"] == "alert.opened":
                opening_terms.setdefault(int(e["situation"]), [str(t) for t in e.get("top_terms", [])])
    spells = intervals(events, end)
    crisis_events: dict[int, list[dict[str, Any]]] = {}
    for e in events:
        if e["event"].startswith("crisis."):
            crisis_events.setdefault(int(e["crisis"]), []).append(e)
    members = {cid: sorted({s for e in evs for s in e["situations"]}) for cid, evs in crisis_events.items()}

    def touches(cid: int, ev: Event) -> bool:
        lo, hi = ev.onset - LEAD, ev.end
        return any(monitors_of.get(s) in ev.monitors
                   and any(a <= hi and b >= lo for a, b in spells.get(s, [])) for s in members[cid])

    per_event: list[dict[str, Any]] = []
    touched: dict[int, list[int]] = {cid: [] for cid in crisis_events}
    for k, ev in enumerate(labelled):
        cids = [cid for cid in sorted(crisis_events) if touches(cid, ev)]
        for cid in cids:
            touched[cid].append(k)
        inside = [e for cid in cids for e in crisis_events[cid] if parse_at(e["at"]) <= ev.end]
        first = min((parse_at(e["at"]) for e in inside if parse_at(e["at"]) >= ev.onset - LEAD), default=None)
        top = max((e for e in inside), key=lambda e: (int(e["severity"]), e["at"]), default=None)
        types = Counter(str(e["type"]) for e in inside if e.get("type"))
        key = event_key(ev.name)
        justified = JUSTIFIED.get(key, (0, ""))[0]
        situations = sorted({s for s in monitors_of if monitors_of[s] in ev.monitors
                             and any(a <= ev.end and b >= ev.onset - LEAD for a, b in spells.get(s, []))})
        per_event.append({
            "name": ev.name, "monitors": sorted(ev.monitors), "onset": ev.onset.isoformat(), "crises": cids,
            "situations": len(situations),
            "situations_in_no_crisis": len([s for s in situations if not any(s in members[c] for c in cids)]),
            "covered_after_minutes": (None if first is None
                                      else round((first - ev.onset).total_seconds() / 60)),
            "max_severity": None if top is None else int(top["severity"]),
            "type": top.get("type") if top is not None else None,
            "reasons": [] if top is None else [str(r.get("en")) for r in top.get("reasons", [])],
            "types_seen": sorted(types), "justified": justified})
    wrong = [cid for cid, ks in touched.items() if len({labelled[k].name for k in ks}) > 1]
    false = [cid for cid, ks in touched.items() if not ks]
    days = (end - start).total_seconds() / 86400
    monitor_names = {str(j) for j in _monitors(stream_dir / f"{name}.yaml")}
    situations_total = len(monitors_of)
    grouped = {s for m in members.values() for s in m}
    reasons = Counter(str(j["reason"].get("kind")) for j in joins)

    def detail(cid: int) -> dict[str, Any]:
        last = crisis_events[cid][-1]
        return {"crisis": cid, "severity": max(int(e["severity"]) for e in crisis_events[cid]),
                "type": last.get("type"), "title": last.get("title"),
                "events": sorted({labelled[k].name for k in touched[cid]}),
                "opened": crisis_events[cid][0]["at"],
                "situations": [{"situation": j["situation"], "monitor": j["monitor"], "cause": j["cause"],
                                "joined_at": j["joined_at"], "reason": j["reason"],
                                "opening_terms": opening_terms.get(int(j["situation"]), [])[:8]}
                               for j in joins if j["crisis"] == cid]}

    split_ids = sorted({c for pe in per_event if len(pe["crises"]) > 1 for c in pe["crises"]})
    return {
        "stream": name, "monitors": len(monitor_names), "days": round(days, 2), "events": per_event,
        "crises": len(crisis_events), "situations": situations_total,
        "situations_in_no_crisis": situations_total - len(grouped & set(monitors_of)),
        "wrong_merges": [detail(c) for c in sorted(wrong)],
        "splits": [detail(c) for c in split_ids],
        "false_crises": [detail(c) for c in sorted(false)],
        "false_crises_per_monitor_day": len(false) / (days * len(monitor_names)) if days else 0.0,
        "join_reasons": dict(sorted(reasons.items())),
    }


def _monitors(config: Path) -> list[str]:
    return re.findall(r"^  - name: (\S+)$", config.read_text(encoding="utf-8"), flags=re.M)


# -- printing -----------------------------------------------------------------------------------
def fmt(v: object) -> str:
    return "–" if v is None else str(v)


def event_table(results: list[dict[str, Any]]) -> str:
    lines = ["| stream | event | monitors | crises | situations (in none) | covered after (min) "
             "| max severity / justified | type |",
             "| --- | --- | --- | ---: | --- | ---: | --- | --- |"]
    for r in results:
        for e in r["events"]:
            sev = f"{fmt(e['max_severity'])} / {e['justified'] or '–'}"
            lines.append(f"| {r['stream']} | {e['name']} | {', '.join(e['monitors'])} | {len(e['crises'])} | "
                         f"{e['situations']} ({e['situations_in_no_crisis']}) | "
                         f"{fmt(e['covered_after_minutes'])} | {sev} | {fmt(e['type'])} |")
    return "\n".join(lines)


def stream_table(results: list[dict[str, Any]]) -> str:
    lines = ["| stream | monitors × days | events | one crisis | split (>1) | missed (0) | wrong merges "
             "| false crises (per monitor-day) | crises | situations (in none) "
             "| joins: monitor / posts / terms |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | --- |"]
    for r in results:
        counts = [len(e["crises"]) for e in r["events"]]
        j = r["join_reasons"]
        lines.append(
            f"| {r['stream']} | {r['monitors']} × {r['days']:.1f} | {len(counts)} | {counts.count(1)} | "
            f"{sum(1 for c in counts if c > 1)} | {counts.count(0)} | {len(r['wrong_merges'])} | "
            f"{len(r['false_crises'])} ({r['false_crises_per_monitor_day']:.3f}) | {r['crises']} | "
            f"{r['situations']} ({r['situations_in_no_crisis']}) | "
            f"{j.get('monitor', 0)} / {j.get('posts', 0)} / {j.get('terms', 0)} |")
    return "\n".join(lines)


def totals(results: list[dict[str, Any]]) -> str:
    events = [e for r in results for e in r["events"]]
    counts = [len(e["crises"]) for e in events]
    rated = [e for e in events if e["max_severity"] is not None]
    md = sum(r["days"] * r["monitors"] for r in results)
    false = sum(len(r["false_crises"]) for r in results)
    calm = [r for r in results if not r["events"]]
    calm_md = sum(r["days"] * r["monitors"] for r in calm)
    calm_false = sum(len(r["false_crises"]) for r in calm)
    sev = Counter((e["max_severity"] or 0) - e["justified"] for e in rated if e["justified"])
    lines = [
        f"events: {len(events)}; one crisis: {counts.count(1)}; split: {sum(1 for c in counts if c > 1)} "
        f"(crises on them: {sum(c for c in counts if c > 1)}); missed: {counts.count(0)}",
        f"wrong merges (crises spanning two labelled events): {sum(len(r['wrong_merges']) for r in results)}",
        f"false crises: {false} over {md:.0f} monitor-days ({false / md if md else 0:.3f} per monitor-day); "
        f"on the calm controls {calm_false} over {calm_md:.0f} "
        f"({calm_false / calm_md if calm_md else 0:.3f})",
        "severity against the justified one (rated events): "
        + ", ".join(f"{d:+d}: {n}" for d, n in sorted(sev.items())),
        "types: " + ", ".join(f"{t}: {n}" for t, n in Counter(str(e["type"]) for e in rated).most_common()),
    ]
    return "\n".join(lines)


def details(results: list[dict[str, Any]]) -> str:
    out = []
    for r in results:
        for kind in ("wrong_merges", "splits"):
            for c in r[kind]:
                out.append(f"{r['stream']} {kind[:-1].replace('_', ' ')}: crisis #{c['crisis']} severity "
                           f"{c['severity']} type {c['type']} opened {c['opened']} events {c['events']}")
                for s in c["situations"]:
                    reason = {k: v for k, v in s["reason"].items() if k != "text"}
                    out.append(f"    situation #{s['situation']} {s['monitor']}/{s['cause']} joined "
                               f"{s['joined_at']}: {json.dumps(reason, ensure_ascii=False)}; opened on "
                               f"{', '.join(s['opening_terms'])}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--streams", type=Path, default=STREAMS,
                        help="Output of bench/detection_streams.py (built first).")
    parser.add_argument("--data", type=Path, default=ds.DATA)
    parser.add_argument("--multi-out", type=Path, default=MULTI_OUT,
                        help="Where the multi-monitor streams are built (outside the repository).")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--only", nargs="*", help="Stream names (default: all).")
    parser.add_argument("--json-out", type=Path, default=JSON_OUT)
    args = parser.parse_args()
    repo = Path(__file__).resolve().parents[1]
    if args.multi_out.resolve().is_relative_to(repo):
        parser.error(f"--multi-out {args.multi_out} is inside the repository; "
                     "the data must not be copied there")
    if not any(args.streams.glob("*.yaml")):
        parser.error(f"no streams in {args.streams}: run python bench/detection_streams.py first")
    jobs = [(p.name.removesuffix(".yaml"), args.streams) for p in sorted(args.streams.glob("*.yaml"))]
    jobs += [(n, args.multi_out) for n in build_multi(args.data, args.multi_out, args.seed)]
    if args.only:
        jobs = [j for j in jobs if j[0] in args.only]
    names, dirs = zip(*jobs, strict=True) if jobs else ((), ())
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(score_stream, names, dirs, [args.seed] * len(names)))
    args.json_out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(totals(results))
    print()
    print(stream_table(results))
    print()
    print(event_table(results))
    print()
    print(details(results))


if __name__ == "__main__":
    main()
