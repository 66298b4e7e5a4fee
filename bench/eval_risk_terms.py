"""How often the default high-risk phrases open a keyword situation on streams without an event.

    python bench/detection_streams.py          # writes /tmp/crisisdesk-detection-streams
    python bench/eval_risk_terms.py [--streams /tmp/crisisdesk-detection-streams]

Replays each ``control-*`` stream (real brand tweets, no crisis) twice in one run: with the
shipped default high-risk list, and with the list before fire, health, death and discrimination
phrases were added (the baseline). Prints keyword situations opened per stream and per
monitor-day, and the ratio of the two.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import yaml

from crisisdesk.detection.config import DEFAULT_HIGH_RISK

#: The list before the crisis workflow (issue 14) added fire, health, death and discrimination.
BEFORE = DEFAULT_HIGH_RISK[: DEFAULT_HIGH_RISK.index("feuerwehr")]


def keyword_openings(stream: Path, config: Path, terms: tuple[str, ...]) -> tuple[int, float]:
    folder = Path(tempfile.mkdtemp(prefix="crisisdesk-risk-"))
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data.pop("database", None)
    data.setdefault("detection", {})["high_risk_terms"] = list(terms)
    ws = folder / "crisisdesk.yaml"
    ws.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    events = folder / "events.jsonl"
    env = {**os.environ, "CRISISDESK_DATABASE_URL": f"sqlite:///{folder / 'db.sqlite'}"}
    subprocess.run([sys.executable, "-m", "crisisdesk.cli.main", "replay", str(stream), "--config", str(ws),
                    "--speed", "max", "--events-out", str(events)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    opened = sum(1 for line in events.read_text().splitlines()
                 if (e := json.loads(line))["event"] == "alert.opened" and e.get("cause") == "keyword")
    times = [json.loads(line)["created_at"] for line in stream.read_text().splitlines() if line.strip()]
    days = (datetime.fromisoformat(max(times)) - datetime.fromisoformat(min(times))).total_seconds() / 86400
    return opened, max(days, 1 / 24) * len(data.get("monitors", [1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=Path, default=Path("/tmp/crisisdesk-detection-streams"))
    args = parser.parse_args()
    totals = {"before": [0, 0.0], "now": [0, 0.0]}
    print(f"{'stream':38} {'before':>8} {'now':>8}  (keyword situations opened)")
    for config in sorted(args.streams.glob("control-*.yaml")):
        stream = config.with_suffix(".jsonl")
        before = keyword_openings(stream, config, BEFORE)
        now = keyword_openings(stream, config, DEFAULT_HIGH_RISK)
        for key, (n, days) in (("before", before), ("now", now)):
            totals[key][0] += n
            totals[key][1] = totals[key][1] + days
        print(f"{config.stem:38} {before[0]:>8} {now[0]:>8}")
    per_day = {k: v[0] / v[1] if v[1] else 0.0 for k, v in totals.items()}
    ratio = per_day["now"] / per_day["before"] if per_day["before"] else float("nan")
    print(f"per monitor-day: before {per_day['before']:.2f}, now {per_day['now']:.2f} (ratio {ratio:.2f}; "
          f"{totals['now'][1]:.1f} monitor-days)")


if __name__ == "__main__":
    main()
