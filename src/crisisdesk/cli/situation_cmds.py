"""``crisisdesk situations`` and ``crisisdesk ack``: the situations detection opened."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from rich.table import Table

from crisisdesk.cli.common import ConfigOption, friendly_errors, open_workspace, out
from crisisdesk.core.clock import SystemClock
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.db import make_engine, migrate


@friendly_errors
def situations(
    config: ConfigOption = None,
    status: Annotated[str | None, typer.Option(help="open or resolved")] = None,
    situation: Annotated[int | None, typer.Argument(help="Show this one in full.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List situations (newest first), or show one with its timeline and notifications."""
    from crisisdesk.detection.service import get_situation, list_situations

    if status not in (None, "open", "resolved"):
        raise CrisisdeskError(f"--status {status!r}: use open or resolved")
    _, workspace = open_workspace(config)
    engine = make_engine(workspace.database_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            if situation is not None:
                found = get_situation(conn, situation)
                if found is None:
                    raise CrisisdeskError(f"no situation {situation}")
                out.print_json(json.dumps(found, ensure_ascii=False)) if as_json else _show(found)
                return
            rows = list_situations(conn, status=status)
    finally:
        engine.dispose()
    if as_json:
        out.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("id", "monitor", "cause", "severity", "status", "opened", "acknowledged", "summary")
    for r in rows:
        table.add_row(str(r["id"]), r["monitor"], r["cause"], str(r["severity"]), r["status"],
                      str(r["opened_at"])[:16], r["acknowledged_by"] or "", r["summary"][:80])
    out.print(table)


def _show(found: dict[str, object]) -> None:
    out.print(f"[bold]#{found['id']} {found['monitor']}[/] ({found['cause']}, severity {found['severity']}, "
              f"{found['status']})")
    out.print(str(found["summary"]), highlight=False)
    timeline = Table("at", "event", "severity", title="timeline")
    for e in found["timeline"]:  # type: ignore[attr-defined]
        timeline.add_row(str(e["at"])[:19], e["event"], str(e["severity"]))
    out.print(timeline)
    deliveries = Table("target", "kind", "status", "attempts", "sent", "error", title="notifications")
    for d in found["deliveries"]:  # type: ignore[attr-defined]
        deliveries.add_row(d["target"], d["kind"], d["status"], str(d["attempts"]),
                           str(d["sent_at"] or "")[:19], (d["last_error"] or "")[:60])
    out.print(deliveries)


@friendly_errors
def ack(
    situation: Annotated[int, typer.Argument(help="The situation's number (crisisdesk situations).")],
    config: ConfigOption = None,
    by: Annotated[str | None, typer.Option(help="Who acknowledges [default: your login name].")] = None,
) -> None:
    """Acknowledge a situation: its escalation stops (a higher severity starts a new one)."""
    from crisisdesk.escalation.actions import acknowledge

    _, workspace = open_workspace(config)
    engine = make_engine(workspace.database_url)
    try:
        migrate(engine)
        with engine.begin() as conn:
            event = acknowledge(conn, situation, by=by or getpass.getuser(), at=SystemClock().now())
    finally:
        engine.dispose()
    if event is None:
        raise CrisisdeskError(f"no situation {situation} (see crisisdesk situations)")
    out.print(f"acknowledged situation {situation} ({event['monitor']}) as {event['by']}; "
              f"{event['escalations_stopped']} escalation(s) stopped")
