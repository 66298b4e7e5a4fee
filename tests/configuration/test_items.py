"""The configuration one item at a time: monitors, targets, people, roles and policies over
``/api/v1/config/{kind}/{key}``, each change a version, comments kept, references checked,
secrets never shown, permissions per kind."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crisisdesk.accounts.roles import Role
from crisisdesk.audit.models import AuditEntry
from crisisdesk.configuration.secrets import MASK
from tests.accounts.fixtures import World, rows

LEAD = Role.CRISIS_LEAD
HOOK_SECRET = "a-webhook-secret-of-some-length"


def stored(world: World) -> str:
    """The document as stored (with its secrets: no reader over HTTP gets them)."""
    from crisisdesk.configuration.service import latest

    with world.engine.connect() as conn:
        found = latest(conn)
    assert found is not None
    return found.text


def put(world: World, kind: str, key: str, value: object, role: Role = LEAD) -> tuple[int, dict[str, object]]:
    r = world.client.put(f"/api/v1/config/{kind}/{key}", json=value, headers=world.bearer(role))
    return r.status_code, r.json()


def build_team(world: World) -> None:
    """A target, a person, a role and a policy, in the order references need."""
    assert put(world, "targets", "room", {"kind": "webhook", "url": "http://127.0.0.1:9/hook",
                                          "secret": HOOK_SECRET})[0] == 201
    assert put(world, "people", "anna", {"name": "Anna Berg", "targets": ["room"], "lang": "de",
                                         "working_hours": {"start": "08:00", "end": "18:00"}})[0] == 201
    assert put(world, "roles", "crisis_lead", ["anna"])[0] == 201
    policy = {"steps": [{"notify": ["role:crisis_lead"], "wait_minutes": 10}]}
    assert put(world, "policies", "2", policy)[0] == 201


def test_a_monitor_is_added_changed_and_deleted_keeping_the_rest_as_written(world: World,
                                                                           workspace_file: Path) -> None:
    original = workspace_file.read_text(encoding="utf-8")
    workspace_file.write_text("# our monitors\n" + original, encoding="utf-8")
    listed = world.client.get("/api/v1/config/monitors", headers=world.bearer(LEAD)).json()
    assert [i["key"] for i in listed["items"]] == ["bahn", "streik"] and listed["version"] is None

    status, body = put(world, "monitors", "rival", {"query": "rival* OR #rival", "description": "Competitor"})
    assert status == 201 and body["created"] is True
    text = stored(world)
    assert text.startswith("# our monitors\n")  # the comment survived the form
    assert "'\"deutsche bahn\" OR #db" in text  # other entries keep their quoting
    assert [m["name"] for m in yaml.safe_load(text)["monitors"]] == ["bahn", "streik", "rival"]

    status, body = put(world, "monitors", "rival", {"query": "rival OR konkurrent"})
    assert status == 200 and body["created"] is False
    got = world.client.get("/api/v1/config/monitors/rival", headers=world.bearer(LEAD)).json()
    assert got["value"] == {"name": "rival", "query": "rival OR konkurrent"}

    r = world.client.delete("/api/v1/config/monitors/streik", headers=world.bearer(LEAD))
    assert r.status_code == 200
    assert [m["name"] for m in yaml.safe_load(stored(world))["monitors"]] == ["bahn", "rival"]
    gone = "/api/v1/config/monitors/streik"
    assert world.client.get(gone, headers=world.bearer(LEAD)).status_code == 404
    assert world.client.delete(gone, headers=world.bearer(LEAD)).status_code == 404

    audit = rows(world, AuditEntry, AuditEntry.action == "config.changed")
    assert [(a.target_type, a.target_id) for a in audit] == [("config.monitors", "rival")] * 2 + [
        ("config.monitors", "streik")]
    assert audit[1].before["value"]["query"] == "rival* OR #rival"
    assert audit[1].after["value"]["query"] == "rival OR konkurrent"
    assert audit[2].after["value"] is None


def test_a_bad_query_is_refused_with_its_place_and_nothing_is_stored(world: World) -> None:
    status, body = put(world, "monitors", "broken", {"query": "bahn AND ("})
    assert status == 422
    assert "monitors[name=broken].query" in str(body["detail"]) and "position 10" in str(body["detail"])
    status, body = put(world, "monitors", "bahn", {"name": "other", "query": "x"})
    assert status == 422 and "cannot be renamed" in str(body["detail"])
    status, body = put(world, "monitors", "has/slash", {"query": "x"})
    assert status in (404, 422)
    assert world.client.get("/api/v1/config", headers=world.bearer(LEAD)).json()["version"] is None


def test_people_roles_policies_and_targets_refer_to_each_other_and_deletion_is_checked(world: World) -> None:
    status, body = put(world, "people", "ben", {"name": "Ben", "targets": ["nowhere"]})
    assert status == 422 and "people.ben.targets[0]: unknown target 'nowhere'" in str(body["detail"])
    build_team(world)
    doc = yaml.safe_load(stored(world))
    assert doc["people"]["anna"]["working_hours"]["start"] == "08:00"  # stays a time, not 480 minutes
    assert doc["escalation"]["policies"] == [{"severity": 2, "steps": [{"notify": ["role:crisis_lead"],
                                                                         "wait_minutes": 10}]}]
    put(world, "policies", "1", {"steps": [{"notify": ["target:room"]}]})
    assert [p["severity"] for p in yaml.safe_load(stored(world))["escalation"]["policies"]] == [1, 2]

    r = world.client.delete("/api/v1/config/targets/room", headers=world.bearer(LEAD))
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "people.anna.targets[0]: unknown target 'room'" in detail
    assert "escalation.policies[0].steps[0].notify[0]: unknown target 'room'" in detail
    assert "room" in yaml.safe_load(stored(world))["notify"]["targets"]  # nothing lost

    status, body = put(world, "policies", "7", {"steps": [{"notify": ["role:crisis_lead"]}]})
    assert status == 422 and "severity" in str(body["detail"])
    status, body = put(world, "policies", "3", {"steps": [{"notify": ["crisis_lead"]}]})
    assert status == 422 and "escalation.policies[severity=3].steps[0].notify" in str(body["detail"])


def test_secrets_are_masked_and_a_masked_secret_keeps_its_value(world: World,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    build_team(world)
    got = world.client.get("/api/v1/config/targets/room", headers=world.bearer(LEAD)).json()
    assert got["value"]["secret"] == MASK and HOOK_SECRET not in str(got)
    listed = world.client.get("/api/v1/config/targets", headers=world.bearer(LEAD)).json()
    assert HOOK_SECRET not in str(listed)
    got["value"]["url"] = "http://127.0.0.1:10/hook"
    assert put(world, "targets", "room", got["value"])[0] == 200
    target = yaml.safe_load(stored(world))["notify"]["targets"]["room"]
    assert target == {"kind": "webhook", "url": "http://127.0.0.1:10/hook", "secret": HOOK_SECRET}
    audit = rows(world, AuditEntry, AuditEntry.target_type == "config.targets")
    assert audit and all(HOOK_SECRET not in str(a.before) + str(a.after) for a in audit)

    masked = {"kind": "webhook", "url": "http://127.0.0.1:9", "secret": MASK}
    status, body = put(world, "targets", "new", masked)
    assert status == 422 and "notify.targets.new.secret: enter the secret" in str(body["detail"])
    status, body = put(world, "targets", "chat", {"kind": "slack", "webhook_url": "env:CD_TEST_UNSET_HOOK"})
    assert status == 422 and "CD_TEST_UNSET_HOOK" in str(body["detail"])
    monkeypatch.setenv("CD_TEST_SLACK_HOOK", "https://hooks.slack.example/services/T0")
    assert put(world, "targets", "chat", {"kind": "slack", "webhook_url": "env:CD_TEST_SLACK_HOOK"})[0] == 201
    shown = world.client.get("/api/v1/config/targets/chat", headers=world.bearer(LEAD)).json()
    assert shown["value"]["webhook_url"] == "env:CD_TEST_SLACK_HOOK"  # a reference is not a secret


@pytest.mark.parametrize("role", list(Role))
def test_who_may_read_and_change_which_kind(world: World, role: Role) -> None:
    may_read = role in (Role.ADMIN, Role.CRISIS_LEAD)
    for kind in ("monitors", "targets", "people", "roles", "policies"):
        r = world.client.get(f"/api/v1/config/{kind}", headers=world.bearer(role))
        assert r.status_code == (200 if may_read else 403), (kind, role)
    status, _ = put(world, "monitors", f"m-{role.value}", {"query": "x"}, role=role)
    assert status == (201 if may_read else 403)
    status, _ = put(world, "targets", f"t-{role.value}", {"kind": "webhook", "url": "http://127.0.0.1:9",
                                                          "secret": HOOK_SECRET}, role=role)
    assert status == (201 if may_read else 403)
    r = world.client.delete("/api/v1/config/monitors/streik", headers=world.bearer(role))
    assert r.status_code == (200 if may_read else 403)


def test_openapi_documents_every_item_route(world: World) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    for kind in ("monitors", "targets", "people", "roles", "policies"):
        assert set(paths[f"/api/v1/config/{kind}/{{key}}"]) == {"get", "put", "delete"}
        assert "get" in paths[f"/api/v1/config/{kind}"]
