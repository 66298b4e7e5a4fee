"""How situations group into crises on the demo's scenario: one crisis per real event is the target.

    python bench/eval_crises.py [--seed 7] [--calm-days 7] [--crisis-days 2]

Replays the demo's generated Voltaro scenario (a battery-fire crisis after calm days, with the
everyday noise of several monitors) through ``crisisdesk replay --events-out`` on a fresh SQLite
file, then reads the lifecycle: how many situations, how many crises, which situations are in none,
each crisis's monitors and severity, and how long after the first fire report each crisis opened.
The baseline in the same run is the situation count: without grouping, each would be a card.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import orjson

from crisisdesk.demo.scenario import DEFAULT_START, generate_scenario
from crisisdesk.demo.workspace import workspace_yaml

#: A fire report, in either language ("Brand" is left out: in English it is the brand).
FIRE_WORDS = ("brenn", "feuer", "fire", "flamm", "flame", "qualm", "smoke", "rauch", "explodi")
#: … about the watched brand (the scenario's first fire reports are about other e-scooters).
BRAND_WORDS = ("voltaro", "pulse")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--calm-days", type=int, default=7)
    parser.add_argument("--crisis-days", type=int, default=2)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="crisisdesk-eval-crises-"))
    (folder / "crisisdesk.yaml").write_text(workspace_yaml(), encoding="utf-8")
    scenario = folder / "scenario.jsonl"
    first_fire: datetime | None = None
    first_brand_fire: datetime | None = None
    crisis_days_start = DEFAULT_START + timedelta(days=args.calm_days)
    with scenario.open("wb") as f:
        for post in generate_scenario(seed=args.seed, calm_days=args.calm_days, crisis_days=args.crisis_days):
            f.write(orjson.dumps(post) + b"\n")
            text = str(post.get("text", "")).lower()
            at = datetime.fromisoformat(post["created_at"])
            if first_fire is None and at >= crisis_days_start and any(w in text for w in FIRE_WORDS):
                first_fire = at
                print(f"first fire report: {at.isoformat()} {text[:100]!r}")
            if (first_brand_fire is None and at >= crisis_days_start and any(w in text for w in FIRE_WORDS)
                    and any(b in text for b in BRAND_WORDS)):
                first_brand_fire = at
                print(f"first fire report naming the brand: {at.isoformat()} {text[:100]!r}")
    events_path = folder / "events.jsonl"
    env = {**os.environ, "CRISISDESK_DATABASE_URL": f"sqlite:///{folder / 'crisisdesk.db'}"}
    subprocess.run([sys.executable, "-m", "crisisdesk.cli.main", "replay", str(scenario), "--config",
                    str(folder / "crisisdesk.yaml"), "--speed", "max", "--events-out", str(events_path)],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    events = [json.loads(line) for line in events_path.read_text().splitlines()]
    situations = {e["situation"]: e for e in events if e["event"].startswith("alert.")}
    crises: dict[int, dict[str, object]] = {}
    opened_at: dict[int, datetime] = {}
    for e in events:
        if e["event"].startswith("crisis."):
            crises[e["crisis"]] = e
            if e["event"] == "crisis.opened":
                opened_at[e["crisis"]] = datetime.fromisoformat(e["at"])
    grouped = {s for c in crises.values() for s in c["situations"]}  # type: ignore[attr-defined]
    alone = sorted(set(situations) - grouped)
    print(f"situations: {len(situations)} (each a card without grouping); first fire report {first_fire}")
    cards = len(crises) + len(alone)
    print(f"crises: {len(crises)}   situations in none: {len(alone)}   "
          f"cards now: {cards} (ratio {cards / max(1, len(situations)):.2f})")
    for cid, c in sorted(crises.items()):
        late = ""
        if first_fire is not None and cid in opened_at:
            minutes = (opened_at[cid] - first_fire).total_seconds() / 60
            late = f", opened {minutes:+.0f} min after the first fire report"
            if first_brand_fire is not None:
                brand = (opened_at[cid] - first_brand_fire).total_seconds() / 60
                late += f" ({brand:+.0f} min after the first naming the brand)"
        print(f"  crisis #{cid}: severity {c['severity']}, type {c.get('type')}, "
              f"{len(c['situations'])} situations, "  # type: ignore[arg-type]
              f"monitors {', '.join(c['monitors'])}{late}")  # type: ignore[arg-type]
    for sid in alone:
        s = situations[sid]
        print(f"  alone: situation #{sid} {s.get('monitor')} {s.get('cause')} severity {s.get('severity')}")


if __name__ == "__main__":
    main()
