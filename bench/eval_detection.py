"""Every detection method and a few guard and CUSUM settings over every labelled stream.

Build the streams first (``python bench/detection_streams.py``), then::

    python bench/eval_detection.py [--streams /tmp/crisisdesk-detection-streams] [--jobs 2]

Each (setting, stream) pair is one replay through the whole pipeline (analysis included) into a
fresh temporary database, scored like ``crisisdesk eval detection --cause spike``: volume and
negativity spikes only, because keyword and influencer alerts do not depend on the method. The
table shows per stream and setting: events detected / total, median and p90 delay (minutes),
false alarms per monitor-day (spike alerts outside every event window), and how many harmless
decoy bursts raised an alert. docs/detection.md holds a run of it.
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crisisdesk.cli.detection_cmds import replay_alerts
from crisisdesk.detection.evaluation import ScoringOptions, load_onsets, score
from crisisdesk.settings import load_settings
from crisisdesk.workspace import load_workspace

STREAMS = Path("/tmp/crisisdesk-detection-streams")
SPIKE_ONLY = ScoringOptions(causes=frozenset({"spike"}))


@dataclass(frozen=True)
class Setting:
    label: str
    overrides: dict[str, Any]


SETTINGS = (
    Setting("prev12", {"method": "prev12"}),
    Setting("seasonal", {"method": "seasonal"}),
    Setting("multiscale", {"method": "multiscale"}),
    Setting("prev12 z6", {"method": "prev12", "min_z": 6.0}),
    Setting("seasonal z6", {"method": "seasonal", "min_z": 6.0}),
    Setting("multiscale z6", {"method": "multiscale", "min_z": 6.0}),
    Setting("multiscale z6 ratio3", {"method": "multiscale", "min_z": 6.0, "min_ratio": 3.0}),
    # The sustained-rise CUSUM (on by default, shift 3, threshold 6): off, and other settings.
    *(Setting(f"{method} z6 no cusum", {"method": method, "min_z": 6.0, "cusum": {"enabled": False}})
      for method in ("prev12", "seasonal", "multiscale")),
    *(Setting(f"multiscale z6 cusum {shift:g}/{threshold:g}",
              {"method": "multiscale", "min_z": 6.0, "cusum": {"shift": shift, "threshold": threshold}})
      for shift, threshold in ((1.5, 5.0), (1.5, 8.0), (2.0, 6.0), (3.0, 5.0), (3.0, 8.0), (4.0, 5.0))),
)


def run_one(streams: Path, stream: str, setting: Setting) -> dict[str, Any]:
    settings = load_settings().model_copy(update={"database_url": None})
    workspace = load_workspace(streams / f"{stream}.yaml", settings)
    # Validated like a workspace file, so a nested override (``cusum: {...}``) becomes its model.
    current = workspace.config.detection
    detection = type(current).model_validate(current.model_dump() | setting.overrides)
    config = workspace.config.model_copy(update={"detection": detection})
    workspace = type(workspace)(path=workspace.path, config=config, database_url=workspace.database_url)
    outcome = replay_alerts(streams / f"{stream}.jsonl", workspace, settings)
    onsets = load_onsets(streams / f"{stream}.onsets.jsonl")
    card = score(outcome.alerts, onsets, start=outcome.start, end=outcome.end, options=SPIKE_ONLY,
                 monitors=outcome.monitors)
    decoys = load_onsets(streams / f"{stream}.decoys.jsonl")
    hit = sum(1 for d in decoys if any(a.monitor == d.monitor and d.onset <= a.at <= (d.end or d.onset)
                                       for a in card.false_alarms))
    all_causes = score(outcome.alerts, onsets, start=outcome.start, end=outcome.end,
                       monitors=outcome.monitors)
    return {"stream": stream, "setting": setting.label, "overrides": setting.overrides, "posts": outcome.read,
            "decoys": len(decoys), "decoys_alerted": hit,
            "false_alarms_all_causes": all_causes.summary.false_alarms, **card.as_dict()}


def fmt(v: float | None, digits: int = 0) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| stream | setting | detected | median delay (min) | p90 delay (min) "
             "| false alarms / monitor-day | false alarms (count) | decoy bursts alerted |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        s = r["summary"]
        detected = f"{s['detected']}/{s['events']}" if s["events"] else "–"
        decoys = f"{r['decoys_alerted']}/{r['decoys']}" if r["decoys"] else "–"
        lines.append(f"| {r['stream']} | {r['setting']} | {detected} | {fmt(s['median_delay_minutes'])} | "
                     f"{fmt(s['p90_delay_minutes'])} | {s['false_alarms_per_monitor_day']:.2f} | "
                     f"{s['false_alarms']} | {decoys} |")
    return "\n".join(lines)


def totals(results: list[dict[str, Any]]) -> str:
    """Per setting over all streams: events, delays, false alarms per monitor-day on calm data."""
    from crisisdesk.detection.evaluation import quantile

    lines = ["| setting | detected | median delay (min) | p90 delay (min) | sudden: median / p90 "
             "| slow: median | FA / monitor-day, injected | FA / monitor-day, controls | decoys alerted |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for setting in dict.fromkeys(r["setting"] for r in results):
        rows = [r for r in results if r["setting"] == setting]
        events = [e for r in rows for e in r["events"]]
        delays = [e["delay_minutes"] for e in events if e["delay_minutes"] is not None]
        sudden = [d for e in events if (d := e["delay_minutes"]) is not None and "sudden" in e["name"]]
        slow = [d for e in events if (d := e["delay_minutes"]) is not None and "slow" in e["name"]]

        def fa(group: list[dict[str, Any]]) -> float:
            md = sum(r["summary"]["days"] * r["summary"]["monitors"] for r in group)
            return sum(r["summary"]["false_alarms"] for r in group) / md if md else 0.0

        injected = [r for r in rows if r["stream"].startswith("inject-")]
        controls = [r for r in rows if r["stream"].startswith("control-")]
        decoys = sum(r["decoys"] for r in rows)
        lines.append(
            f"| {setting} | {len(delays)}/{len(events)} | {fmt(quantile(delays, 0.5))} | "
            f"{fmt(quantile(delays, 0.9))} | {fmt(quantile(sudden, 0.5))} / {fmt(quantile(sudden, 0.9))} | "
            f"{fmt(quantile(slow, 0.5))} | {fa(injected):.3f} | {fa(controls):.3f} | "
            f"{sum(r['decoys_alerted'] for r in rows)}/{decoys} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=Path, default=STREAMS)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="Stream names (default: all in --streams).")
    parser.add_argument("--settings", nargs="*", help="Setting labels (default: all).")
    parser.add_argument("--json-out", type=Path, default=Path("/tmp/crisisdesk-detection-results.json"))
    args = parser.parse_args()
    names = args.only or sorted(p.name.removesuffix(".yaml") for p in args.streams.glob("*.yaml"))
    chosen = [s for s in SETTINGS if not args.settings or s.label in args.settings]
    jobs = [(args.streams, n, s) for s in chosen for n in names]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(run_one, *zip(*jobs, strict=True)))
    args.json_out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(totals(results))
    print()
    print(table(sorted(results, key=lambda r: (r["stream"], [s.label for s in chosen].index(r["setting"])))))


if __name__ == "__main__":
    main()
