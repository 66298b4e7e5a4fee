"""`crisisdesk check-query`: syntax errors with a caret, sample texts tested."""

from __future__ import annotations

from typer.testing import CliRunner

from crisisdesk.cli.main import app

runner = CliRunner()


def test_valid_query_matches_samples() -> None:
    result = runner.invoke(app, ["check-query", '"deutsche bahn" OR (bahn AND verspät*)',
                                 "--text", "Die Deutsche-Bahn streikt", "--text", "Bahn hat Verspaetung"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("match") == 2
    assert "no match" not in result.stdout


def test_sample_that_does_not_match_exits_1() -> None:
    result = runner.invoke(app, ["check-query", "lang:de AND bahn", "--text", "Bahn", "--lang", "en"])
    assert result.exit_code == 1
    assert "no match" in result.stdout


def test_syntax_error_shows_caret_under_position() -> None:
    result = runner.invoke(app, ["check-query", "bahn AND (zug OR"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "bahn AND (zug OR"
    assert lines[1] == " " * 16 + "^"
    assert "position 16" in lines[2]
