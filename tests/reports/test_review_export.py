"""The review exported as a document: one self-contained HTML file and a PDF whose text (read back
with Poppler's pdftotext) carries the figures and the charts' titles, in German and English,
through the page's download links and the API."""

from __future__ import annotations

import shutil
import subprocess
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


def pdf_text(data: bytes, tmp_path: Path) -> str:
    assert shutil.which("pdftotext"), "Poppler's pdftotext is needed (apt-get install poppler-utils)"
    path = tmp_path / "review.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True)
    return out.stdout


SAYS = {
    "en": ["After-action review of crisis", "Time to detect", "50 min", "Key moments",
           "First public response",
           "Posts and negative share", "Audience of the posts", "The mood recovered", "Work per person",
           "agent@example.org"],
    "de": ["Nachbetrachtung der Krise", "Zeit bis zur Erkennung", "50 Min.", "Wichtige Zeitpunkte",
           "Erste öffentliche Antwort", "Beiträge und negativer Anteil", "Die Stimmung hat sich erholt",
           "Arbeit je Person"],
}


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_pdf_carries_the_figures_and_charts_in_the_language_asked(
    world: World, crisis: int, lang: str, tmp_path: Path
) -> None:
    r = world.client.get(f"/api/v1/crises/{crisis}/review/export", params={"format": "pdf", "lang": lang},
                         headers=world.bearer(Role.ANALYST))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert f"crisis-{crisis}-review-{lang}.pdf" in r.headers["content-disposition"]
    assert r.content.startswith(b"%PDF-")
    text = " ".join(pdf_text(r.content, tmp_path).split())
    missing = [s for s in SAYS[lang] if s not in text]
    assert not missing, (missing, text[:2000])
    assert "review." not in text  # no untranslated key


def test_the_html_file_stands_alone_and_the_page_links_to_both(world: World, crisis: int) -> None:
    client, _ = world.session_client(Role.ANALYST)
    page = client.get(f"/crises/{crisis}/review", headers={"accept-language": "de"})
    assert 'id="export-pdf"' in page.text
    assert 'id="export-html"' in page.text
    r = client.get(f"/crises/{crisis}/review/export?format=html", headers={"accept-language": "de"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "attachment" in r.headers["content-disposition"]
    html = r.text
    assert "Nachbetrachtung der Krise" in html
    assert html.count("<svg") >= 3
    assert "/static/" not in html  # styles inline: the file opens anywhere, offline
    assert "<form" not in html


def test_an_export_of_a_crisis_that_does_not_exist_is_a_404(world: World) -> None:
    r = world.client.get("/api/v1/crises/999999/review/export", headers=world.bearer(Role.ANALYST))
    assert r.status_code == 404
    assert world.client.get("/api/v1/crises/1/review/export").status_code == 401
