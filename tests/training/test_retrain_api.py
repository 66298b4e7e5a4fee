"""The retrain in one click: the settings' Analysis page and POST /api/v1/analysis/retrain start the
same background job, only for who may (``manage_analysis``), and GET shows its step or result."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crisisdesk.accounts.roles import Role
from tests.accounts.fixtures import SERVICE_TOKEN, World, make_world
from tests.factories import post
from tests.training.retrain_world import base_model, corrections, fake_loader, model_workspace
from tests.web.test_pages import browser

__all__ = ["base_model", "model_workspace"]  # fixtures used here

SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
URL = "/api/v1/analysis/retrain"


@pytest.fixture
def world(model_workspace: Path) -> Iterator[World]:
    """The accounts world on a workspace whose model is the small base model; the retrain job
    trains on the stand-in public data."""
    for w in make_world(model_workspace):
        w.client.app.state.retrain.loader = fake_loader  # type: ignore[attr-defined]
        yield w


def label(world: World, rows: list[tuple[str, str, str]]) -> None:
    """Posts in through the API, corrections through the API: the loop a team uses."""
    texts = list(dict.fromkeys(text for text, _, _ in rows))
    ids = {text: f"c{i}" for i, text in enumerate(texts)}
    r = world.client.post("/api/v1/posts", headers=SERVICE,
                          json=[post(i, id=ids[t], text=t, lang="en") for i, t in enumerate(texts)])
    assert r.status_code == 200 and r.json()["summary"]["imported"] == len(texts), r.text
    for text, task, value in rows:
        r = world.client.post(f"/api/v1/posts/x/{ids[text]}/labels", json={task: value}, headers=SERVICE)
        assert r.status_code == 200, r.text


def test_only_admins_start_it_and_readers_of_the_settings_see_it(world: World) -> None:
    label(world, corrections("better")[:10])
    for role in (Role.CRISIS_LEAD, Role.SPOKESPERSON, Role.AGENT, Role.ANALYST):
        assert world.client.post(URL, headers=world.bearer(role)).status_code == 403
    assert world.client.post(URL, headers=SERVICE).status_code == 403
    assert world.client.post(URL).status_code == 401
    assert world.client.get(URL, headers=world.bearer(Role.ANALYST)).status_code == 403
    state = world.client.get(URL, headers=world.bearer(Role.CRISIS_LEAD))
    assert state.status_code == 200 and state.json()["state"] == "idle"

    lead, csrf = browser(world, Role.CRISIS_LEAD)
    page = lead.get("/settings/analysis")
    assert page.status_code == 200 and "Retrain from corrections" in page.text
    assert 'action="/settings/analysis/retrain"' not in page.text  # no button without the permission
    refused = lead.post("/settings/analysis/retrain", data={"csrf_token": csrf}, follow_redirects=False)
    assert refused.status_code == 403
    assert world.client.get(URL, headers=world.bearer(Role.ADMIN)).json()["state"] == "idle"

    # Too few corrections: answered at once, nothing runs.
    r = world.client.post(URL, headers=world.bearer(Role.ADMIN))
    assert r.status_code == 202, r.text
    assert r.json()["state"] == "finished" and r.json()["result"]["outcome"] == "too_few"
    assert "about 50 corrections" in r.json()["result"]["message"]


def test_the_button_retrains_ships_and_the_service_applies_it(world: World) -> None:
    label(world, corrections("better"))
    admin, csrf = browser(world, Role.ADMIN, lang="de")
    page = admin.get("/settings/analysis").text
    assert "models/base.npz" in page and 'action="/settings/analysis/retrain"' in page
    assert re.search(r"<td>Stimmung</td><td>60</td><td>12</td>", page)

    started = admin.post("/settings/analysis/retrain", data={"csrf_token": csrf}, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"] == "/settings/analysis"
    # Training takes seconds: meanwhile the state says where it is, and a second start is refused.
    assert world.client.get(URL, headers=world.bearer(Role.ADMIN)).json()["state"] == "running"
    assert world.client.post(URL, headers=world.bearer(Role.ADMIN)).status_code == 409
    world.client.app.state.retrain.join()  # type: ignore[attr-defined]

    state = world.client.get(URL, headers=world.bearer(Role.ADMIN)).json()
    assert state["state"] == "finished" and state["by"] == "admin@example.org", state
    result = state["result"]
    assert result["outcome"] == "shipped" and result["config_version"] == 1, result["message"]
    sentiment = result["held_back"]["sentiment"]
    assert sentiment["after"]["macro_f1"] > sentiment["before"]["macro_f1"]
    assert world.runtime.workspace.config.analysis.model == result["model"]  # in force in this process
    assert world.runtime.version == 1

    page = admin.get("/settings/analysis").text
    assert f"Eingesetzt: {result['model']}, Konfiguration Version 1." in page
    assert "Auf den zurückgehaltenen Korrekturen" in page and "Makro-F1" in page

    dry = world.client.post(URL, json={"dry_run": True}, headers=world.bearer(Role.ADMIN))
    assert dry.status_code == 202 and dry.json()["dry_run"] is True
    world.client.app.state.retrain.join()  # type: ignore[attr-defined]
    assert world.client.get(URL,
                            headers=world.bearer(Role.ADMIN)).json()["result"]["outcome"] == "dry_run"
    assert world.runtime.version == 1  # a dry run never ships


def test_a_browser_needs_the_csrf_token(world: World) -> None:
    admin = TestClient(world.client.app, base_url="http://localhost")
    world.login("admin@example.org", client=admin)
    assert admin.post("/settings/analysis/retrain", follow_redirects=False).status_code == 403
