"""``crisisdesk situations`` and ``crisisdesk ack``: the situations detection opened."""

from __future__ import annotations

import getpass
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from crisisdesk.cli.common import ConfigOption, err, friendly_errors, open_workspace, out
from crisisdesk.core.clock import SystemClock
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.db import make_engine, migrate

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from crisisdesk.escalation.config import PersonConfig


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
    table = Table("id", "monitor", "cause", "severity", "status", "opened (UTC)", "acknowledged", "summary")
    for r in rows:
        table.add_row(str(r["id"]), r["monitor"], r["cause"], str(r["severity"]), r["status"],
                      str(r["opened_at"])[:16], r["acknowledged_by"] or "", r["summary"][:80])
    out.print(table)


def _show(found: dict[str, object]) -> None:
    out.print(f"[bold]#{found['id']} {found['monitor']}[/] ({found['cause']}, severity {found['severity']}, "
              f"{found['status']})")
    out.print(str(found["summary"]), highlight=False)
    timeline = Table("at (UTC)", "event", "severity", title="timeline")
    for e in found["timeline"]:  # type: ignore[attr-defined]
        timeline.add_row(str(e["at"])[:19], e["event"], str(e["severity"]))
    out.print(timeline)
    deliveries = Table("target", "kind", "status", "attempts", "sent (UTC)", "error", title="notifications")
    for d in found["deliveries"]:  # type: ignore[attr-defined]
        deliveries.add_row(d["target"], d["kind"], d["status"], str(d["attempts"]),
                           str(d["sent_at"] or "")[:19], (d["last_error"] or "")[:60])
    out.print(deliveries)


@friendly_errors
def ack(
    situation: Annotated[int, typer.Argument(help="The situation's number (crisisdesk situations).")],
    config: ConfigOption = None,
    by: Annotated[str | None, typer.Option(
        help="Who acknowledges: a person of the configuration (short or display name) or a user "
             "(e-mail or name) [default: your login name].")] = None,
) -> None:
    """Acknowledge a situation: its escalation stops (a higher severity starts a new one).

    Exit 1 for an unknown --by person or a resolved situation; a situation acknowledged before is
    left as it is (exit 0, saying by whom and when). The audit log gets a ``situation.acknowledged``
    entry with the actor ``cli:<your login name>``."""
    from sqlalchemy import select

    from crisisdesk.audit.actions import acknowledge_audited
    from crisisdesk.audit.service import Actor
    from crisisdesk.detection.models import Situation

    _, workspace = open_workspace(config)
    login = getpass.getuser()
    engine = make_engine(workspace.database_url)
    try:
        migrate(engine)
        with engine.begin() as conn:
            if by is not None:
                by = _known_person(conn, workspace.config.people, by)
            row = conn.execute(select(Situation.status, Situation.acknowledged_at, Situation.acknowledged_by)
                               .where(Situation.id == situation)).first()
            if row is None:
                raise CrisisdeskError(f"no situation {situation} (see crisisdesk situations)")
            if row.status == "resolved":
                err.print(f"situation {situation} is resolved; there is nothing to acknowledge",
                          highlight=False, markup=False)
                raise typer.Exit(1)
            if row.acknowledged_at is not None:
                out.print(f"situation {situation} was already acknowledged by {row.acknowledged_by} at "
                          f"{_utc(row.acknowledged_at)}; nothing changed", highlight=False, markup=False)
                return
            event = acknowledge_audited(conn, situation, by=by or login, at=SystemClock().now(),
                                        actor=Actor.cli(login), via="cli")
    finally:
        engine.dispose()
    assert event is not None  # the row exists: checked in the same transaction
    out.print(f"acknowledged situation {situation} ({event['monitor']}) as {event['by']}; "
              f"{event['escalations_stopped']} escalation(s) stopped", highlight=False, markup=False)


def _known_person(conn: Connection, people: Mapping[str, PersonConfig], given: str) -> str:
    """The name to record for ``--by``: a configured person (short name → display name) or a user
    (e-mail or name). Anyone else is refused (exit 1) with the names that would do, so a typo never
    acknowledges on behalf of nobody."""
    from sqlalchemy import select

    from crisisdesk.accounts.models import User

    wanted = given.strip().casefold()
    for short, person in people.items():
        if wanted in (short.casefold(), person.name.casefold()):
            return person.name
    users = conn.execute(select(User.email, User.name).where(User.active.is_(True))
                         .order_by(User.email)).all()
    for user in users:
        if wanted in (user.email.casefold(), user.name.casefold()):
            return str(user.name or user.email)
    known = ", ".join([*people, *(u.email for u in users)]) or (
        "none (add people to the configuration, or users with crisisdesk users add)")
    err.print(f"--by {given!r}: no such person; known: {known}", highlight=False, markup=False,
              soft_wrap=True)
    raise typer.Exit(1)


def _utc(value: datetime) -> str:
    """A stored time for the (English) CLI: ISO-like, 24-hour, with its zone named."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
