"""``crisisdesk users``: people who sign in to the web app and the API.

Run on the server by whoever may open the database; every change is audited as ``cli:<login>``.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from crisisdesk.audit.service import Actor
from crisisdesk.cli.common import ConfigOption, err, friendly_errors, open_workspace, out
from crisisdesk.core.clock import SystemClock
from crisisdesk.core.errors import CrisisdeskError
from crisisdesk.db import make_engine, migrate

users_app = typer.Typer(
    name="users", no_args_is_help=True,
    help="People who sign in: add, list, disable/enable, change roles and passwords, API tokens.",
)

PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from the first line of standard input (scripts).")]


@contextmanager
def _session(config: ConfigOption) -> Iterator[Session]:
    """A migrated database and one transaction: committed when the block succeeds."""
    _, workspace = open_workspace(config)
    engine = make_engine(workspace.database_url)
    try:
        migrate(engine)
        with Session(engine) as session, session.begin():
            yield session
    finally:
        engine.dispose()


def _actor() -> Actor:
    return Actor.cli(getpass.getuser())


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CrisisdeskError("--password-stdin: standard input is empty")
        return line.rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("add")
@friendly_errors
def add(
    email: Annotated[str, typer.Argument(help="Sign-in address (stored lower-cased).")],
    name: Annotated[str, typer.Option("--name", help="Full name as shown to colleagues.")],
    role: Annotated[str, typer.Option(
        "--role", help="admin, crisis_lead, spokesperson, agent or analyst (read-only).")],
    lang: Annotated[str | None, typer.Option(help="Interface language: de or en [default: browser's]")]
    = None,
    password_stdin: PasswordStdin = False,
    config: ConfigOption = None,
) -> None:
    """Add a user who signs in with e-mail address and password."""
    from crisisdesk.accounts.actions import create_user
    from crisisdesk.accounts.roles import parse_role
    from crisisdesk.accounts.schemas import UserRead

    parsed = parse_role(role)
    if lang not in (None, "de", "en"):
        raise CrisisdeskError(f"--lang {lang!r}: use de or en")
    password = _read_password(password_stdin)
    with _session(config) as session:
        user = UserRead.model_validate(create_user(
            session, email=email, name=name, role=parsed, password=password, lang=lang,
            actor=_actor(), clock=SystemClock()))
    out.print(f"added {user.email} ({user.role.value}), user {user.id}", highlight=False)


@users_app.command("list")
@friendly_errors
def list_(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """All users, by e-mail address."""
    from crisisdesk.accounts.schemas import UserRead
    from crisisdesk.accounts.service import list_users

    with _session(config) as session:
        users = [UserRead.model_validate(u) for u in list_users(session)]
    if as_json:
        out.print_json(json.dumps([u.model_dump(mode="json") for u in users], ensure_ascii=False))
        return
    table = Table("id", "e-mail", "name", "role", "lang", "active", "last sign-in")
    for u in users:
        table.add_row(str(u.id), u.email, u.name, u.role.value, u.lang or "", "yes" if u.active else "no",
                      str(u.last_login_at or "")[:16])
    out.print(table)


@users_app.command("disable")
@friendly_errors
def disable(email: Annotated[str, typer.Argument()], config: ConfigOption = None) -> None:
    """Stop a user from signing in: their sessions end and their API tokens are revoked."""
    from crisisdesk.accounts.actions import disable_user
    from crisisdesk.accounts.service import get_user_by_email

    with _session(config) as session:
        user = get_user_by_email(session, email)
        was_active = user.active
        disable_user(session, user, actor=_actor(), clock=SystemClock())
        address = user.email
    out.print(f"disabled {address}" if was_active else f"{address} was already disabled", highlight=False)


@users_app.command("enable")
@friendly_errors
def enable(email: Annotated[str, typer.Argument()], config: ConfigOption = None) -> None:
    """Let a disabled user sign in again (their old API tokens stay revoked)."""
    from crisisdesk.accounts.actions import enable_user
    from crisisdesk.accounts.service import get_user_by_email

    with _session(config) as session:
        user = get_user_by_email(session, email)
        enable_user(session, user, actor=_actor(), clock=SystemClock())
        address = user.email
    out.print(f"enabled {address}", highlight=False)


@users_app.command("set-role")
@friendly_errors
def set_role(
    email: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Argument(help="admin, crisis_lead, spokesperson, agent or analyst")],
    config: ConfigOption = None,
) -> None:
    """Change what a user may do (takes effect on their next request, sessions and tokens included)."""
    from crisisdesk.accounts import actions
    from crisisdesk.accounts.roles import parse_role
    from crisisdesk.accounts.service import get_user_by_email

    parsed = parse_role(role)
    with _session(config) as session:
        user = get_user_by_email(session, email)
        actions.set_role(session, user, parsed, actor=_actor(), clock=SystemClock())
        address = user.email
    out.print(f"{address} is now {parsed.value}", highlight=False)


@users_app.command("password")
@friendly_errors
def password(
    email: Annotated[str, typer.Argument()],
    password_stdin: PasswordStdin = False,
    config: ConfigOption = None,
) -> None:
    """Set a user's password (ends all their sessions)."""
    from crisisdesk.accounts.actions import set_password
    from crisisdesk.accounts.service import get_user_by_email

    new = _read_password(password_stdin)
    with _session(config) as session:
        user = get_user_by_email(session, email)
        set_password(session, user, new, actor=_actor(), clock=SystemClock())
        address = user.email
    out.print(f"password of {address} changed", highlight=False)


@users_app.command("token")
@friendly_errors
def token(
    email: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option("--name", help="What uses the token (shown in lists).")],
    config: ConfigOption = None,
) -> None:
    """Create an API token for a user and print its secret: the only time it is shown."""
    from crisisdesk.accounts.actions import create_token
    from crisisdesk.accounts.service import get_user_by_email

    with _session(config) as session:
        user = get_user_by_email(session, email)
        created = create_token(session, user, name, actor=_actor(), clock=SystemClock())
        address = user.email
    err.print(f"token {created.token.id} ({created.token.name}) for {address}; the secret is shown "
              "once, send it as 'Authorization: Bearer <secret>':", highlight=False, soft_wrap=True)
    print(created.secret)  # plain stdout, so `crisisdesk users token ... > file` captures only the secret
