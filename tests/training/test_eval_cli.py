"""`crisisdesk eval`: scores from labelled files, clear errors for bad ones."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from crisisdesk.cli.main import app

runner = CliRunner()


def test_eval_sentiment_from_csv_with_aliases_and_a_bad_row(tmp_path: Path) -> None:
    src = tmp_path / "s.csv"
    src.write_text(
        "body;gold\n"
        "Danke, super Service und pünktlich!;pos\n"
        "Thanks @united, the crew was amazing!;positive\n"
        "Schon wieder 40 Minuten zu spät, unfassbar;neg\n"
        "worst airline ever, my bag is lost;negative\n"
        "Der Zug fährt um 8 Uhr ab Gleis 3;neutral\n"
        "whatever;maybe\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["eval", "sentiment", "--data", str(src), "--text-col", "body",
                                 "--label-col", "gold", "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout.strip().splitlines()[-1])
    assert scores["n"] == 5
    assert scores["labels"] == ["negative", "neutral", "positive"]
    assert sum(map(sum, scores["confusion"])) == 5
    assert scores["accuracy"] >= 0.6  # the easy cases are right
    assert "label 'maybe'" in result.stderr


def test_eval_insult_germeval_format(tmp_path: Path) -> None:
    src = tmp_path / "g.txt"
    src.write_text("Du bist so ein Vollidiot\tOFFENSE\tINSULT\nSchönes Wetter heute\tOTHER\tOTHER\n",
                   encoding="utf-8")
    result = runner.invoke(app, ["eval", "insult", "--data", str(src), "--format", "germeval2018"])
    assert result.exit_code == 0, result.output
    assert "n=2" in result.stdout
    assert "confusion matrix" in result.stdout


def test_eval_complaints_multilabel(tmp_path: Path) -> None:
    src = tmp_path / "c.csv"
    src.write_text("text,label\n"
                   "Paket immer noch nicht da und die Hotline legt auf,delivery_delay;customer_service\n"
                   "Alles gut,none\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "complaints", "--data", str(src), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout.strip().splitlines()[-1])
    assert scores["per_class"]["delivery_delay"]["support"] == 1
    assert scores["accuracy"] == 1.0


def test_eval_errors(tmp_path: Path) -> None:
    src = tmp_path / "x.csv"
    src.write_text("a,b\n1,2\n", encoding="utf-8")
    cases = [
        (["eval", "mood", "--data", str(src)], "No such command"),
        (["eval", "sentiment", "--data", str(src), "--format", "xml"], "unknown --format"),
        (["eval", "sentiment", "--data", str(src)], "no column 'text', 'label'"),
        (["eval", "sentiment", "--data", str(tmp_path / "missing.csv")], "no such file"),
        (["eval", "sentiment", "--data", str(src), "--format", "olid"], "has no sentiment labels"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr.replace("\n", ""), (args, result.stderr)
