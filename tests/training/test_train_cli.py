"""`crisisdesk train` argument checks (training itself is covered in test_training.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from crisisdesk.cli.main import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sentiment", "--no-public"], "--no-public and --combine are for `train complaints`"),
        (["mood"], "unknown task 'mood'"),
        (["--data", "x.csv"], "--data needs a task"),
    ],
)
def test_train_refuses_unclear_requests(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["train", *args, "-o", str(tmp_path / "m.npz"), "--no-corrections"])
    assert result.exit_code == 2
    assert message in result.stderr.replace("\n", "")


def test_train_with_own_posts_end_to_end(tmp_path: Path) -> None:
    """Public data (small feature space to stay quick) plus a team's file; the model is usable."""
    import csv
    import json

    from crisisdesk.core.errors import CrisisdeskError
    from crisisdesk.training.datasets import data_root
    from tests.conftest import servers_required

    try:
        data_root()
    except CrisisdeskError:
        if servers_required():
            raise
        pytest.skip("no ../shared/data here")
    rows = [("Die Lieferung war super schnell, danke!", "positive"),
            ("Schon wieder kaputt, Frechheit", "neg"), ("Paket ist da", "neutral"),
            ("Great support, thanks a lot", "pos"),
            ("Still no refund after 3 weeks", "negative"), ("Order placed today", "neutral")]
    own = tmp_path / "own.csv"
    with own.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["body", "mood"])
        for i in range(6):
            for text, label in rows:
                writer.writerow([f"{text} #{i}", label])
        writer.writerow(["kaputt", "furious"])  # skipped, and said so
    model = tmp_path / "ours.npz"
    result = runner.invoke(app, ["train", "sentiment", "--data", str(own), "--text-col", "body",
                                 "--label-col", "mood", "-o", str(model), "--bits", "14",
                                 "--no-corrections"])
    assert result.exit_code == 0, result.output
    assert "skipped 1 rows" in result.stderr.replace("\n", "")
    card = json.loads(model.with_suffix(".card.json").read_text())
    assert card["heads"]["sentiment_de"]["own_examples"] == 18
    assert card["heads"]["sentiment_en"]["own_examples"] == 18
    assert "own" not in card["dev_scores"]["sentiment_de"]  # 18 < 20: all used for training
    posts = tmp_path / "p.jsonl"
    posts.write_text('{"id": "a", "text": "Schon wieder kaputt, Frechheit"}\n', encoding="utf-8")
    analysed = runner.invoke(app, ["analyze", str(posts), "--model", str(model)])
    assert analysed.exit_code == 0, analysed.output
    assert json.loads(analysed.stdout)["sentiment"]["label"] == "negative"
