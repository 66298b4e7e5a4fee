"""The browser tests' world: ``crisisdesk demo`` running in a subprocess, and Debian's Chromium.

No browser is downloaded: Playwright drives the ``chromium`` the system has (``apt-get install
chromium``). Without it (or without the ``playwright`` package) the tests skip, except in CI
(``CRISISDESK_REQUIRE_SERVERS=1``), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from tests.conftest import servers_required

if TYPE_CHECKING:
    from playwright.sync_api import Browser

#: The replay's wall-clock length: long enough for a browser to be watching when the first
#: situation opens (about half-way), short enough for the whole module to take under a minute.
REPLAY_SECONDS = 30
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
_ANNOUNCE = re.compile(r"Web app: (?P<url>http://\S+) — sign in as (?P<email>\S+) / (?P<password>\S+)")


def chromium_path() -> str | None:
    found = shutil.which("chromium") or "/usr/bin/chromium"
    return found if os.path.exists(found) else None


def _unavailable(reason: str) -> NoReturn:
    if servers_required():
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


@dataclass
class Demo:
    """The running demo: its URL, the password of its accounts and what it printed so far."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    url: str = ""
    password: str = ""
    announced: threading.Event = field(default_factory=threading.Event)
    replay_over: threading.Event = field(default_factory=threading.Event)

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            match = _ANNOUNCE.search(line)
            if match and not self.announced.is_set():
                self.url, self.password = match["url"], match["password"]
                self.announced.set()
            if "keeps serving until Ctrl-C" in line:
                self.replay_over.set()

    def output(self) -> str:
        return "\n".join(self.lines[-40:])

    def wait_replay_over(self, timeout: float = REPLAY_SECONDS * 3) -> None:
        assert self.replay_over.wait(timeout), f"the replay did not end:\n{self.output()}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(demo: Demo, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if demo.process.poll() is not None:
            pytest.fail(f"crisisdesk demo exited with {demo.process.returncode}:\n{demo.output()}")
        if demo.announced.is_set():
            try:
                with urllib.request.urlopen(f"{demo.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
        time.sleep(0.1)
    pytest.fail(f"the demo's web app did not answer /healthz:\n{demo.output()}")


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in the main
# thread while it is open, and later tests that call ``asyncio.run`` must not find it there.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        _unavailable("no chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def demo(browser: Browser) -> Iterator[Demo]:
    """``crisisdesk demo`` with the web app, nobody simulated at the pager, serving on after the replay."""
    with running_demo() as started:
        yield started


@contextmanager
def running_demo(database_url: str | None = None) -> Iterator[Demo]:
    """``crisisdesk demo`` as the :func:`demo` fixture runs it, on SQLite or on ``database_url``."""
    env = {**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
    env.pop("CRISISDESK_DATABASE_URL", None)
    command = [sys.executable, "-m", "crisisdesk.cli.main", "demo", "--no-live", "--seconds",
               str(REPLAY_SECONDS), "--calm-days", "2", "--crisis-days", "1", "--no-auto-ack", "--hold",
               "--port", str(_free_port()), *(["--database-url", database_url] if database_url else [])]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=env, encoding="utf-8")
    demo = Demo(process)
    reader = threading.Thread(target=demo.read, daemon=True)
    reader.start()
    try:
        _wait_healthy(demo)
        yield demo
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        reader.join(5)


def screenshots_wanted() -> bool:
    return os.environ.get("CRISISDESK_SCREENSHOTS") == "1"
