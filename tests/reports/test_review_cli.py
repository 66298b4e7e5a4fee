"""``crisisdesk review``: the review as a file from the command line, and clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from crisisdesk.cli.main import app
from crisisdesk.db import make_engine, migrate
from crisisdesk.settings import Settings
from crisisdesk.workspace import load_workspace
from tests.reports.test_review_export import pdf_text
from tests.reports.test_review_figures import record


def crisis_in(workspace_file: Path) -> int:
    engine = make_engine(load_workspace(workspace_file, Settings()).database_url)
    try:
        migrate(engine)
        with Session(engine) as session:
            return record(session)
    finally:
        engine.dispose()


def test_the_review_is_written_as_pdf_html_and_json(workspace_file: Path, tmp_path: Path) -> None:
    crisis = crisis_in(workspace_file)
    runner = CliRunner()
    pdf = tmp_path / "r.pdf"
    r = runner.invoke(app, ["review", str(crisis), "-c", str(workspace_file), "--lang", "de", "-o", str(pdf)])
    assert r.exit_code == 0, r.output
    text = " ".join(pdf_text(pdf.read_bytes(), tmp_path).split())
    assert "Nachbetrachtung der Krise" in text
    assert "50 Min." in text
    page = tmp_path / "r.html"
    r = runner.invoke(
        app, ["review", str(crisis), "-c", str(workspace_file), "--format", "html", "-o", str(page)]
    )
    assert r.exit_code == 0, r.output
    assert "After-action review of crisis" in page.read_text(encoding="utf-8")
    data = tmp_path / "r.json"
    r = runner.invoke(
        app, ["review", str(crisis), "-c", str(workspace_file), "--format", "json", "-o", str(data)]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(data.read_text(encoding="utf-8"))["figures"]["time_to_detect"] == 3000.0


def test_an_unknown_crisis_or_format_is_refused_clearly(workspace_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["review", "999", "-c", str(workspace_file), "-o", str(tmp_path / "x.pdf")])
    assert r.exit_code != 0
    assert "no crisis 999" in r.output
    r = runner.invoke(app, ["review", "1", "-c", str(workspace_file), "--format", "docx"])
    assert r.exit_code != 0
    assert "--format 'docx'" in r.output
    assert not (tmp_path / "x.pdf").exists()
