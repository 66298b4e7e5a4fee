"""Fixtures of the notification tests: a migrated database, local servers, a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.http_sink import HttpSink
from tests.fakes.smtp import SmtpServer
from tests.notify.samples import FakeClock


@pytest.fixture
def sink() -> Iterator[HttpSink]:
    with HttpSink() as s:
        yield s


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
