"""The optional transformer backend, with a tiny randomly initialised model the test builds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from crisisdesk.analysis.transformer import TransformerConfig, TransformerError, TransformerHead
from crisisdesk.cli.main import app
from crisisdesk.models import Post
from tests.conftest import servers_required
from tests.factories import post, write_jsonl

runner = CliRunner()

try:
    import torch
    import transformers as _transformers
except ImportError:  # pragma: no cover - the extra is installed in CI
    if servers_required():
        raise
    pytest.skip("the transformers extra is not installed", allow_module_level=True)

transformers: Any = _transformers  # its lazy module attributes are beyond the type checker

WORDS = ["bahn", "zug", "spät", "super", "danke", "schlecht", "great", "late", "bad", "thanks"]


def build_tiny_model(folder: Path, labels: list[str]) -> Path:
    """A 2-layer, 32-wide BERT with random weights and a 15-word vocabulary: no download."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True)
    config = transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64, num_labels=len(labels),
        id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)},
    )
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_head_maps_labels_and_matches_the_model(tmp_path: Path) -> None:
    folder = build_tiny_model(tmp_path / "m", ["LABEL_0", "LABEL_1", "LABEL_2"])
    head = TransformerHead(TransformerConfig(task="sentiment", path=str(folder), batch_size=2,
                                             labels={"LABEL_0": "positive", "LABEL_1": "negative",
                                                     "LABEL_2": "neutral"}))
    texts = ["die bahn ist spät", "great thanks", "", "zug " * 500]
    probs = head.predict(texts)
    assert probs.shape == (4, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    # crisisdesk's order is (negative, neutral, positive): columns 1, 2, 0 of the model
    model = transformers.AutoModelForSequenceClassification.from_pretrained(folder)
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    with torch.no_grad():
        direct = torch.softmax(model(**tokenizer(texts[:2], padding=True, return_tensors="pt")).logits, -1)
    np.testing.assert_allclose(probs[:2], direct.numpy()[:, [1, 2, 0]], atol=1e-5)


def test_unmappable_labels_and_missing_model_are_clear_errors(tmp_path: Path) -> None:
    folder = build_tiny_model(tmp_path / "m", ["LABEL_0", "LABEL_1"])
    with pytest.raises(TransformerError, match="give no none, offense; map them under `labels`"):
        TransformerHead(TransformerConfig(task="insult", path=str(folder)))
    with pytest.raises(TransformerError, match="no model folder"):
        TransformerHead(TransformerConfig(task="insult", path=str(tmp_path / "nope")))


def test_workspace_transformer_replaces_the_sentiment_head(workspace_file: Path, tmp_path: Path,
                                                           database_url: str) -> None:
    build_tiny_model(workspace_file.parent / "models" / "tiny", ["negative", "neutral", "positive"])
    workspace_file.write_text(workspace_file.read_text() + (
        "analysis:\n  transformers:\n    - task: sentiment\n      path: models/tiny\n"))
    src = write_jsonl(tmp_path / "p.jsonl", [post(i, text=t) for i, t in
                                             enumerate(["die bahn ist spät", "great thanks", "zug"], 1)])
    result = runner.invoke(app, ["import", str(src), "--config", str(workspace_file), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["imported"] == 3
    tiny = str(workspace_file.parent / "models" / "tiny")
    head = TransformerHead(TransformerConfig(task="sentiment", path=tiny))
    expected = head.predict(["die bahn ist spät", "great thanks", "zug"])
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = dict(conn.execute(select(Post.external_id, Post.sentiment_score)).all())
    finally:
        engine.dispose()
    for i, key in enumerate(["p1", "p2", "p3"]):
        assert rows[key] == pytest.approx(float(expected[i].max()), abs=1e-3)
