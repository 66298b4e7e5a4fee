"""`crisisdesk users ...` end to end against a workspace database (SQLite and PostgreSQL)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from crisisdesk.accounts.service import verify_token
from crisisdesk.audit.models import AuditEntry
from crisisdesk.cli.main import app
from crisisdesk.core.clock import SystemClock
from crisisdesk.db import make_engine
from tests.accounts.fixtures import PASSWORD

runner = CliRunner()


def users(workspace_file: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["users", *args, "--config", str(workspace_file)], input=stdin)
    return result.exit_code, result.output


def test_users_commands(workspace_file: Path, database_url: str) -> None:
    code, out = users(workspace_file, "add", "Lena@Example.org", "--name", "Lena Berg",
                      "--role", "crisis-lead", "--lang", "de", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0, out
    assert "added lena@example.org (crisis_lead)" in out
    code, out = users(workspace_file, "add", "root@example.org", "--name", "Root", "--role", "admin",
                      stdin=f"{PASSWORD}\n{PASSWORD}\n")  # prompted twice, hidden
    assert code == 0, out
    code, out = users(workspace_file, "list", "--json")
    assert code == 0, out
    listed = json.loads(out)
    assert [(u["email"], u["role"], u["lang"], u["active"]) for u in listed] == [
        ("lena@example.org", "crisis_lead", "de", True), ("root@example.org", "admin", None, True)]
    code, out = users(workspace_file, "list")
    assert code == 0 and "Lena Berg" in out

    code, out = users(workspace_file, "set-role", "LENA@example.org", "analyst")
    assert code == 0 and "lena@example.org is now analyst" in out

    code, out = users(workspace_file, "token", "lena@example.org", "--name", "nightly")
    assert code == 0, out
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("cdk_")
    engine = make_engine(database_url)
    try:
        with Session(engine) as s, s.begin():
            assert verify_token(s, secret, clock=SystemClock()) is not None
        code, out = users(workspace_file, "disable", "lena@example.org")
        assert code == 0 and "disabled lena@example.org" in out
        with Session(engine) as s, s.begin():
            assert verify_token(s, secret, clock=SystemClock()) is None
        code, out = users(workspace_file, "enable", "lena@example.org")
        assert code == 0
        code, out = users(workspace_file, "password", "lena@example.org", "--password-stdin",
                          stdin="another long passphrase\n")
        assert code == 0, out
        with Session(engine) as s:
            entries = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
            audit = [(e.actor, e.action) for e in entries]
    finally:
        engine.dispose()
    actor = f"cli:{getpass.getuser()}"
    assert audit == [(actor, a) for a in ("user.created", "user.created", "user.updated", "token.created",
                                           "user.disabled", "user.enabled", "user.password_changed")]


def test_users_errors_are_one_line(workspace_file: Path) -> None:
    code, out = users(workspace_file, "add", "x@example.org", "--name", "X", "--role", "boss",
                      "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 2 and "unknown role 'boss'" in out
    code, out = users(workspace_file, "add", "x@example.org", "--name", "X", "--role", "agent",
                      "--password-stdin", stdin="short\n")
    assert code == 2 and "password too short" in out
    code, out = users(workspace_file, "add", "not-an-address", "--name", "X", "--role", "agent",
                      "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 2 and "not an e-mail address" in out
    code, out = users(workspace_file, "disable", "ghost@example.org")
    assert code == 2 and "no user with e-mail address 'ghost@example.org'" in out
    users(workspace_file, "add", "root@example.org", "--name", "Root", "--role", "admin", "--password-stdin",
          stdin=PASSWORD + "\n")
    code, out = users(workspace_file, "set-role", "root@example.org", "agent")
    assert code == 2 and "last active admin" in out
    code, out = users(workspace_file, "add", "ROOT@example.org", "--name", "Root", "--role", "admin",
                      "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 2 and "exists already" in out
