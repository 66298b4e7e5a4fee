"""Literal secrets of the configuration never reach a browser or an API client, survive a document
saved back with their mask, and leave the server only on an admin's explicit export; the files
that hold them are readable by their owner only. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crisisdesk.accounts.roles import Role
from crisisdesk.cli.main import app
from crisisdesk.configuration.secrets import MASK
from crisisdesk.configuration.service import latest
from tests.accounts.fixtures import PASSWORD, World, email_of, make_world

runner = CliRunner()

HOOK_SECRET = "hook-secret-0123456789abcdef"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/slacksecretpart"
BOT_TOKEN = "123456:telegram-bot-secret"
SMTP_PASSWORD = "smtp-password-secret"
SECRETS = (HOOK_SECRET, SLACK_URL, BOT_TOKEN, SMTP_PASSWORD)

NOTIFY = f"""
notify:
  smtp:  # the mail relay
    host: 127.0.0.1
    username: alerts
    password: "{SMTP_PASSWORD}"
    from: alerts@example.org
  targets:
    hook: {{kind: webhook, url: "http://127.0.0.1:9/hook", secret: "{HOOK_SECRET}"}}
    room: {{kind: slack, webhook_url: "{SLACK_URL}"}}
    bot: {{kind: telegram, bot_token: "{BOT_TOKEN}", chat_id: 42}}
    teams: {{kind: teams, webhook_url: env:TEAMS_URL}}
"""


@pytest.fixture
def world(workspace_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("TEAMS_URL", "https://teams.example.org/hook")
    with workspace_file.open("a", encoding="utf-8") as f:
        f.write(NOTIFY)
    yield from make_world(workspace_file)


def stored(world: World) -> str:
    with world.engine.connect() as conn:
        found = latest(conn)
    assert found is not None
    return found.text


def assert_masked(text: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, leaked
    assert text.count(MASK) >= 4 and "env:TEAMS_URL" in text  # a reference is no secret


def browser(world: World, role: Role = Role.ADMIN) -> tuple[TestClient, str]:
    c = TestClient(world.client.app, base_url="http://localhost")
    assert c.post("/login", data={"email": email_of(role), "password": PASSWORD},
                  follow_redirects=False).status_code == 303
    match = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/settings/document").text)
    assert match
    return c, match.group(1)


def test_no_reader_gets_a_literal_secret(world: World) -> None:
    for source in ("file", "database"):
        for role in (Role.CRISIS_LEAD, Role.ADMIN):
            got = world.client.get("/api/v1/config", headers=world.bearer(role)).json()
            assert got["source"] == source
            assert_masked(got["text"])
            c, _csrf = browser(world, role)
            assert_masked(c.get("/settings/document").text)
            assert_masked(c.get("/settings/export").text)
        # the comment and the order of what people wrote survive the masking
        assert "smtp:  # the mail relay" in got["text"]
        # from now on the database is in force
        r = world.client.put("/api/v1/config", json={"text": got["text"]}, headers=world.bearer(Role.ADMIN))
        assert r.status_code == 200, r.text


def test_a_document_saved_back_masked_keeps_every_secret(world: World) -> None:
    text = world.client.get("/api/v1/config", headers=world.bearer(Role.ADMIN)).json()["text"]
    changed = text.replace("name: streik", "name: strike")
    r = world.client.put("/api/v1/config", json={"text": changed}, headers=world.bearer(Role.ADMIN))
    assert r.status_code == 200, r.text
    doc = yaml.safe_load(stored(world))
    assert doc["monitors"][1]["name"] == "strike"
    assert doc["notify"]["smtp"]["password"] == SMTP_PASSWORD
    targets = doc["notify"]["targets"]
    assert (targets["hook"]["secret"], targets["room"]["webhook_url"], targets["bot"]["bot_token"],
            targets["teams"]["webhook_url"]) == (HOOK_SECRET, SLACK_URL, BOT_TOKEN, "env:TEAMS_URL")

    # again through the browser's editor, twice: the round trip never destroys a secret
    c, csrf = browser(world)
    for _ in range(2):
        page = c.get("/settings/document").text
        shown = re.search(r'<textarea[^>]*id="config-text"[^>]*>(.*?)</textarea>', page, re.S)
        assert shown
        import html

        r = c.post("/settings", data={"text": html.unescape(shown.group(1)), "note": "round trip",
                                      "csrf_token": csrf}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        assert_masked(r.text)  # the saved document comes back masked too
        assert SLACK_URL in stored(world) and SMTP_PASSWORD in stored(world)


def test_a_mask_where_nothing_is_stored_is_refused_with_its_place(world: World) -> None:
    text = world.client.get("/api/v1/config", headers=world.bearer(Role.ADMIN)).json()["text"]
    doc = yaml.safe_load(text)
    doc["notify"]["targets"]["new-hook"] = {"kind": "webhook", "url": "http://127.0.0.1:9/x", "secret": MASK}
    doc["notify"]["targets"]["room"] = {"kind": "teams", "webhook_url": MASK}  # another kind: no secret kept
    r = world.client.put("/api/v1/config", json={"text": yaml.safe_dump(doc)},
                         headers=world.bearer(Role.ADMIN))
    assert r.status_code == 422
    assert "notify.targets.new-hook.secret: enter the secret" in r.json()["detail"]
    assert "notify.targets.room.webhook_url: enter the secret" in r.json()["detail"]
    with world.engine.connect() as conn:
        assert latest(conn) is None  # nothing stored


def test_export_masks_unless_asked_and_import_of_a_masked_export_keeps_them(
        world: World, workspace_file: Path, tmp_path: Path) -> None:
    exported = runner.invoke(app, ["config", "export", "--config", str(workspace_file)])
    assert exported.exit_code == 0, exported.output
    assert_masked(exported.stdout)
    masked = tmp_path / "masked.yaml"
    masked.write_text(exported.stdout.replace("name: streik", "name: strike"), encoding="utf-8")
    imported = runner.invoke(app, ["config", "import", str(masked), "--config", str(workspace_file)])
    assert imported.exit_code == 0, imported.output
    assert all(s in stored(world) for s in SECRETS) and "name: strike" in stored(world)

    full = tmp_path / "full.yaml"
    full.write_text("left over", encoding="utf-8")
    full.chmod(0o644)
    done = runner.invoke(app, ["config", "export", "--include-secrets", "-o", str(full),
                               "--config", str(workspace_file)])
    assert done.exit_code == 0, done.output
    assert all(s in full.read_text(encoding="utf-8") for s in SECRETS)
    assert stat.S_IMODE(full.stat().st_mode) == 0o600
    shown = runner.invoke(app, ["config", "export", "--include-secrets", "--config", str(workspace_file)])
    assert SLACK_URL in shown.stdout


def test_the_database_and_the_key_file_are_readable_by_their_owner_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRISISDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("CRISISDESK_CONFIG", raising=False)
    monkeypatch.delenv("CRISISDESK_SECRET_KEY", raising=False)
    old = os.umask(0o022)  # the usual umask, which made the file 0644
    try:
        result = runner.invoke(app, ["init", str(tmp_path / "ws")])
        assert result.exit_code == 0, result.output
        db = tmp_path / "ws" / "crisisdesk.db"
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
        # a write leaves the WAL and shared-memory files beside it: the same mode
        from crisisdesk.db import make_engine

        engine = make_engine(f"sqlite:///{db}")
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE t (x)")
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            for suffix in ("-wal", "-shm"):
                side = db.with_name(db.name + suffix)
                assert side.exists() and stat.S_IMODE(side.stat().st_mode) == 0o600, suffix
            # any first open creates the file so too, not only `init`
            other = tmp_path / "elsewhere" / "new.db"
            other.parent.mkdir()
            fresh = make_engine(f"sqlite:///{other}")
            with fresh.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            fresh.dispose()
            assert stat.S_IMODE(other.stat().st_mode) == 0o600
        finally:
            engine.dispose()
        # the key that signs acknowledgement links
        from crisisdesk.settings import Settings
        from crisisdesk.workspace import SECRET_FILE, load_workspace, secret_key

        settings = Settings()
        key = secret_key(load_workspace(tmp_path / "ws" / "crisisdesk.yaml", settings), settings)
        key_file = tmp_path / "ws" / SECRET_FILE
        assert key and stat.S_IMODE(key_file.stat().st_mode) == 0o600
        # one left readable by others (by an older version, or a copy) is tightened on use
        key_file.chmod(0o644)
        assert secret_key(load_workspace(tmp_path / "ws" / "crisisdesk.yaml", settings), settings) == key
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    finally:
        os.umask(old)


CHANNEL_TOKEN = "EAAG-whatsapp-access-token-secret"
IMAP_PASSWORD = "imap-password-secret"
CHANNELS = f"""
channels:
  - key: wa  # our number
    platform: whatsapp
    phone_number_id: "106540352242922"
    access_token: "{CHANNEL_TOKEN}"
    app_secret: env:META_APP_SECRET
    verify_token: verify-secret-value
  - key: mail
    platform: email
    address: service@example.org
    imap: {{host: 127.0.0.1, username: service, password: "{IMAP_PASSWORD}"}}
"""


def test_channel_secrets_are_masked_and_kept_like_the_others(workspace_file: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("META_APP_SECRET", "from-the-environment")
    with workspace_file.open("a", encoding="utf-8") as f:
        f.write(CHANNELS)
    for world in make_world(workspace_file):
        text = world.client.get("/api/v1/config", headers=world.bearer(Role.ADMIN)).json()["text"]
        assert CHANNEL_TOKEN not in text and IMAP_PASSWORD not in text and "verify-secret-value" not in text
        assert "env:META_APP_SECRET" in text and "- key: wa  # our number" in text
        r = world.client.put("/api/v1/config", json={"text": text}, headers=world.bearer(Role.ADMIN))
        assert r.status_code == 200, r.text
        doc = yaml.safe_load(stored(world))
        assert doc["channels"][0]["access_token"] == CHANNEL_TOKEN
        assert doc["channels"][1]["imap"]["password"] == IMAP_PASSWORD
        # a mask on a new channel has nothing to stand for
        doc["channels"].append({**doc["channels"][0], "key": "wa2", "access_token": MASK})
        r = world.client.put("/api/v1/config", json={"text": yaml.safe_dump(doc)},
                             headers=world.bearer(Role.ADMIN))
        assert r.status_code == 422 and "channels[2].access_token: enter the secret" in r.json()["detail"]
