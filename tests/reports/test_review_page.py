"""The review page and its API: the same figures, in German and English, for anyone who may view;
a crisis that does not exist is a 404, and the crisis page links to its review."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from crisisdesk.accounts.roles import Role
from tests.accounts.fixtures import World, make_world
from tests.reports.test_review_figures import record


@pytest.fixture
def world(workspace_file: Path) -> Iterator[World]:
    yield from make_world(workspace_file)


@pytest.fixture
def crisis(world: World) -> int:
    with Session(world.engine) as session:
        return record(session)


def test_the_api_gives_the_review_to_a_viewer(world: World, crisis: int) -> None:
    r = world.client.get(f"/api/v1/crises/{crisis}/review", headers=world.bearer(Role.ANALYST))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["final"] is True
    assert body["figures"]["time_to_detect"] == 3000.0
    assert [m["key"] for m in body["milestones"]][:2] == ["first_post", "detected"]
    assert (
        world.client.get("/api/v1/crises/999999/review", headers=world.bearer(Role.ANALYST)).status_code
        == 404
    )
    assert world.client.get(f"/api/v1/crises/{crisis}/review").status_code == 401


@pytest.mark.parametrize(
    ("lang", "says"),
    [
        (
            "en",
            [
                "After-action review of crisis",
                "Time to detect",
                "50 min",
                "first post → first situation",
                "The mood recovered",
                "Public replies",
                "Excuse: 2",
                "agent@example.org",
                "SLA breaches: 1",
            ],
        ),
        (
            "de",
            [
                "Nachbetrachtung der Krise",
                "Zeit bis zur Erkennung",
                "50 Min.",
                "erster Beitrag → erste Lage",
                "Die Stimmung hat sich erholt",
                "Öffentliche Antworten",
                "Ausrede: 2",
                "SLA-Verletzungen: 1",
            ],
        ),
    ],
)
def test_the_page_reads_in_the_readers_language(
    world: World, crisis: int, lang: str, says: list[str]
) -> None:
    client, _ = world.session_client(Role.ANALYST)
    r = client.get(f"/crises/{crisis}/review", headers={"accept-language": lang})
    assert r.status_code == 200, r.text
    missing = [s for s in says if s not in r.text]
    assert not missing, missing
    assert "review." not in r.text.replace("/review", "")  # no untranslated key
    assert r.text.count("<svg") >= 3  # volume, audience, complaint types (and channels)
    page = client.get(f"/crises/{crisis}", headers={"accept-language": lang})
    assert f'href="/crises/{crisis}/review"' in page.text


def test_no_page_for_a_crisis_that_does_not_exist(world: World) -> None:
    client, _ = world.session_client(Role.ANALYST)
    assert client.get("/crises/999999/review").status_code == 404
