"""Real processes for the fault tests: workers started as `crisisdesk worker`, and a Redis and a
PostgreSQL server of the test's own (so that restarting them disturbs nothing else on the machine)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

from tests.conftest import servers_required


def _unavailable(why: str) -> NoReturn:
    if servers_required():
        pytest.fail(f"{why}: the fault tests need it in CI")
    pytest.skip(why)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def crisisdesk_command() -> list[str]:
    script = Path(sys.executable).parent / "crisisdesk"
    return [str(script)] if script.exists() else [sys.executable, "-m", "crisisdesk.cli.main"]


@dataclass
class WorkerProcess:
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Workers:
    config: Path
    env: dict[str, str]
    logs: Path
    started: list[WorkerProcess] = field(default_factory=list)

    def start(self, *args: str) -> WorkerProcess:
        log = self.logs / f"worker-{len(self.started)}.log"
        handle = log.open("wb")
        proc = subprocess.Popen([*crisisdesk_command(), "worker", "--config", str(self.config), *args],
                                env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        handle.close()
        worker = WorkerProcess(proc, log)
        self.started.append(worker)
        return worker

    def stop_all(self) -> None:
        for w in self.started:
            w.stop()

    def outputs(self) -> str:
        return "\n".join(f"--- worker {i} (pid {w.pid}) ---\n{w.output()[-4000:]}"
                         for i, w in enumerate(self.started))


@dataclass
class RedisServer:
    """redis-server with AOF on (every write synced), in a folder of its own."""

    folder: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port)

    def kill(self) -> None:
        """kill -9 (AOF with fsync always: every acknowledged write survives)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def restart(self, down: float = 1.0) -> None:
        self.kill()
        time.sleep(down)
        self.start()


def _wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port} after {timeout} s")


@contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        _unavailable("redis-server is not installed")
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _pg_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@dataclass
class PostgresServer:
    """A PostgreSQL cluster of the test's own (initdb, pg_ctl), run as the postgres user when the
    tests run as root (PostgreSQL refuses to run as root)."""

    folder: Path
    bin: Path
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            os.chmod(self.folder, 0o700)
        self._run("initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-w", "-l", str(self.folder / "log"),
                  "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-w", "-m", mode, "stop")

    def restart(self, down: float = 1.0) -> None:
        """An immediate stop (like a crash: every connection cut), a pause, a start."""
        self.stop("immediate")
        time.sleep(down)
        self.start()


@contextmanager
def postgres_server(folder: Path) -> Iterator[PostgresServer]:
    pg_bin = _pg_bin()
    if pg_bin is None:
        _unavailable("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        _unavailable("running as root without runuser: cannot start PostgreSQL")
    server = PostgresServer(folder, pg_bin)
    server.init()
    server.start()
    try:
        yield server
    finally:
        with suppress(subprocess.CalledProcessError):
            server.stop("immediate")
