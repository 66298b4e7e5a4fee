"""``crisisdesk worker``, ``crisisdesk status`` and ``crisisdesk bus``: the distributed mode."""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from crisisdesk.bus.base import INGEST_TOPIC
from crisisdesk.cli.common import ConfigOption, err, friendly_errors, open_workspace, out
from crisisdesk.cluster.prepared import PREPARED_TOPIC
from crisisdesk.core.errors import ConfigError
from crisisdesk.settings import Settings
from crisisdesk.workspace import Workspace

TOPICS = (INGEST_TOPIC, PREPARED_TOPIC)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]

bus_app = typer.Typer(name="bus", no_args_is_help=True,
                      help="The distributed mode's message bus: dead letters, replay.")


def _distributed(config: ConfigOption) -> tuple[Settings, Workspace]:
    settings, workspace = open_workspace(config)
    if not settings.bus_url:
        raise ConfigError("environment", "CRISISDESK_BUS_URL",
                          "not set: the distributed mode needs redis://HOST:PORT/DB (see docs/deployment.md)")
    from crisisdesk.cluster.frontend import require_shared_settings

    require_shared_settings(settings)
    if not workspace.database_url.startswith("postgresql"):
        raise ConfigError("environment", "CRISISDESK_DATABASE_URL",
                          "the distributed mode needs a PostgreSQL database that every process shares, "
                          "e.g. postgresql+psycopg://USER@HOST/DB")
    return settings, workspace


@friendly_errors
def worker(
    config: ConfigOption = None,
    prepare: Annotated[bool, typer.Option(help="Prepare raw batches (normalize, analyse).")] = True,
    own: Annotated[bool, typer.Option(help="Be ready to hold the pipeline lease (store, detect, "
                                            "escalate, send, poll).")] = True,
) -> None:
    """Run a worker of the distributed mode (CRISISDESK_BUS_URL, PostgreSQL) until stopped (Ctrl-C or
    SIGTERM: it finishes the batch in hand and gives the lease up)."""
    from crisisdesk.cli.serve_cmd import log_to_stderr
    from crisisdesk.cluster.worker import Worker

    settings, workspace = _distributed(config)
    log_to_stderr(settings.log_level)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    w = Worker(workspace, settings, prepare=prepare, own=own)
    err.print(f"worker {w.name} started (prepare: {'yes' if prepare else 'no'}, "
              f"lease: {'yes' if own else 'no'})", highlight=False, soft_wrap=True)
    w.run(stop)
    err.print(f"worker {w.name} stopped", highlight=False)


@friendly_errors
def status(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """The distributed mode at a glance: processes, who holds the lease, each topic's lag, pending,
    dead letters and consumers (the live ones, and how many Redis knows when that is more)."""
    from crisisdesk.cluster.status import age, cluster_status
    from crisisdesk.cluster.worker import bus_of
    from crisisdesk.db import make_engine

    settings, workspace = _distributed(config)
    bus, engine = bus_of(settings), make_engine(workspace.database_url)
    try:
        state = cluster_status(bus, engine)
    finally:
        bus.close()
        engine.dispose()
    if as_json:
        out.print_json(json.dumps(state))
        return
    now = datetime.now(UTC)
    procs = Table(title="Processes")
    for column in ("role", "name", "host", "pid", "up", "work"):
        procs.add_column(column)
    for p in state["processes"]:
        procs.add_row(p.get("role", "?") + (" (lease)" if p.get("owner") else ""), p.get("name", ""),
                      str(p.get("host", "")), str(p.get("pid", "")), _duration(age(p, now)), _work(p))
    out.print(procs)
    lease = state["lease"]
    out.print("lease: " + ("never taken" if lease is None else
                           f"{lease['holder']} (epoch {lease['epoch']}, "
                           f"{'valid' if lease['valid'] else 'EXPIRED'} until {lease['expires_at']})"))
    groups = Table(title="Topics")
    for column in ("topic", "group", "consumers", "lag", "pending", "dead letters"):
        groups.add_column(column)
    for g in state["groups"]:
        lag = "?" if g["lag"] is None else str(g["lag"])
        # the live ones first: Redis also remembers the consumers of processes gone, until pruned
        consumers = str(g["active"]) + (f" ({g['consumers']} known)" if g["consumers"] != g["active"] else "")
        groups.add_row(g["topic"], g["group"], consumers, lag, str(g["pending"]),
                       str(state["dead_letters"].get(g["topic"], 0)))
    out.print(groups)


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes} min {int(seconds % 60)} s"


def _work(p: dict[str, Any]) -> str:
    if p.get("role") == "front end":
        return f"{p.get('queued', 0)} posts queued"
    return (f"{p.get('prepared', 0)} batches prepared, {p.get('stored_posts', 0)} posts stored, "
            f"{p.get('failed', 0)} failures")


@bus_app.command("dead")
@friendly_errors
def dead(config: ConfigOption = None, as_json: JsonOption = False,
         limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many per topic.")] = 50,
         ) -> None:
    """Dead letters: messages that failed CRISISDESK_BUS_MAX_DELIVERIES times, with the last error."""
    from crisisdesk.cluster.worker import bus_of

    settings, _ = _distributed(config)
    bus = bus_of(settings)
    try:
        letters = [d for t in TOPICS for d in bus.dead_letters(t, limit=limit)]
    finally:
        bus.close()
    if as_json:
        out.print_json(json.dumps([{"id": d.id, "topic": d.topic, "group": d.group,
                                    "original_id": d.original_id, "deliveries": d.deliveries,
                                    "error": d.error, "items": d.items} for d in letters]))
        return
    if not letters:
        out.print("no dead letters")
        return
    table = Table(title="Dead letters")
    for column in ("id", "topic", "group", "deliveries", "items", "last error"):
        table.add_column(column)
    for d in letters:
        table.add_row(d.id, d.topic, d.group, str(d.deliveries), str(d.items), d.error)
    out.print(table)
    out.print("put them back with `crisisdesk bus replay TOPIC` (all) or `--id ID` (one)")


@bus_app.command("replay")
@friendly_errors
def replay(topic: Annotated[str, typer.Argument(help=f"One of: {', '.join(TOPICS)}.")],
           config: ConfigOption = None,
           ids: Annotated[list[str] | None,
                          typer.Option("--id", help="Only this dead letter (repeatable).")] = None,
           ) -> None:
    """Put dead letters back on their topic (after fixing what made them fail): every group sees
    them again; what they carry is stored once whatever happened before."""
    from crisisdesk.cluster.worker import bus_of

    if topic not in TOPICS:
        raise ConfigError("argument", "TOPIC", f"{topic!r} is not a topic; one of: {', '.join(TOPICS)}")
    settings, _ = _distributed(config)
    bus = bus_of(settings)
    try:
        n = bus.replay_dead(topic, ids or None)
    finally:
        bus.close()
    out.print(f"{n} dead letter{'s' if n != 1 else ''} put back on {topic}")


@friendly_errors
def migrate_to(
    url: Annotated[str, typer.Argument(help="The new database, e.g. postgresql+psycopg://USER@HOST/DB "
                                            "(empty; its schema is created).")],
    config: ConfigOption = None,
    batch: Annotated[int, typer.Option(min=100, max=100_000, help="Rows per insert.")] = 2000,
) -> None:
    """Copy this workspace's database (the embedded SQLite file) into another, for the distributed
    mode: every table with a progress bar, then each table's rows counted on both sides."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from crisisdesk.cluster.copy import copy_database
    from crisisdesk.db import describe_url, make_engine

    _, workspace = open_workspace(config)
    try:
        make_url(url)
    except ArgumentError as exc:
        raise ConfigError("argument", "URL", f"{url!r} is not a database URL: {exc}") from exc
    if make_url(url) == make_url(workspace.database_url):
        raise ConfigError("argument", "URL", "is this workspace's own database")
    source, target = make_engine(workspace.database_url), make_engine(url)
    columns = (TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=err) as bar:
            tasks: dict[str, Any] = {}

            def step(table: str, done: int, total: int) -> None:
                if table not in tasks:
                    tasks[table] = bar.add_task(table, total=max(total, 1))
                bar.update(tasks[table], completed=done if total else 1)

            counts = copy_database(source, target, batch=batch, progress=step)
    except Exception:
        target.dispose()
        source.dispose()
        raise
    source.dispose()
    target.dispose()
    bad = [c for c in counts if not c.ok]
    table = Table(title=f"{describe_url(workspace.database_url)} → {describe_url(url)}")
    for column in ("table", "rows here", "rows there", ""):
        table.add_column(column)
    for c in counts:
        if c.source or c.target:
            table.add_row(c.table, str(c.source), str(c.target), "ok" if c.ok else "[red]DIFFERENT[/]")
    out.print(table)
    if bad:
        raise ConfigError("copy", "", f"{len(bad)} tables differ: {', '.join(c.table for c in bad)}")
    out.print(f"all {sum(c.source for c in counts)} rows copied and counted. Next: set "
              f"CRISISDESK_DATABASE_URL={describe_url(url)} for every process (see docs/deployment.md)")
