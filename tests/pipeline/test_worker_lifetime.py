"""`kill -9` of `crisisdesk import` mid-run: its worker processes go with it, and no database
session of it stays open (on PostgreSQL, one left "idle in transaction" would hold locks on
``posts`` for as long as an orphaned worker kept its socket). A real import in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PG_URL
from tests.factories import post

#: Enough posts that the import still runs when it is killed (a few hundred thousand per minute).
POSTS = 150_000
SRC = Path(__file__).resolve().parents[2] / "src"


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.jsonl"
    with path.open("wb") as f:
        for i in range(POSTS):
            f.write(orjson.dumps(post(i, text=f"Deutsche Bahn Streik {i} Verspätung")) + b"\n")
    return path


@pytest.fixture
def tagged_url(database_url: str) -> Iterator[tuple[str, str]]:
    """The database URL with an application_name of this test's own, to find its sessions."""
    tag = f"cdk-kill-{uuid.uuid4().hex[:10]}"
    if database_url.startswith("postgresql"):
        yield f"{database_url}&application_name={tag}", tag
    else:
        yield database_url, tag


def sessions(tag: str) -> list[str]:
    admin = create_engine(PG_URL)
    try:
        with admin.connect() as conn:
            return list(conn.execute(text("SELECT state FROM pg_stat_activity WHERE application_name = :t"),
                                     {"t": tag}).scalars())
    finally:
        admin.dispose()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_kill_9_of_import_takes_its_workers_and_sessions_along(workspace_file: Path, big_file: Path,
                                                               tagged_url: tuple[str, str],
                                                               tmp_path: Path) -> None:
    url, tag = tagged_url
    env = {**os.environ, "CRISISDESK_DATABASE_URL": url, "CRISISDESK_IMPORT_WORKERS": "2",
           "CRISISDESK_BATCH_SIZE": "512", "PYTHONPATH": str(SRC)}
    stderr = tmp_path / "import.stderr"
    with stderr.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crisisdesk.cli.main", "import", str(big_file), "--config",
             str(workspace_file), "--json"],
            env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    workers: list[int] = []
    try:
        # wait until the workers run and posts are being stored (a transaction is open or near)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            workers = [c for c in children(proc.pid) if alive(c)]
            if len(workers) >= 2 and (not url.startswith("postgresql")
                                      or any(s.startswith("idle in transaction") or s == "active"
                                             for s in sessions(tag))):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the import ended before it could be killed: make the file bigger\n" + \
            stderr.read_text(errors="replace")
        assert len(workers) >= 2, workers
        time.sleep(1.0)  # mid-run
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(alive(w) for w in workers):
            time.sleep(0.05)
        assert not [w for w in workers if alive(w)], "workers outlived their parent"

        if url.startswith("postgresql"):
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and sessions(tag):
                time.sleep(0.1)
            assert sessions(tag) == []  # none left, idle in transaction or otherwise
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        for w in workers:
            if alive(w):
                os.kill(w, signal.SIGKILL)
