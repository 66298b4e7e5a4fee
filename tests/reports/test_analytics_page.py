"""The analytics page, its CSV and the API: the same figures, in German and English, with the
formula and the denominator each channel used; reach says "not reported" where no platform said it;
a period that cannot be shown is refused (400 in the API, a message on the page)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from crisisdesk.accounts.roles import Role
from tests.accounts.fixtures import World, make_world
from tests.reports.test_analytics_figures import RECORD, ingest

PERIOD = "from=2026-11-25&to=2026-12-01"


@pytest.fixture
def world(workspace_file: Path) -> Iterator[World]:
    yield from make_world(workspace_file)


@pytest.fixture
def recorded(world: World) -> World:
    ingest(world, *RECORD)
    return world


def test_the_api_gives_the_figures_to_a_viewer(recorded: World) -> None:
    r = recorded.client.get(f"/api/v1/analytics?{PERIOD}", headers=recorded.bearer(Role.ANALYST))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["period"] == {"from": "2026-11-25", "to": "2026-12-01", "days": 7}
    fb = {row["channel"]: row for row in body["channels"]}["fb-page"]
    assert (fb["own_posts"], fb["engagements"], fb["reach"]) == (2, 60, None)
    assert fb["engagement_rate_basis"] == "followers"
    assert recorded.client.get("/api/v1/analytics").status_code == 401
    bad = recorded.client.get("/api/v1/analytics?from=2026-12-01&to=2026-11-01",
                              headers=recorded.bearer(Role.ANALYST))
    assert bad.status_code == 400 and "before" in bad.json()["detail"]
    long = recorded.client.get("/api/v1/analytics?from=2020-01-01&to=2026-11-01",
                               headers=recorded.bearer(Role.ANALYST))
    assert long.status_code == 400
    assert recorded.client.get("/api/v1/analytics?from=yesterday",
                               headers=recorded.bearer(Role.ANALYST)).status_code == 422


def test_the_csv_holds_every_figure_with_its_previous_value(recorded: World) -> None:
    r = recorded.client.get(f"/api/v1/analytics.csv?{PERIOD}", headers=recorded.bearer(Role.ANALYST))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "analytics-2026-11-25-2026-12-01.csv" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    cell = {(row["section"], row["subject"], row["figure"]): row for row in rows}
    assert cell[("channel", "fb-page", "engagements")]["value"] == "60"
    assert cell[("channel", "fb-page", "engagements")]["previous"] == "10"
    assert cell[("channel", "fb-page", "engagements")]["change"] == "50"
    assert cell[("channel", "fb-page", "reach")]["value"] == ""  # not reported: empty, never 0
    assert cell[("channel", "fb-page", "engagement_rate")]["value"] == "0.03"
    assert cell[("channel", "fb-page", "engagement_rate")]["basis"] == "followers"
    assert cell[("share_of_voice", "bahn", "posts")]["value"] == "2"
    assert rows[0]["period_from"] == "2026-11-25" and rows[0]["previous_to"] == "2026-11-24"
    client, _ = recorded.session_client(Role.ANALYST)
    page_csv = client.get(f"/analytics.csv?{PERIOD}")
    assert page_csv.status_code == 200 and page_csv.text == r.text


@pytest.mark.parametrize(("lang", "says"), [
    ("en", ["Analytics of our channels", "Engagement rate", "÷ (followers × posts)",
            "engagements ÷ reach where the platform reports reach", "not reported", "Share of voice",
            "Followers are not reach and are never shown as reach", "3.00%", "fb-page", "masto", "Saves"]),
    ("de", ["Analysen unserer Kanäle", "Interaktionsrate", "÷ (Follower × Beiträge)",
            "Interaktionen ÷ Reichweite", "nicht gemeldet", "Share of Voice",
            "Follower sind keine Reichweite", "3,00\u00a0%", "fb-page", "Gespeichert"]),
])
def test_the_page_reads_in_the_readers_language(recorded: World, lang: str, says: list[str]) -> None:
    client, _ = recorded.session_client(Role.ANALYST)
    r = client.get(f"/analytics?{PERIOD}", headers={"accept-language": lang})
    assert r.status_code == 200, r.text
    missing = [s for s in says if s not in r.text]
    assert not missing, missing
    assert not re.search(r">an\.[a-z_.]+<|\ban\.(fig|def|basis)\.", r.text)  # no untranslated key
    assert 'href="/analytics"' in r.text  # in the navigation
    assert 'data-figure="reach" data-value=""' in r.text
    assert 'href="/analytics.csv?from=2026-11-25&amp;to=2026-12-01"' in r.text


def test_the_page_offers_periods_and_refuses_a_bad_one(recorded: World) -> None:
    client, _ = recorded.session_client(Role.ANALYST)
    r = client.get("/analytics?days=7")
    assert r.status_code == 200 and "2026-11-25 to 2026-12-01" in r.text
    bad = client.get("/analytics?from=2026-12-01&to=2026-11-01")
    assert bad.status_code == 400 and "This period cannot be shown" in bad.text
    assert client.get("/analytics?from=garbage").status_code == 400
    assert recorded.client.get("/analytics", follow_redirects=False).status_code in {302, 303, 401}
