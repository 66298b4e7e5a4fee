"""The configuration in the database: import and export, validation, the API, the settings page,
and which configuration is in force."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crisisdesk.accounts.roles import Role
from crisisdesk.audit.models import AuditEntry
from crisisdesk.cli.main import app
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.accounts.fixtures import PASSWORD, World, email_of, rows

runner = CliRunner()
NEW = "monitors:\n  - name: brand\n    query: 'brand OR #brand'\n  - name: rival\n    query: rival\n"
BROKEN = "monitors:\n  - name: brand\n    query: 'brand AND ('\n  - name: rival\n    query: '\"unclosed'\n"


def test_import_puts_the_database_in_force_and_export_gives_it_back(workspace_file: Path,
                                                                    tmp_path: Path) -> None:
    new = tmp_path / "new.yaml"
    new.write_text(NEW, encoding="utf-8")
    assert runner.invoke(app, ["config", "check", str(new)]).exit_code == 0
    result = runner.invoke(app, ["config", "import", str(new), "--config", str(workspace_file),
                                 "--note", "x"])
    assert result.exit_code == 0, result.output
    exported = runner.invoke(app, ["config", "export", "--config", str(workspace_file)])
    assert exported.stdout == NEW
    listed = runner.invoke(app, ["monitors", "--config", str(workspace_file)])
    assert "rival" in listed.stdout and "streik" not in listed.stdout  # the file's monitors are not in force
    settings = Settings()
    runtime = build_runtime(load_workspace(workspace_file, settings), settings)
    try:
        assert [n for n in runtime.runner.monitors.names if ":" not in n] == ["brand", "rival"]
    finally:
        runtime.close()


def test_a_broken_document_is_refused_whole_with_every_problem_and_its_place(workspace_file: Path,
                                                                             tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(app, ["config", "import", str(bad), "--config", str(workspace_file)])
    assert result.exit_code == 2
    message = result.stderr.replace("\n", "")
    assert "monitors[0].query (monitor 'brand')" in message
    assert "monitors[1].query (monitor 'rival')" in message
    exported = runner.invoke(app, ["config", "export", "--config", str(workspace_file)])
    assert "streik" in exported.stdout  # nothing was stored: the file is still in force


def browser(world: World, role: Role) -> tuple[TestClient, str]:
    c = TestClient(world.client.app, base_url="http://localhost")
    assert c.post("/login", data={"email": email_of(role), "password": PASSWORD},
                  follow_redirects=False).status_code == 303
    page = c.get("/settings")
    match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert match, page.status_code
    return c, match.group(1)


def test_the_settings_page_saves_versions_and_keeps_a_refused_text(world: World) -> None:
    c, csrf = browser(world, Role.CRISIS_LEAD)
    page = c.get("/settings").text
    assert "bahn" in page and "Still from the file" in page
    refused = c.post("/settings", data={"csrf_token": csrf, "text": BROKEN})
    assert refused.status_code == 422
    assert "monitors[0].query (monitor &#39;brand&#39;)" in refused.text
    assert "brand AND (" in refused.text  # the text typed is still in the editor
    saved = c.post("/settings", data={"csrf_token": csrf, "text": NEW, "note": "new brand"})
    assert saved.status_code == 200 and "Saved as version" in saved.text
    assert c.get("/settings/export").text == NEW
    entries = rows(world, AuditEntry, AuditEntry.action == "config.changed")
    assert len(entries) == 1 and entries[0].after["monitors"] == ["brand", "rival"]
    uploaded = c.post("/settings/import", data={"csrf_token": csrf},
                      files={"file": ("team.yaml", NEW.replace("rival", "other"), "text/yaml")})
    assert uploaded.status_code == 200 and "version 2" in uploaded.text
    agent = TestClient(world.client.app, base_url="http://localhost")
    agent.post("/login", data={"email": email_of(Role.AGENT), "password": PASSWORD})
    assert agent.get("/settings").status_code == 403


def test_queries_are_checked_as_they_are_typed(world: World) -> None:
    check = world.client.post("/api/v1/queries/check", json={"query": "bahn AND ("},
                              headers=world.bearer(Role.ANALYST))
    assert check.status_code == 200
    body = check.json()
    assert body["ok"] is False and body["position"] == 10 and "expected" in body["error"]
    good = world.client.post("/api/v1/queries/check", json={"query": '"deutsche bahn" OR #db'},
                             headers=world.bearer(Role.ANALYST))
    assert good.json() == {"ok": True, "error": None, "position": None}


def test_the_api_replaces_the_configuration(world: World) -> None:
    r = world.client.put("/api/v1/config", json={"text": BROKEN}, headers=world.bearer(Role.ADMIN))
    assert r.status_code == 422 and "monitors[1].query" in r.json()["detail"]
    r = world.client.put("/api/v1/config", json={"text": NEW}, headers=world.bearer(Role.ADMIN))
    assert r.status_code == 200 and r.json()["monitors"] == ["brand", "rival"]
    got = world.client.get("/api/v1/config", headers=world.bearer(Role.CRISIS_LEAD)).json()
    assert got["source"] == "database" and got["text"] == NEW and got["version"] == r.json()["version"]
