"""An app with one user and one API token per role, a settable clock and a fast password hasher.

Imported by the conftest of tests/accounts and tests/audit, so both use the same world.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from crisisdesk.accounts import actions
from crisisdesk.accounts.deps import CSRF_HEADER, AccountsConfig
from crisisdesk.accounts.roles import Role
from crisisdesk.api.app import create_app
from crisisdesk.audit.service import Actor
from crisisdesk.detection.models import Situation
from crisisdesk.runtime import Runtime
from crisisdesk.sources.models import Monitor
from tests.modes import serving

SERVICE_TOKEN = "service-token-for-tests"
PASSWORD = "correct horse battery staple"
#: Cheap argon2id parameters: the same code path, a thousand times faster.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, **kwargs: float) -> None:
        self._now += timedelta(**kwargs)


def email_of(role: Role) -> str:
    return f"{role.value.replace('_', '-')}@example.org"


@dataclass
class World:
    client: TestClient
    runtime: Runtime
    clock: FakeClock
    config: AccountsConfig
    user_ids: dict[Role, int] = field(default_factory=dict)
    tokens: dict[Role, str] = field(default_factory=dict)
    situation_id: int = 0
    #: Outbox items a test's sending helper has reported (the distributed mode's holder sends).
    reported: set[int] = field(default_factory=set)

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    def bearer(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def login(self, email: str, password: str = PASSWORD, client: TestClient | None = None) -> str:
        """Sign in on ``client`` (default: the world's); returns the CSRF token."""
        r = (client or self.client).post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        token: str = r.json()["csrf_token"]
        return token

    def session_client(self, role: Role) -> tuple[TestClient, dict[str, str]]:
        """A separate browser signed in as ``role``, and the CSRF header to send."""
        c = TestClient(self.client.app, base_url="http://localhost")
        csrf = self.login(email_of(role), client=c)
        return c, {CSRF_HEADER: csrf}

    def add_user(self, email: str, role: Role, *, password: str = PASSWORD, name: str = "Someone") -> int:
        with Session(self.engine) as s, s.begin():
            user = actions.create_user(s, email=email, name=name, role=role, password=password,
                                       actor=Actor.system(), clock=self.clock, hasher=FAST_HASHER)
            return user.id

    def add_token(self, role: Role, name: str = "script") -> tuple[int, str]:
        with Session(self.engine) as s, s.begin():
            from crisisdesk.accounts.service import get_user

            created = actions.create_token(s, get_user(s, self.user_ids[role]), name, actor=Actor.system(),
                                           clock=self.clock)
            return created.token.id, created.secret

    def add_situation(self, monitor: str = "bahn", severity: int = 2) -> int:
        """An open situation of ``monitor``, as detection would have opened it at T0."""
        with self.engine.begin() as conn:
            monitor_id = conn.execute(select(Monitor.id).where(Monitor.name == monitor)).scalar_one()
            return int(conn.execute(insert(Situation).values(
                monitor_id=monitor_id, cause="spike", status="open", severity=severity, opened_at=T0,
                updated_at=T0, explanation="{}").returning(Situation.id)).scalar_one())


def make_world(workspace_file: Path) -> Iterator[World]:
    with serving(workspace_file, clock=FakeClock()) as runtime:
        yield from _world_on(runtime)


def _world_on(runtime: Runtime) -> Iterator[World]:
    app = create_app(runtime, api_token=SERVICE_TOKEN)
    config: AccountsConfig = app.state.accounts
    clock = FakeClock()
    config.clock = clock
    config.hasher = FAST_HASHER
    client = TestClient(app, base_url="http://localhost")
    world = World(client, runtime, clock, config)
    for role in Role:
        world.user_ids[role] = world.add_user(email_of(role), role, name=role.value.title())
        world.tokens[role] = world.add_token(role)[1]
    world.situation_id = world.add_situation()
    with client:
        yield world


def rows(world: World, model: Any, *where: Any) -> list[Any]:
    with Session(world.engine) as s:
        return list(s.scalars(select(model).where(*where)))


@pytest.fixture
def world(workspace_file: Path) -> Iterator[World]:
    yield from make_world(workspace_file)
