"""`crisisdesk check-reply`: exit 0 clean, 1 with findings, 2 on a usage error; --json has the shape
the API has; messages in the reply's language (given or detected)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from crisisdesk.cli.main import app

runner = CliRunner()

GOOD_DE = (
    "Hallo Frau Berger, es tut uns leid, dass Ihre Lieferung zu spät kam. Wir erstatten Ihnen die "
    "Versandkosten bis Freitag."
)
BAD_EN = "We regret any inconvenience. As I already told you, this is due to high volume."


def test_a_clean_reply_exits_0() -> None:
    result = runner.invoke(app, ["check-reply", GOOD_DE, "--lang", "de", "--to", "Anna Berger"])
    assert result.exit_code == 0, result.output
    assert "Keine Auffälligkeiten." in result.stdout


def test_findings_exit_1_and_the_json_has_code_message_span_and_suggestion() -> None:
    result = runner.invoke(app, ["check-reply", BAD_EN, "--lang", "en", "--to", "Anna", "--json"])
    assert result.exit_code == 1, result.output
    answer = json.loads(result.stdout)
    assert answer["lang"] == "en"
    found = {f["code"]: f for f in answer["findings"]}
    assert set(found) == {"conditional_apology", "hostile", "excuse", "no_empathy", "no_next_step", "no_name"}
    for f in answer["findings"]:
        assert set(f) == {"code", "message", "start", "end", "suggestion"}
    assert BAD_EN[found["hostile"]["start"] : found["hostile"]["end"]] == "As I already told you"
    assert BAD_EN[found["excuse"]["start"] : found["excuse"]["end"]] == "due to high volume"


def test_human_output_names_each_finding_in_the_replys_language() -> None:
    result = runner.invoke(app, ["check-reply", "Falls sich jemand verletzt gefühlt hat, tut es uns leid."])
    assert result.exit_code == 1
    assert "[conditional_apology]" in result.stdout and "Vorschlag:" in result.stdout
    assert "falls sich jemand verletzt gefühlt hat" in result.stdout.lower()


def test_no_apology_expected_drops_what_only_a_complaint_needs() -> None:
    args = ["check-reply", "Thanks for flying with us!", "--lang", "en", "--json"]
    assert runner.invoke(app, args).exit_code == 1
    result = runner.invoke(app, [*args, "--no-apology-expected"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"lang": "en", "findings": []}


def test_an_unknown_language_is_a_usage_error() -> None:
    result = runner.invoke(app, ["check-reply", "Bonjour", "--lang", "fr"])
    assert result.exit_code == 2
    assert "de or en" in result.stderr
