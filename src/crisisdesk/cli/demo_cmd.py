"""``crisisdesk demo``: the main job on the embedded default, from nothing to a live crisis view."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.live import Live
from rich.table import Table

from crisisdesk.bus.base import Message
from crisisdesk.cli.common import err, friendly_errors, out
from crisisdesk.cli.ingest_cmds import parse_speed
from crisisdesk.core.clock import StreamClock
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.demo.dashboard import LiveDashboard
from crisisdesk.demo.scenario import demo_workspace_yaml, generate_scenario
from crisisdesk.ingest.importer import IngestRun, RejectsWriter, replay_items
from crisisdesk.ingest.readers import read_jsonl
from crisisdesk.ingest.service import build_runtime
from crisisdesk.settings import load_settings
from crisisdesk.workspace import load_workspace


def _write_scenario(path: Path, *, seed: int, calm_days: int, crisis_days: int) -> tuple[int, float]:
    """Write the generated scenario as canonical JSON Lines; returns (posts, stream seconds)."""
    count = 0
    first = last = None
    with path.open("wb") as f:
        for post in generate_scenario(seed=seed, calm_days=calm_days, crisis_days=crisis_days):
            f.write(orjson.dumps(post) + b"\n")
            count += 1
            last = post["created_at"]
            first = first or last
    if first is None or last is None:
        return 0, 0.0
    span = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()
    return count, span


@friendly_errors
def demo(
    seconds: Annotated[float, typer.Option(
        "--seconds", help="How long the replay should take on the wall clock.", min=1)] = 60.0,
    speed: Annotated[str | None, typer.Option(
        "--speed", help="Times real time, or 'max'; overrides --seconds.")] = None,
    seed: Annotated[int, typer.Option(help="Scenario seed: the same seed gives the same posts.")] = 7,
    calm_days: Annotated[int, typer.Option("--calm-days", min=1, max=60)] = 7,
    crisis_days: Annotated[int, typer.Option("--crisis-days", min=1, max=14)] = 2,
    keep: Annotated[Path | None, typer.Option(
        "--keep", help="Create the workspace here and keep it (default: a temporary one).",
        file_okay=False)] = None,
    live: Annotated[bool, typer.Option(
        "--live/--no-live", help="Live dashboard (default on a terminal).")] = True,
) -> None:
    """Generate a bilingual brand crisis and replay it through the pipeline, live in the terminal."""
    root = keep or Path(tempfile.mkdtemp(prefix="crisisdesk-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    config_path = root / "crisisdesk.yaml"
    if keep and config_path.exists():
        raise CrisisdeskError(f"{config_path} exists already; pick an empty --keep directory")
    try:
        config_path.write_text(demo_workspace_yaml(), encoding="utf-8")
        scenario = root / "scenario.jsonl"
        with err.status("generating the scenario…"):
            total, span = _write_scenario(scenario, seed=seed, calm_days=calm_days, crisis_days=crisis_days)
        factor = parse_speed(speed) if speed is not None else max(span / seconds, 1.0)
        # The demo always runs on the embedded database, whatever CRISISDESK_DATABASE_URL says.
        settings = load_settings().model_copy(update={"database_url": None})
        workspace = load_workspace(config_path, settings)
        runtime = build_runtime(workspace, settings, clock=StreamClock())
        names = [m.name for m in workspace.config.monitors]
        dashboard = LiveDashboard(names, title="crisisdesk demo — Voltaro")

        def sink(event: Message) -> None:
            dashboard.observe(event)

        run = IngestRun(runtime.runner, RejectsWriter(root / "scenario.rejects.jsonl"), [("demo", sink)])
        pace = "as fast as possible" if factor is None else f"{factor:,.0f}× real time"
        err.print(f"Replaying {total:,} posts ({span / 86400:.1f} days of stream time) {pace}.",
                  highlight=False)
        show_live = live and out.is_terminal
        try:
            if show_live:
                with Live(dashboard, console=out, refresh_per_second=4, screen=False):
                    result = replay_items(run, read_jsonl(scenario), speed=factor,
                                          batch_size=min(settings.batch_size, 200))
            else:
                result = replay_items(run, read_jsonl(scenario), speed=factor,
                                      batch_size=settings.batch_size)
        finally:
            runtime.close()
        if not show_live:
            out.print(dashboard)
        _print_summary(dashboard.summary(), result.summary.model_dump())
        if keep:
            out.print(f"The workspace stays in [bold]{root}[/]: try "
                      f"[bold]crisisdesk monitors --config {config_path}[/]")
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


def _print_summary(dash: dict[str, object], ingest: dict[str, int]) -> None:
    table = Table("monitor", "matched posts", title="What the monitors caught")
    monitors = dash.get("monitors")
    if isinstance(monitors, dict):
        for name, count in monitors.items():
            table.add_row(str(name), f"{count:,}")
    out.print(table)
    out.print(
        f"posts read {ingest['read']:,}, imported {ingest['imported']:,}, "
        f"duplicates {ingest['duplicates']:,}, rejected {ingest['rejected']:,}"
    )
