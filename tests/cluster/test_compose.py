"""The compose file and the image agree with what the distributed mode needs (no Docker daemon is
needed for this: the file is read, not run)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from typer.main import get_command

from crisisdesk.cli.main import app
from crisisdesk.settings import Settings
from crisisdesk.workspace import parse_config

ROOT = Path(__file__).resolve().parents[2]


def services() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return dict(data["services"])


def test_compose_starts_postgresql_redis_two_front_ends_and_two_workers() -> None:
    s = services()
    ours = {name: svc for name, svc in s.items() if svc.get("image") == "crisisdesk:latest"}
    commands = sorted(svc["command"][1] for svc in ours.values())
    assert commands == ["serve", "serve", "worker", "worker"]
    assert {"postgres", "redis"} <= set(s)
    assert "--appendonly" in s["redis"]["command"]  # the streams survive a Redis restart
    known = set(get_command(app).commands)  # type: ignore[attr-defined]
    for name, svc in ours.items():
        env = svc["environment"]
        assert env["CRISISDESK_DATABASE_URL"].startswith("postgresql+psycopg://"), name
        assert env["CRISISDESK_BUS_URL"].startswith("redis://"), name
        assert "CRISISDESK_SECRET_KEY" in env and env["CRISISDESK_ATTACHMENTS_DIR"] == "/attachments", name
        assert any(v.startswith("attachments:") for v in svc["volumes"]), f"{name}: attachments shared"
        assert svc["command"][0] == "crisisdesk" and svc["command"][1] in known
        assert set(svc["depends_on"]) == {"postgres", "redis"}
        assert svc["hostname"] == name  # `crisisdesk status` names processes by host
    # Each of our processes may hold its pool + 10 connections: PostgreSQL must take them all.
    command = s["postgres"]["command"]
    allowed = int(command[command.index("-c") + 1].removeprefix("max_connections="))
    assert allowed >= len(ours) * (Settings().database_pool_size + 10) + 10


def test_the_workspace_of_the_compose_file_is_valid() -> None:
    config = parse_config((ROOT / "deploy" / "crisisdesk.yaml").read_text(encoding="utf-8"),
                          path="deploy/crisisdesk.yaml")
    assert [m.name for m in config.monitors] == ["brand", "safety"]


def test_the_image_installs_postgresql_support_and_serves_on_the_published_port() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'pip install "\.\[postgres[^"]*\]"', dockerfile)
    assert "EXPOSE 8000" in dockerfile
    published = [svc["ports"][0] for svc in services().values() if "ports" in svc]
    assert all(p.endswith(":8000") for p in published) and len(published) == 2


def test_the_secrets_file_of_the_compose_file_stays_out_of_git_and_the_image() -> None:
    # compose.yaml and docs/deployment.md have people write the secret key and token into .env
    for ignore in (".gitignore", ".dockerignore"):
        assert ".env" in (ROOT / ignore).read_text(encoding="utf-8").split(), ignore
    assert "> .env" in (ROOT / "compose.yaml").read_text(encoding="utf-8")
