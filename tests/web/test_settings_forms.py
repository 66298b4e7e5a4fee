"""The settings forms driven like a browser: signed in, CSRF token sent, redirects followed by
hand. What they store is read back through the API, so the forms are held to the same service as
``/api/v1/config/{kind}/{key}`` (and to the YAML document, secrets included)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol

import pytest
import yaml
from fastapi.testclient import TestClient
from pydantic import SecretStr

from crisisdesk.accounts.roles import Role
from crisisdesk.notify.schemas import TARGET_MODELS, TargetKind
from crisisdesk.web.i18n import MESSAGES
from crisisdesk.web.settings_forms import WEEKDAYS
from crisisdesk.web.settings_target_forms import TARGET_FIELDS
from crisisdesk.web.templating import TEMPLATES
from tests.accounts.fixtures import PASSWORD, World, email_of

LEAD = Role.CRISIS_LEAD
HOOK_SECRET = "a-webhook-secret-of-some-length"
SMTP = """
notify:
  smtp:
    host: 127.0.0.1
    port: 2525
    starttls: false
    from: alerts@example.org
"""


class Response(Protocol):
    """What the tests read of an answer (the test client's response class depends on its httpx)."""

    @property
    def status_code(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


def browser(world: World, role: Role = LEAD, *, lang: str = "en") -> tuple[TestClient, str]:
    c = TestClient(world.client.app, base_url="http://localhost", headers={"Accept-Language": lang})
    assert c.post("/login", data={"email": email_of(role), "password": PASSWORD},
                  follow_redirects=False).status_code == 303
    match = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/").text)
    assert match
    return c, match.group(1)


def post(c: TestClient, csrf: str, path: str, data: dict[str, Any] | None = None) -> Response:
    return c.post(path, data={"csrf_token": csrf, **(data or {})}, follow_redirects=False)


def saved(c: TestClient, r: Response, back: str) -> int:
    """A stored change answers 303 to the list, which then says which version it became."""
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert location.startswith(back + "?saved="), location
    version = int(location.split("=", 1)[1].split("#")[0])
    assert f"Saved as version {version}." in c.get(location).text
    return version


def document(world: World) -> dict[str, Any]:
    """The document as stored (with its secrets: no reader over HTTP gets them)."""
    from crisisdesk.configuration.service import latest

    with world.engine.connect() as conn:
        found = latest(conn)
    assert found is not None
    doc: dict[str, Any] = yaml.safe_load(found.text)
    return doc


def items(world: World, kind: str) -> dict[str, Any]:
    got = world.client.get(f"/api/v1/config/{kind}", headers=world.bearer(LEAD)).json()
    return {i["key"]: i["value"] for i in got["items"]}


def test_a_monitor_is_created_refused_edited_and_deleted(world: World) -> None:
    c, csrf = browser(world)
    hub = c.get("/settings")
    assert hub.status_code == 200 and str(hub.url).endswith("/settings/monitors")
    assert re.search(r'<a href="/settings/monitors" aria-current="page">Monitors</a>', hub.text)
    assert "bahn" in hub.text and "data-query-check" in hub.text
    odd = c.get("/settings/monitors?saved=<b>")
    assert odd.status_code == 200 and "Saved as" not in odd.text  # only a version number is shown

    r = post(c, csrf, "/settings/monitors", {"name": "rival", "query": "rival* OR #rival",
                                             "description": "Competitor"})
    assert saved(c, r, "/settings/monitors") == 1
    assert items(world, "monitors")["rival"] == {"name": "rival", "query": "rival* OR #rival",
                                                 "description": "Competitor"}

    refused = post(c, csrf, "/settings/monitors", {"name": "broken", "query": "bahn AND ("})
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text and "monitors[name=broken].query" in refused.text
    assert "position 10" in refused.text
    assert 'value="bahn AND ("' in refused.text and 'value="broken"' in refused.text  # as typed
    assert '<a href="#f-query">' in refused.text  # the problem points at its field …
    described = r'id="f-query"[^>]*aria-describedby="f-query-hint f-query-error"[^>]*aria-invalid="true"'
    assert re.search(described, refused.text)  # … and the field at its problem
    taken = post(c, csrf, "/settings/monitors", {"name": "bahn", "query": "something else"})
    assert taken.status_code == 422 and "exists already" in taken.text
    assert "broken" not in items(world, "monitors") and items(world, "monitors")["bahn"]["query"] != "x"

    page = c.get("/settings/monitors/rival")
    assert page.status_code == 200 and 'value="rival* OR #rival"' in page.text
    assert 'name="name"' not in page.text  # the name is fixed: renaming is not offered
    refused = post(c, csrf, "/settings/monitors/rival", {"query": "rival AND (", "description": "Neu"})
    assert refused.status_code == 422
    assert 'value="rival AND ("' in refused.text and 'value="Neu"' in refused.text
    r = post(c, csrf, "/settings/monitors/rival", {"query": "rival OR konkurrent", "description": ""})
    assert saved(c, r, "/settings/monitors") == 2
    assert items(world, "monitors")["rival"] == {"name": "rival", "query": "rival OR konkurrent"}

    assert saved(c, post(c, csrf, "/settings/monitors/rival/delete"), "/settings/monitors") == 3
    assert "rival" not in items(world, "monitors")
    r = post(c, csrf, "/settings/monitors", {"name": "night shift", "query": "nacht"})  # a name with a space
    saved(c, r, "/settings/monitors")
    assert 'href="/settings/monitors/night%20shift"' in c.get("/settings/monitors").text
    assert 'value="nacht"' in c.get("/settings/monitors/night%20shift").text
    assert c.get("/settings/monitors/rival").status_code == 404
    assert post(c, csrf, "/settings/monitors/rival/delete").status_code == 404


def test_targets_of_two_kinds_and_a_secret_left_empty_keeps_its_value(world: World,
                                                                       workspace_file: Path) -> None:
    with workspace_file.open("a", encoding="utf-8") as f:
        f.write(SMTP)  # e-mail targets need a mail server
    c, csrf = browser(world)
    r = post(c, csrf, "/settings/targets", {
        "name": "room", "kind": "webhook", "webhook-url": "http://127.0.0.1:9/hook",
        "webhook-secret": HOOK_SECRET,
        "email-to": "not read", "slack-webhook_url": "not read either", "telegram-chat_id": "x"})
    saved(c, r, "/settings/targets")
    r = post(c, csrf, "/settings/targets", {"name": "desk", "kind": "email", "timeout": "5",
                                            "email-to": "a@example.org, b@example.org\r\nc@example.org\r\n"})
    saved(c, r, "/settings/targets")
    targets = document(world)["notify"]["targets"]
    assert targets["room"] == {"kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret": HOOK_SECRET}
    assert targets["desk"] == {"kind": "email", "to": ["a@example.org", "b@example.org", "c@example.org"],
                               "timeout": 5}

    listing = c.get("/settings/targets").text
    assert "http://127.0.0.1:9/hook" in listing and "a@example.org, b@example.org" in listing
    assert HOOK_SECRET not in listing
    edit = c.get("/settings/targets/room").text
    assert HOOK_SECRET not in edit and "Leave empty to keep the stored value." in edit
    assert re.search(r'id="f-webhook-secret" name="webhook-secret" type="password" value=""', edit)

    r = post(c, csrf, "/settings/targets/room", {"kind": "webhook", "webhook-url": "http://127.0.0.1:10/hook",
                                                 "webhook-secret": ""})
    saved(c, r, "/settings/targets")
    assert document(world)["notify"]["targets"]["room"] == {"kind": "webhook", "url": "http://127.0.0.1:10/hook",
                                                            "secret": HOOK_SECRET}

    typed = "another-secret-that-is-long"
    refused = post(c, csrf, "/settings/targets/room", {"kind": "webhook", "webhook-url": "nowhere",
                                                       "webhook-secret": typed})
    assert refused.status_code == 422 and "notify.targets.room.webhook.url" in refused.text
    assert '<a href="#f-webhook-url">' in refused.text and 'value="nowhere"' in refused.text
    assert typed not in refused.text and HOOK_SECRET not in refused.text and "type it again" in refused.text
    no_secret = post(c, csrf, "/settings/targets", {"name": "other", "kind": "webhook",
                                                    "webhook-url": "http://127.0.0.1:9/x"})
    assert no_secret.status_code == 422 and "notify.targets.other.secret: enter the secret" in no_secret.text


def test_people_with_working_hours_a_role_and_a_policy_with_two_steps(world: World) -> None:
    c, csrf = browser(world)
    saved(c, post(c, csrf, "/settings/targets", {"name": "room", "kind": "webhook",
                                                 "webhook-url": "http://127.0.0.1:9/hook",
                                                 "webhook-secret": HOOK_SECRET}), "/settings/targets")
    people_page = c.get("/settings/people").text
    assert 'name="targets" value="room"' in people_page  # the existing targets are offered

    r = post(c, csrf, "/settings/people", {"key": "anna", "name": "Anna Berg", "targets": "room",
                                           "lang": "de", "hours": "on", "days": ["mon", "tue", "sat"],
                                           "start": "07:30", "end": "16:00", "timezone": "Europe/Vienna"})
    saved(c, r, "/settings/people")
    r = post(c, csrf, "/settings/people", {"key": "ben", "name": "Ben", "targets": "room", "lang": "",
                                           "days": ["mon"], "start": "08:00", "end": "18:00",
                                           "timezone": "Europe/Berlin"})  # hours not ticked: none
    saved(c, r, "/settings/people")
    people = document(world)["people"]
    assert people["anna"] == {"name": "Anna Berg", "targets": ["room"], "lang": "de", "working_hours": {
        "days": ["mon", "tue", "sat"], "start": "07:30", "end": "16:00", "timezone": "Europe/Vienna"}}
    assert people["ben"] == {"name": "Ben", "targets": ["room"]}

    carl = {"key": "carl", "name": "Carl", "hours": "on", "start": "09:00", "end": "17:00",
            "timezone": "Mars/Olympus"}  # no target, no day
    refused = post(c, csrf, "/settings/people", carl)
    assert refused.status_code == 422
    assert "people.carl.targets" in refused.text and "unknown time zone" in refused.text
    assert '<a href="#f-targets">' in refused.text and '<a href="#f-timezone">' in refused.text
    assert 'value="Mars/Olympus"' in refused.text and 'value="carl"' in refused.text

    edit = c.get("/settings/people/anna").text
    assert re.search(r'name="targets" value="room" checked', edit) and 'value="07:30"' in edit
    assert re.search(r'name="days" value="sat" checked', edit) and not re.search(r'value="wed" checked', edit)

    r = post(c, csrf, "/settings/roles", {"role": "crisis_lead", "members": ["anna", "ben"]})
    assert r.headers["location"].endswith("#roles")
    saved(c, r, "/settings/people")
    assert document(world)["roles"] == {"crisis_lead": ["anna", "ben"]}
    page = c.get("/settings/people").text
    assert '<option value="spokesperson">' in page and '<option value="crisis_lead">' not in page
    saved(c, post(c, csrf, "/settings/roles/crisis_lead", {"members": "anna"}), "/settings/people")
    assert document(world)["roles"] == {"crisis_lead": ["anna"]}
    nobody = post(c, csrf, "/settings/roles/crisis_lead", {})
    assert nobody.status_code == 422 and "roles.crisis_lead: nobody holds this role" in nobody.text
    assert '<a href="#role-crisis_lead">' in nobody.text

    listing = c.get("/settings/policies").text
    assert "issue" in listing and "crisis" in listing  # the playbook's names of the levels
    form = c.get("/settings/policies/2").text
    assert 'name="step-0-notify" value="role:crisis_lead"' in form and 'name="step-0-wait"' in form
    r = post(c, csrf, "/settings/policies/2", {
        "step-0-notify": "role:crisis_lead", "step-0-wait": "10",
        "step-1-notify": ["person:ben", "target:room"], "step-1-wait": "",
        "step-2-wait": "", "repeat": "1"})  # the spare row left blank
    saved(c, r, "/settings/policies")
    assert document(world)["escalation"]["policies"] == [{"severity": 2, "steps": [
        {"notify": ["role:crisis_lead"], "wait_minutes": 10}, {"notify": ["person:ben", "target:room"]}],
        "repeat": 1}]
    form = c.get("/settings/policies/2").text
    assert 'name="step-1-notify" value="target:room" checked' in form and 'name="step-2-wait"' in form
    refused = post(c, csrf, "/settings/policies/3", {"step-0-wait": "5", "step-1-wait": ""})
    assert refused.status_code == 422 and "escalation.policies[severity=3].steps[0].notify" in refused.text
    assert '<a href="#f-step-0">' in refused.text and 'value="5"' in refused.text
    assert c.get("/settings/policies/7").status_code == 404
    saved(c, post(c, csrf, "/settings/policies/2/delete"), "/settings/policies")
    assert document(world)["escalation"]["policies"] == []


def test_deleting_what_is_still_used_is_refused_with_every_place(world: World) -> None:
    c, csrf = browser(world)
    lead = world.bearer(LEAD)
    world.client.put("/api/v1/config/targets/room", headers=lead,
                     json={"kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret": HOOK_SECRET})
    world.client.put("/api/v1/config/people/anna", headers=lead, json={"name": "Anna", "targets": ["room"]})
    world.client.put("/api/v1/config/roles/crisis_lead", headers=lead, json=["anna"])
    world.client.put("/api/v1/config/policies/2", headers=lead,
                     json={"steps": [{"notify": ["target:room", "role:crisis_lead"]}]})
    refused = post(c, csrf, "/settings/targets/room/delete")
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    assert "people.anna.targets[0]: unknown target" in refused.text
    assert "escalation.policies[0].steps[0].notify[0]: unknown target" in refused.text
    assert "room" in document(world)["notify"]["targets"]
    refused = post(c, csrf, "/settings/roles/crisis_lead/delete")
    assert refused.status_code == 422
    assert "escalation.policies[0].steps[0].notify[1]: unknown role" in refused.text
    refused = post(c, csrf, "/settings/people/anna/delete")
    assert refused.status_code == 422 and "roles.crisis_lead[0]: unknown person" in refused.text


PAGES = ["/settings", "/settings/monitors", "/settings/monitors/bahn", "/settings/targets",
         "/settings/targets/x", "/settings/people", "/settings/people/x", "/settings/policies",
         "/settings/policies/2", "/settings/document", "/settings/export"]
POSTS = ["/settings/monitors", "/settings/monitors/bahn", "/settings/monitors/bahn/delete",
         "/settings/targets", "/settings/targets/x", "/settings/targets/x/delete", "/settings/people",
         "/settings/people/x", "/settings/people/x/delete", "/settings/roles", "/settings/roles/x",
         "/settings/roles/x/delete", "/settings/policies/2", "/settings/policies/2/delete", "/settings"]


@pytest.mark.parametrize("role", [Role.ANALYST, Role.AGENT, Role.SPOKESPERSON])
def test_only_who_may_change_the_configuration_sees_and_sends_the_forms(world: World, role: Role) -> None:
    c, csrf = browser(world, role)
    for path in PAGES:
        assert c.get(path, follow_redirects=False).status_code == 403, path
    for path in POSTS:
        r = post(c, csrf, path, {"name": "m", "query": "x", "text": "monitors: []", "members": "anna"})
        assert r.status_code == 403, path
    assert world.client.get("/api/v1/config", headers=world.bearer(Role.ADMIN)).json()["version"] is None


def test_pages_are_german_for_a_german_reader(world: World) -> None:
    c, csrf = browser(world, LEAD, lang="de")
    page = c.get("/settings/monitors").text
    assert "Neuer Monitor" in page and "Benachrichtigungsziele" in page and "Eskalationsrichtlinien" in page
    assert "New monitor" not in page and "(Pflichtfeld)" in page
    assert "Neues Benachrichtigungsziel" in c.get("/settings/targets").text
    people = c.get("/settings/people").text
    assert "Neue Person" in people and "Arbeitszeit" in people and ">Mo</label>" not in people
    assert "Rolle hinzufügen" in people
    assert "Problem" in c.get("/settings/policies").text and "Beobachten" in c.get("/settings/policies").text
    refused = post(c, csrf, "/settings/monitors", {"name": "bahn", "query": "x"})
    assert "Nicht gespeichert:" in refused.text and "gibt es schon" in refused.text
    admin, _ = browser(world, Role.ADMIN, lang="de")
    users = admin.get("/admin/users").text
    assert "Benutzer hinzufügen" in users and "<th>Rolle</th>" in users and ">Aktiv<" in users
    assert "Krisenleitung" in users


def test_the_document_keeps_its_editor_export_and_import(world: World) -> None:
    c, _ = browser(world)
    page = c.get("/settings/document").text
    assert 'id="config-text"' in page and 'id="query-check"' in page and "/settings/export" in page
    assert re.search(r'<a href="/settings/document" aria-current="page">Document</a>', page)


class _Controls(HTMLParser):
    """Form controls without a label (for=, or wrapped), and ids used twice."""

    def __init__(self) -> None:
        super().__init__()
        self.labelled: set[str] = set()
        self.controls: list[tuple[str, bool]] = []  # (id, inside a label)
        self.ids: list[str] = []
        self._in_label = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "label":
            self._in_label += 1
            if a.get("for"):
                self.labelled.add(str(a["for"]))
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append((str(a.get("id") or a.get("name")), self._in_label > 0 or "aria-label" in a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._in_label -= 1

    def unlabelled(self) -> list[str]:
        return [c for c, wrapped in self.controls if not wrapped and c not in self.labelled]


def test_every_control_on_every_settings_page_has_a_label(world: World) -> None:
    c, csrf = browser(world)
    post(c, csrf, "/settings/targets", {"name": "room", "kind": "webhook", "webhook-url": "http://127.0.0.1:9",
                                        "webhook-secret": HOOK_SECRET})
    post(c, csrf, "/settings/people", {"key": "anna", "name": "Anna", "targets": "room"})
    post(c, csrf, "/settings/roles", {"role": "crisis_lead", "members": "anna"})
    post(c, csrf, "/settings/policies/1", {"step-0-notify": "role:crisis_lead"})
    for path in ["/settings/monitors", "/settings/monitors/bahn", "/settings/targets",
                 "/settings/targets/room", "/settings/people", "/settings/people/anna", "/settings/policies",
                 "/settings/policies/1", "/settings/document"]:
        r = c.get(path)
        assert r.status_code == 200, path
        controls = _Controls()
        controls.feed(r.text)
        assert controls.unlabelled() == [], path
        assert len(controls.ids) == len(set(controls.ids)), (path, sorted(controls.ids))


def test_the_target_form_offers_every_field_of_every_kind() -> None:
    for kind, model in TARGET_MODELS.items():
        offered = {f.name: f for f in TARGET_FIELDS[kind]}
        assert set(offered) | {"kind", "timeout"} == set(model.model_fields), kind
        for name, spec in offered.items():
            annotation = str(model.model_fields[name].annotation)
            assert spec.secret == (SecretStr.__name__ in annotation), (kind, name)
            assert f"target.field.{name}" in MESSAGES
        assert f"target.kind.{kind.value}" in MESSAGES
    assert set(TARGET_FIELDS) == set(TargetKind)
    assert all(f"day.{d}" in MESSAGES for d in WEEKDAYS)


def test_every_text_the_settings_templates_ask_for_exists() -> None:
    keys = set()
    for template in TEMPLATES.glob("*.html"):
        keys |= set(re.findall(r"""\bt\(["']([\w.]+)["']\s*[,)]""", template.read_text(encoding="utf-8")))
    for section in ("monitors", "targets", "people", "policies", "analysis", "document"):
        keys.add(f"settings.section.{section}")
    for kind in ("role", "person", "target"):
        keys |= {f"settings.recipient.{kind}", f"settings.recipients.{kind}"}
    assert sorted(k for k in keys if k not in MESSAGES) == []
