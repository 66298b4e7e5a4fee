"""The four analyses of a post in one pass: language, sentiment, insult, complaint types.

The :class:`Analyzer` is what the pipeline's enrich stage and ``crisisdesk analyze`` share.
Language picks the heads: German posts are scored by the German heads, every other language by
the English ones (the better default for the many posts in neither language; their scores are
less trustworthy, which the stored language makes visible).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

from crisisdesk.analysis.complaint_model import load_complaint_model
from crisisdesk.analysis.complaints import DEFAULT_TAXONOMY, HARM_TYPES, ComplaintClassifier, ComplaintType
from crisisdesk.analysis.language import PREFERRED_LANGUAGES, UNDETERMINED, detect_many
from crisisdesk.analysis.linear import TextModel, decide
from crisisdesk.analysis.service import load_model
from crisisdesk.analysis.transformer import TransformerConfig, TransformerHead
from crisisdesk.pipeline.events import NormalizedPost
from crisisdesk.sources.matcher import Matchable, MatchDoc
from crisisdesk.workspace import Workspace, complaint_model_path, model_path

_BATCH = 512


class Analyzer:
    """Scores batches of texts with one model and one complaint taxonomy."""

    def __init__(self, model: TextModel, complaints: ComplaintClassifier | None = None,
                 transformers: Sequence[TransformerHead] = (),
                 languages: Sequence[str] = PREFERRED_LANGUAGES) -> None:
        self.model = model
        self.languages = tuple(languages)  # the workspace's expected languages: a prior for short posts
        self.complaints = complaints or ComplaintClassifier()
        self.transformers = {t.config.task: t for t in transformers}
        # A complaint classifier trained on the same features scores the batch's matrix as is.
        backing = self.complaints.model
        self._share_features = backing is not None and backing.shares_features_with(model.featurizer)
        for head in ("sentiment_de", "sentiment_en", "insult_de", "insult_en", "insult_kind"):
            if head not in model.heads:
                raise ValueError(f"the analysis model has no {head!r} head")

    def analyze(self, texts: Sequence[str], docs: Sequence[Matchable] | None = None) -> list[dict[str, Any]]:
        """One dict per text: ``lang``, ``lang_score``, ``sentiment``, ``insult``, ``complaint_types``."""
        if not texts:
            return []
        guesses = detect_many(texts, preferred=self.languages)
        features = self.model.featurizer.transform(texts)  # once, for every head and the check below
        scores = self.model.scores_of(features)
        empty = features.getnnz(axis=1) == 0
        heads = self.model.heads
        is_de = np.array([g.lang == "de" for g in guesses])
        sentiment = np.where(is_de[:, None], scores["sentiment_de"], scores["sentiment_en"])
        insult = np.where(is_de[:, None], scores["insult_de"], scores["insult_en"])
        if "sentiment" in self.transformers:  # a configured transformer replaces the linear head
            sentiment = self.transformers["sentiment"].predict(texts)
        if "insult" in self.transformers:
            insult = self.transformers["insult"].predict(texts)
        kinds = scores["insult_kind"]
        s_classes = heads["sentiment_de"].classes
        k_classes = heads["insult_kind"].classes
        types = self.complaints.classify_many(docs if docs is not None else [MatchDoc(t) for t in texts],
                                              features if self._share_features else None)
        if "sentiment" in self.transformers:
            chosen = sentiment.argmax(axis=1)
        else:  # each language's head decides with its own rule (a lower bar for negative)
            has_type = np.array([bool(t) for t in types])
            harm = np.array([not HARM_TYPES.isdisjoint(t) for t in types], dtype=np.bool_)
            chosen = np.where(is_de, decide(heads["sentiment_de"], sentiment, has_type, harm),
                              decide(heads["sentiment_en"], sentiment, has_type, harm))
        out = []
        for i, guess in enumerate(guesses):
            if empty[i]:  # nothing to judge: say so rather than guess
                out.append({
                    "lang": guess.lang, "lang_score": round(guess.score, 3),
                    "sentiment": {"label": "neutral", "score": 0.0},
                    "insult": {"label": "none", "score": 0.0, "kind": None},
                    "complaint_types": types[i],
                })
                continue
            s = int(chosen[i])
            offense = float(insult[i, 1])
            out.append({
                "lang": guess.lang,
                "lang_score": round(guess.score, 3),
                "sentiment": {"label": s_classes[s], "score": round(float(sentiment[i, s]), 4)},
                "insult": {
                    "label": "offense" if offense >= 0.5 else "none",
                    "score": round(offense, 4),
                    "kind": k_classes[int(kinds[i].argmax())] if offense >= 0.5 else None,
                },
                "complaint_types": types[i],
            })
        return out


class AnalysisEnricher:
    """The enrich stage's analysis: fills language, sentiment, insult and complaint types."""

    name = "analysis"

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        # Forked import workers may run it, unless a transformer (torch threads) is in play.
        self.fork_safe = not analyzer.transformers

    def enrich(self, posts: Sequence[NormalizedPost]) -> list[dict[str, Any]]:
        facts = self.analyzer.analyze([p.text for p in posts], posts)
        for f in facts:
            if f["lang"] == UNDETERMINED:
                del f["lang"]  # keep what the source said (or nothing) rather than "und"
        return facts


def build_analyzer(model_path: Path | None = None,
                   complaint_types: Sequence[ComplaintType] | None = None,
                   transformers: Sequence[TransformerConfig] = (), root: Path | None = None,
                   complaint_model: Path | None = None,
                   languages: Sequence[str] = PREFERRED_LANGUAGES) -> Analyzer:
    backing = load_complaint_model(complaint_model) if complaint_model is not None else None
    classifier = ComplaintClassifier(complaint_types or DEFAULT_TAXONOMY, backing)
    heads = [TransformerHead(config, root=root) for config in transformers]
    return Analyzer(load_model(model_path), classifier, heads, languages)


def workspace_analyzer(workspace: Workspace | None, *, model: Path | None = None,
                       complaint_model: Path | None = None) -> Analyzer:
    """The analysis a workspace configures (model, taxonomy, complaint model, transformers,
    expected languages); defaults without one. ``model`` and ``complaint_model`` override the
    workspace's files."""
    if workspace is None:
        return build_analyzer(model, complaint_model=complaint_model)
    analysis = workspace.config.analysis
    return build_analyzer(model or model_path(workspace), analysis.complaint_types, analysis.transformers,
                          root=workspace.root,
                          complaint_model=complaint_model or complaint_model_path(workspace),
                          languages=analysis.languages)


def analyze_lines(source: IO[bytes], sink: IO[bytes], *, model_path: Path | None = None,
                  progress: Callable[[int], None] | None = None, analyzer: Analyzer | None = None) -> int:
    """``crisisdesk analyze``: one output line per input line, same order, errors in place.

    ``progress`` is called with the number of posts done after every batch; ``analyzer`` (a
    workspace's) wins over ``model_path``.
    """
    analyzer = analyzer or build_analyzer(model_path)
    count = 0
    batch: list[tuple[int, Any, str | None]] = []  # (line, id, text or None when broken)

    def flush() -> None:
        texts = [t for _, _, t in batch if t is not None]
        results = iter(analyzer.analyze(texts))
        for line, post_id, text in batch:
            if text is None:
                sink.write(orjson.dumps({"line": line, "id": post_id, "error": post_id_error[line]}) + b"\n")
            else:
                sink.write(orjson.dumps({"id": post_id, **next(results)}) + b"\n")
        batch.clear()
        if progress is not None:
            progress(count)

    post_id_error: dict[int, str] = {}
    for lineno, raw in enumerate(source, start=1):
        if not raw.strip():
            continue
        count += 1
        try:
            data = orjson.loads(raw)
            if not isinstance(data, dict) or not isinstance(data.get("text"), str):
                raise ValueError("expected an object with a text field")
            batch.append((lineno, data.get("id"), data["text"]))
        except (orjson.JSONDecodeError, ValueError) as exc:
            post_id_error[lineno] = str(exc)
            batch.append((lineno, None, None))
        if len(batch) >= _BATCH:
            flush()
    flush()
    return count
