"""`crisisdesk analyze`, `eval` and `train complaints` honour a workspace's analysis settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crisisdesk.cli.main import app
from tests.training.test_complaint_model import write_labelled_csv

runner = CliRunner()

AKKU_WORKSPACE = """\
analysis:
  complaint_types:
    - name: akku
      label_de: Akku
      label_en: Battery
      query: 'akku* OR battery'
"""


@pytest.fixture(autouse=True)
def _no_ambient_workspace(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test decides whether a workspace exists: none from the environment or the cwd."""
    monkeypatch.delenv("CRISISDESK_CONFIG", raising=False)
    monkeypatch.delenv("CRISISDESK_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)


def _posts(tmp_path: Path, *texts: str) -> Path:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)),
                    encoding="utf-8")
    return path


def _analyze(*args: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["analyze", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_analyze_uses_the_taxonomy_of_the_given_workspace(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    config = tmp_path / "ws" / "crisisdesk.yaml"
    config.write_text(AKKU_WORKSPACE, encoding="utf-8")
    posts = _posts(tmp_path, "Akku nach zwei Tagen leer", "Paket immer noch nicht da")
    with_config = _analyze(str(posts), "--config", str(config))
    assert [r["complaint_types"] for r in with_config] == [["akku"], []]
    defaults = _analyze(str(posts))  # no workspace anywhere: the default taxonomy
    assert [r["complaint_types"] for r in defaults] == [[], ["delivery_delay"]]


def test_analyze_finds_the_workspace_the_usual_way(tmp_path: Path) -> None:
    (tmp_path / "crisisdesk.yaml").write_text(AKKU_WORKSPACE, encoding="utf-8")
    posts = _posts(tmp_path, "battery died again")
    assert _analyze(str(posts))[0]["complaint_types"] == ["akku"]


def test_eval_complaints_checks_labels_against_the_workspace_taxonomy(tmp_path: Path) -> None:
    config = tmp_path / "crisisdesk.yaml"
    config.write_text(AKKU_WORKSPACE, encoding="utf-8")
    data = tmp_path / "gold.csv"
    data.write_text("text,label\nAkku leer,akku\nalles gut,none\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "complaints", "--data", str(data), "--config", str(config),
                                 "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout.strip().splitlines()[-1])
    assert scores["labels"] == ["akku"]
    assert scores["accuracy"] == 1.0
    data.write_text("text,label\nAkku leer,akku\nPaket weg,delivery_delay\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "complaints", "--data", str(data), "--config", str(config)])
    assert result.exit_code == 2
    assert "line 3: unknown complaint type 'delivery_delay'" in result.stderr.replace("\n", "")


def test_eval_refuses_a_broken_workspace(tmp_path: Path) -> None:
    config = tmp_path / "crisisdesk.yaml"
    config.write_text("analysis:\n  complaint_model: 3\n  colour: red\n", encoding="utf-8")
    data = write_labelled_csv(tmp_path / "own.csv")
    result = runner.invoke(app, ["eval", "complaints", "--data", str(data), "--config", str(config)])
    assert result.exit_code == 2
    assert "analysis.colour" in result.stderr.replace("\n", "")


def test_train_complaints_end_to_end_then_used_by_a_workspace(tmp_path: Path) -> None:
    data = write_labelled_csv(tmp_path / "own.csv")
    with data.open("a", encoding="utf-8") as f:
        f.write(",delivery_delay\n")  # no text: skipped and reported
    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "complaints.npz"
    result = runner.invoke(app, ["train", "complaints", "--data", str(data), "-o", str(model),
                                 "--no-public", "--no-corrections", "--combine", "union"])
    assert result.exit_code == 0, result.output
    assert "skipped 1 rows" in result.stderr
    assert "held out" in result.stdout
    card = json.loads(model.with_suffix(".card.json").read_text(encoding="utf-8"))
    assert card["data"] == {"own": "your own data"}
    assert card["combine"] == "union"
    assert set(card["thresholds"]) == {"delivery_delay", "customer_service"}

    config = tmp_path / "team.yaml"  # not found the usual way: analyze without --config is plain
    config.write_text("analysis:\n  complaint_model: models/complaints.npz\n", encoding="utf-8")
    posts = _posts(tmp_path, "Der Zug ist wieder unpünktlich, Kassel", "Mein Paket ist verspätet")
    got = [r["complaint_types"] for r in _analyze(str(posts), "--config", str(config))]
    assert got == [["delivery_delay"], ["delivery_delay"]]  # the classifier, and the query (union)
    assert [r["complaint_types"] for r in _analyze(str(posts))] == [[], ["delivery_delay"]]
    evaluated = runner.invoke(app, ["eval", "complaints", "--data", str(data), "--config", str(config)])
    assert evaluated.exit_code == 0, evaluated.output
    assert "classifier for delivery_delay, customer_service (union)" in " ".join(evaluated.stderr.split())

    from crisisdesk.analysis.analyzer import workspace_analyzer
    from crisisdesk.settings import load_settings
    from crisisdesk.workspace import load_workspace

    analyzer = workspace_analyzer(load_workspace(config, load_settings()))
    assert analyzer.complaints.model is not None
    assert analyzer._share_features  # trained on the analysis model's features: one matrix per batch


def test_train_complaints_refuses_unknown_types_and_empty_requests(tmp_path: Path) -> None:
    data = write_labelled_csv(tmp_path / "own.csv", [("Zug unpünktlich", "delay")])
    model = tmp_path / "m.npz"
    result = runner.invoke(app, ["train", "complaints", "--data", str(data), "-o", str(model), "--no-public"])
    assert result.exit_code == 2
    assert "line 2: unknown complaint type 'delay'" in result.stderr.replace("\n", "")
    result = runner.invoke(app, ["train", "complaints", "-o", str(model), "--no-public"])
    assert result.exit_code == 2
    assert "no complaint training data" in result.stderr.replace("\n", " ")
    assert not model.exists()


def test_train_complaints_exclude_non_commercial_keeps_the_card_clean(tmp_path: Path) -> None:
    data = write_labelled_csv(tmp_path / "own.csv")
    model = tmp_path / "m.npz"
    result = runner.invoke(app, ["train", "complaints", "--data", str(data), "-o", str(model),
                                 "--exclude-non-commercial", "--no-corrections"])
    assert result.exit_code == 0, result.output
    card = json.loads(model.with_suffix(".card.json").read_text(encoding="utf-8"))
    assert card["non_commercial"] == []
    assert set(card["data"]) == {"own"}


# analysis.languages: the workspace's expected languages, a prior for short posts ------------------

SHORT_DE = "Ekelhaft. Schimmel im Brot."  # CLD2 alone calls it Dutch


@pytest.mark.parametrize(
    ("yaml_text", "languages"),
    [
        ("", ["de", "en"]),
        ("analysis:\n  enabled: true\n", ["de", "en"]),
        ("analysis:\n  languages: [en]\n", ["en"]),
        ("analysis:\n  languages: [fr, de]\n", ["fr", "de"]),
        ("analysis:\n  languages: []\n", []),
    ],
)
def test_languages_setting(yaml_text: str, languages: list[str]) -> None:
    from crisisdesk.workspace import parse_config

    assert parse_config(yaml_text, path="crisisdesk.yaml").analysis.languages == languages


def test_the_template_documents_the_default_languages() -> None:
    from crisisdesk.workspace import WORKSPACE_TEMPLATE, parse_config

    line = "  # languages: [de, en]"
    assert line in WORKSPACE_TEMPLATE
    uncommented = WORKSPACE_TEMPLATE.replace(line, "  languages: [de, en]")
    assert parse_config(uncommented, path="crisisdesk.yaml").analysis.languages == ["de", "en"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[de, xx]", "analysis.languages: Value error, 'xx' is not a language code crisisdesk knows"),
        ("[german]", "'german' is not a language code"),
        ("[DE, en]", "'DE': write language codes in lower case ('de')"),
        ("[de, en, de]", "'de' is listed twice"),
        ("de", "analysis.languages: Input should be a valid list"),
        ("[1]", "analysis.languages[0]: Input should be a valid string"),
    ],
)
def test_languages_setting_refuses_what_it_cannot_use(value: str, message: str) -> None:
    from crisisdesk.core.errors import ConfigError
    from crisisdesk.workspace import parse_config

    with pytest.raises(ConfigError) as info:
        parse_config(f"analysis:\n  languages: {value}\n", path="ws/crisisdesk.yaml")
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("languages", "expected", "lang"),
    [("[de, en]", ("de", "en"), "de"), ("[]", (), "nl"), ("[en]", ("en",), "nl")],
)
def test_analyze_uses_the_languages_of_the_workspace(
    tmp_path: Path, languages: str, expected: tuple[str, ...], lang: str
) -> None:
    config = tmp_path / "crisisdesk.yaml"
    config.write_text(f"analysis:\n  languages: {languages}\n", encoding="utf-8")
    posts = _posts(tmp_path, SHORT_DE)
    assert _analyze(str(posts), "--config", str(config))[0]["lang"] == lang

    from crisisdesk.analysis.analyzer import workspace_analyzer
    from crisisdesk.settings import load_settings
    from crisisdesk.workspace import load_workspace

    assert workspace_analyzer(load_workspace(config, load_settings())).languages == expected


def test_analyze_without_a_workspace_expects_german_and_english(tmp_path: Path) -> None:
    assert _analyze(str(_posts(tmp_path, SHORT_DE)))[0]["lang"] == "de"
