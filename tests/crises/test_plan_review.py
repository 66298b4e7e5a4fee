"""Keeping plans current: playbooks and the contact list with owners and review dates, people who
left still named somewhere, on the settings page and in a reminder that leaves once a month."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crisisdesk.accounts.models import User
from crisisdesk.accounts.roles import Role
from crisisdesk.core.errors import ConfigError
from crisisdesk.crises import plan_review
from crisisdesk.notify.models import Delivery
from crisisdesk.runtime import build_runtime
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace, parse_config
from tests.channels.test_outbox_flow import token

TODAY = date(2026, 12, 5)
WORKSPACE = """
monitors:
  - name: voltaro
    query: voltaro
notify:
  targets:
    anna-hook: {kind: webhook, url: "http://127.0.0.1:9/a", secret: s3cret-s3cret-s3cret}
    lead-hook: {kind: webhook, url: "http://127.0.0.1:9/l", secret: s3cret-s3cret-s3cret}
people:
  anna: {name: Anna Berg, targets: [anna-hook], email: anna@example.org}
  leo: {name: Leo Kurz, targets: [lead-hook], email: crisis_lead@example.org, lang: de}
  gone: {name: Gregor Alt, targets: [lead-hook], email: agent@example.org}
roles:
  crisis_lead: [leo]
  spokesperson: [gone]
  legal: [anna]
escalation:
  policies:
    - severity: 3
      steps:
        - notify: [person:gone, role:crisis_lead]
contacts_review: {owner: person:anna, review_by: 2026-06-30}
crisis_types:
  - key: safety_incident
    name: {de: Sicherheitsvorfall, en: Safety incident}
    spokespersons: [role:spokesperson]
    owner: person:anna
    review_by: 2027-03-01
  - key: data_incident
    name: {de: Datenvorfall, en: Data incident}
    spokespersons: [person:gone]
    review_by: 2026-01-31
  - key: outage
    name: {de: Störung, en: Outage}
    owner: person:leo
"""


def test_the_findings_name_each_gap_and_where_it_is() -> None:
    config = parse_config(WORKSPACE, path="w.yaml")
    found = plan_review.findings(plan_review.plans_of(config), inactive={"agent@example.org"}, today=TODAY)
    codes = [(f.code, f.place) for f in found]
    assert ("no_owner", "crisis_types[1]") in codes and ("review_overdue", "crisis_types[1]") in codes
    assert ("no_review_date", "crisis_types[2]") in codes
    assert not any(place == "crisis_types[0]" for _, place in codes)  # owned, reviewed in the future
    assert ("review_overdue", "contacts_review") in codes
    [left] = [f for f in found if f.code == "left"]
    assert left.place == "roles.spokesperson, escalation.policies[0].steps[0], crisis_types[1]"
    assert "Gregor Alt has left (account disabled)" in left.words["en"]
    assert "Gregor Alt ist nicht mehr dabei" in left.words["de"]
    assert ("role_empty", "roles.spokesperson") in codes  # its only holder left
    overdue = next(f for f in found if f.place == "contacts_review")
    assert overdue.owner == "anna" and "2026-06-30" in overdue.words["en"]
    # nobody left, every date ahead: nothing to do but the missing owners and dates
    calm = plan_review.findings(plan_review.plans_of(config), inactive=set(), today=date(2026, 1, 1))
    assert {f.code for f in calm} == {"no_owner", "no_review_date"}


def test_an_unknown_owner_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"contacts_review\.owner: unknown person 'nobody'"):
        parse_config("contacts_review: {owner: person:nobody}", path="w.yaml")
    with pytest.raises(ConfigError, match="person:NAME"):
        parse_config("contacts_review: {owner: anna}", path="w.yaml")


def test_the_reminder_leaves_once_a_month_to_the_owners_and_the_page_lists_it(
    workspace_file: Path,
) -> None:
    workspace_file.write_text(WORKSPACE, encoding="utf-8")
    runtime = build_runtime(load_workspace(workspace_file, Settings()), Settings(), deliver=True)
    from crisisdesk.api.app import create_app

    with TestClient(create_app(runtime, api_token="t")) as client:
        for role in (Role.AGENT, Role.CRISIS_LEAD, Role.ADMIN):
            token(client, role)
        with Session(runtime.engine) as s, s.begin():
            s.execute(update(User).where(User.email == "agent@example.org").values(active=False))
        december = datetime(2026, 12, 5, 9, tzinfo=UTC)
        assert sorted(runtime.remind_plans(december)) == ["anna-hook", "lead-hook"]
        assert sorted(runtime.remind_plans(december.replace(day=20))) == ["anna-hook", "lead-hook"]
        with Session(runtime.engine) as s:
            keys = sorted(s.scalars(select(Delivery.key)))
            assert keys == ["plans:2026-12:anna-hook", "plans:2026-12:lead-hook"]  # once this month
            lead = s.scalars(select(Delivery).where(Delivery.target_name == "lead-hook")).one()
            assert lead.payload["lang"] == "de" and lead.payload["kind"] == "reminder"
            assert "Gregor Alt ist nicht mehr dabei" in lead.payload["summary"]
            anna = s.scalars(select(Delivery).where(Delivery.target_name == "anna-hook")).one()
            assert "review overdue since 2026-06-30" in anna.payload["summary"]
            assert anna.payload["ack_url"].endswith("/settings/plans")
        runtime.remind_plans(datetime(2027, 1, 2, tzinfo=UTC))
        with Session(runtime.engine) as s:
            assert s.scalar(select(func.count()).select_from(Delivery)) == 4  # January's own

        web = TestClient(client.app, base_url="http://localhost")
        for email, status in (("crisis_lead@example.org", 200),):
            web.post("/login", data={"email": email, "password": "a long enough password", "next": "/"})
            for lang, words in (
                ("en", ("Left, still named", "Gregor Alt has left", "Review overdue")),
                (
                    "de",
                    ("Ausgeschieden, noch genannt", "Gregor Alt ist nicht mehr dabei", "Prüfung überfällig"),
                ),
            ):
                page = web.get("/settings/plans", headers={"Accept-Language": lang})
                assert page.status_code == status
                for w in words:
                    assert w in page.text, (lang, w)
                assert len(re.findall(r'data-code="', page.text)) >= 5
    runtime.close()
