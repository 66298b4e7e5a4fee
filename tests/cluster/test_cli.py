"""The distributed mode's commands: clear refusals, `status`, `bus dead` and `bus replay`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crisisdesk.bus.base import INGEST_TOPIC
from crisisdesk.cli.main import app
from crisisdesk.cluster.prepared import ensure_groups
from crisisdesk.cluster.worker import bus_of
from tests.cluster.conftest import Cluster, wait_for

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_worker_needs_a_bus_postgresql_and_a_shared_secret(
        workspace_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = run("worker", "--config", str(workspace_file))
    assert code == 2 and "CRISISDESK_BUS_URL" in output and "redis://" in output
    monkeypatch.setenv("CRISISDESK_BUS_URL", "redis://127.0.0.1:6379/0")
    code, output = run("worker", "--config", str(workspace_file))
    assert code == 2 and "CRISISDESK_SECRET_KEY" in output
    monkeypatch.setenv("CRISISDESK_SECRET_KEY", "k" * 40)
    code, output = run("worker", "--config", str(workspace_file))
    assert code == 2 and "PostgreSQL" in output
    monkeypatch.setenv("CRISISDESK_BUS_URL", "http://127.0.0.1:6379")
    code, output = run("status", "--config", str(workspace_file))
    assert code == 2 and "not a Redis URL" in output


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_status_lists_processes_and_topics_and_dead_letters_can_be_replayed(cluster: Cluster) -> None:
    holder = cluster.start_worker()
    wait_for(lambda: holder.owner is not None, message="a lease holder")
    code, output = run("status", "--config", str(cluster.workspace_file))
    assert code == 0, output
    assert "worker (lease)" in output and "ingest.prepared" in output and "prepare" in output
    code, output = run("status", "--config", str(cluster.workspace_file), "--json")
    state = json.loads(output)
    assert state["lease"]["holder"] == holder.name
    assert [p["name"] for p in state["processes"] if p["owner"]] == [holder.name]

    bus = bus_of(cluster.settings)
    ensure_groups(bus)
    bus.publish(INGEST_TOPIC, [{"items": 42}])  # a poison message: dead after the deliveries allowed
    wait_for(lambda: bus.dead_count(INGEST_TOPIC) == 1, 30 + 6 * cluster.settings.bus_claim_seconds,
             "the poison message in the dead letters")
    code, output = run("bus", "dead", "--config", str(cluster.workspace_file))
    assert code == 0 and "ingest.raw" in output and "prepare" in output and "TypeError" in output
    code, output = run("bus", "replay", "nothing", "--config", str(cluster.workspace_file))
    assert code == 2 and "not a topic" in output
    code, output = run("bus", "replay", "ingest.raw", "--config", str(cluster.workspace_file))
    assert code == 0 and "1 dead letter put back on ingest.raw" in output
