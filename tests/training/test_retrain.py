"""Retraining from corrections: a better model ships (versioned, audited, applied), a worse one is
refused and changes nothing, too few corrections train nothing; the held-back slice's rules."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from crisisdesk.audit.models import AuditEntry
from crisisdesk.audit.service import Actor
from crisisdesk.cli.main import app
from crisisdesk.configuration.service import latest, save
from crisisdesk.core.clock import SystemClock
from crisisdesk.pipeline.events import RawItem
from crisisdesk.runtime import Runtime, build_runtime
from crisisdesk.settings import Settings
from crisisdesk.training.corrections import Correction, correct
from crisisdesk.training.datasets_base import Example
from crisisdesk.training.retrain import (
    Outcome,
    RetrainError,
    RetrainOptions,
    RetrainResult,
    prepare,
    retrain,
)
from crisisdesk.training.retrain_judge import SliceScores, hold_out, worse
from crisisdesk.workspace import load_workspace, parse_config
from tests.factories import post
from tests.training.retrain_world import (
    BASE_YAML,
    WORDS,
    base_model,
    corrections,
    fake_loader,
    model_workspace,
)

__all__ = ["base_model", "model_workspace"]  # fixtures used here

ACTOR = Actor.cli("tester")


@pytest.fixture
def runtime(model_workspace: Path) -> Iterator[Runtime]:
    settings = Settings()
    rt = build_runtime(load_workspace(model_workspace, settings), settings)
    yield rt
    rt.close()


def add_corrections(runtime: Runtime, rows: list[tuple[str, str, str]]) -> None:
    """One English post per distinct text, then each row's correction of it."""
    texts = list(dict.fromkeys(text for text, _, _ in rows))
    ids = {text: f"c{i}" for i, text in enumerate(texts)}
    runtime.runner.handle([RawItem("test", i, post(i, id=ids[text], text=text, lang="en"))
                           for i, text in enumerate(texts)])
    for text, task, label in rows:
        correction = Correction(sentiment=label) if task == "sentiment" else Correction(insult=label)
        correct(runtime.engine, platform="x", external_id=ids[text], correction=correction,
                complaint_names=[], source="test", now=SystemClock().now())


def run(runtime: Runtime, *, dry_run: bool = False, force: bool = False) -> RetrainResult:
    plan = prepare(runtime.engine, RetrainOptions(dry_run=dry_run, force=force))
    return retrain(runtime.workspace, runtime.engine, plan, actor=ACTOR, clock=SystemClock(),
                   loader=fake_loader)


def stored_version(runtime: Runtime) -> int | None:
    with runtime.engine.connect() as conn:
        stored = latest(conn)
    return stored.version if stored else None


def models(workspace: Path) -> list[str]:
    return sorted(p.name for p in (workspace.parent / "models").iterdir())


def audit(runtime: Runtime) -> list[tuple[str, str | None, str | None]]:
    """(action, target type, target id) of every audit entry, oldest first."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(AuditEntry.action, AuditEntry.target_type, AuditEntry.target_id)
                            .order_by(AuditEntry.id))
        return [(r.action, r.target_type, r.target_id) for r in rows]


def test_a_better_model_ships_as_a_new_configuration_version(runtime: Runtime, model_workspace: Path) -> None:
    with runtime.engine.begin() as conn:  # a configuration stored already: the retrain adds version 2
        save(conn, model_workspace.read_text(encoding="utf-8"), actor=ACTOR, at=SystemClock().now())
    runtime.reload_if_changed()
    add_corrections(runtime, corrections("better"))

    dry = run(runtime, dry_run=True)
    assert dry.outcome is Outcome.DRY_RUN and dry.ok and not dry.worse
    assert stored_version(runtime) == 1 and models(model_workspace) == ["base.npz"]

    result = run(runtime)
    assert result.outcome is Outcome.SHIPPED, result.message
    for task in ("sentiment", "insult"):  # really learned: the held-back posts are scored better
        before, after = result.before[task], result.after[task]
        assert before.n == after.n >= 10
        assert after.macro_f1 > before.macro_f1 and after.accuracy > before.accuracy
    assert result.counts["sentiment"] == {"corrections": 60, "held_back": 12, "trained": 48}

    assert stored_version(runtime) == 2 == result.config_version
    with runtime.engine.connect() as conn:
        stored = latest(conn)
    assert stored is not None
    model = parse_config(stored.text, path="stored").analysis.model
    assert model == result.model and model is not None and model.startswith("models/retrained-")
    assert "query: 'bahn OR delay OR crew'" in stored.text  # the rest of the document as written
    card = json.loads((model_workspace.parent / model).with_suffix(".card.json").read_text(encoding="utf-8"))
    assert card["retrain"]["corrections"]["insult"]["trained"] == 48
    held_back = card["retrain"]["held_back"]["sentiment"]
    assert held_back["after"]["macro_f1"] == result.after["sentiment"].macro_f1
    assert card["retrain"]["previous_model"] == "models/base.npz" and card["retrain"]["forced"] is False
    assert card["heads"]["sentiment_en"]["own_examples"] == 48  # every kept correction trained

    entries = audit(runtime)
    assert ("config.changed", "config.analysis", "model") in entries
    assert entries[-1] == ("model.retrained", "model", model)
    assert runtime.reload_if_changed() and runtime.workspace.config.analysis.model == model  # serve's tick


@pytest.mark.parametrize(("kind", "why"), [
    ("recall", "sentiment: held-back negative recall 1.000 → 0.000"),
    ("public", "sentiment_en on public airline macro-F1"),
])
def test_a_worse_model_is_refused_and_nothing_changes(runtime: Runtime, model_workspace: Path, kind: str,
                                                      why: str) -> None:
    add_corrections(runtime, corrections(kind))
    result = run(runtime)
    assert result.outcome is Outcome.REFUSED and not result.ok
    assert any(str(d).startswith(why) for d in result.worse), result.worse
    assert "the model in force stays" in result.message
    assert stored_version(runtime) is None and runtime.workspace.config.analysis.model == "models/base.npz"
    assert models(model_workspace) == ["base.npz"]
    assert audit(runtime) == []

    forced = run(runtime, force=True)  # the override ships it, and says so in the audit log
    assert forced.outcome is Outcome.SHIPPED and forced.forced
    with runtime.engine.connect() as conn:
        after = conn.execute(select(AuditEntry.after).where(AuditEntry.action == "model.retrained")).one()[0]
    assert after["forced"] is True and after["worse"] and after["outcome"] == "shipped"
    assert after["model"] == forced.model and after["config_version"] == forced.config_version == 1


def test_a_model_changed_while_training_is_not_overwritten(runtime: Runtime, model_workspace: Path) -> None:
    add_corrections(runtime, corrections("better"))
    plan = prepare(runtime.engine, RetrainOptions())
    judged_against = runtime.workspace  # what the retrain measures as "before"
    with runtime.engine.begin() as conn:  # meanwhile someone points the workspace elsewhere
        save(conn, BASE_YAML.replace("models/base.npz", "models/theirs.npz"), actor=ACTOR,
             at=SystemClock().now())
    with pytest.raises(RetrainError, match=re.escape("changed meanwhile to 'models/theirs.npz'")):
        retrain(judged_against, runtime.engine, plan, actor=ACTOR, clock=SystemClock(), loader=fake_loader)
    assert stored_version(runtime) == 1 and models(model_workspace) == ["base.npz"]
    assert [a for a, _, _ in audit(runtime)] == ["config.changed"]


def test_too_few_corrections_train_nothing_and_say_what_it_takes(runtime: Runtime,
                                                                  model_workspace: Path) -> None:
    add_corrections(runtime, corrections("better")[:10])  # 5 per task: 1 held back each
    result = CliRunner().invoke(app, ["retrain", "--config", str(model_workspace)])
    assert result.exit_code == 1, result.output
    message = " ".join(result.stderr.split())
    assert "too few corrections to judge" in message
    assert ("sentiment: 5 corrections, 1 held back; judging needs 10 held back, that is about 50 "
            "corrections (45 more)") in message
    assert models(model_workspace) == ["base.npz"]
    assert stored_version(runtime) is None


# --- the held-back slice ----------------------------------------------------------------------


def _examples(n: int) -> list[Example]:
    """``n`` posts of distinct words (up to 256), every third negative."""
    words = [f"{w}{k}" for k in range(4) for w in WORDS]
    return [Example(f"post about {w}", "negative" if i % 3 == 0 else "positive", "en", "c")
            for i, w in enumerate(words[:n])]


def test_a_posts_corrections_stay_together_and_every_label_is_on_both_sides() -> None:
    sentiment = _examples(60)
    insult = [Example(e.text, "offense" if i % 4 == 0 else "none", "en", "c")
              for i, e in enumerate(sentiment)]
    kept, held = hold_out({"sentiment": sentiment, "insult": insult}, fraction=0.2)
    held_texts = {e.text for e in held["sentiment"]}
    assert held_texts == {e.text for e in held["insult"]}  # one post: one side, both tasks
    assert not held_texts & {e.text for task in kept.values() for e in task}
    for task, labels in (("sentiment", ("negative", "positive")), ("insult", ("offense", "none"))):
        for label in labels:
            assert any(e.label == label for e in held[task]) and any(e.label == label for e in kept[task])
    assert 10 <= len(held["sentiment"]) <= 14


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_the_slice_ignores_order_and_keeps_its_members_as_corrections_grow(seed: int) -> None:
    early = _examples(100)
    later = early + _examples(200)[100:]
    _, held = hold_out({"sentiment": early}, fraction=0.2, seed=seed)
    _, reversed_held = hold_out({"sentiment": early[::-1]}, fraction=0.2, seed=seed)
    assert {e.text for e in held["sentiment"]} == {e.text for e in reversed_held["sentiment"]}
    _, grown = hold_out({"sentiment": later}, fraction=0.2, seed=seed)
    stayed = {e.text for e in held["sentiment"]} & {e.text for e in grown["sentiment"]}
    assert len(stayed) >= 0.7 * len(held["sentiment"])  # a random redraw would keep about a fifth


# --- what "worse" means -----------------------------------------------------------------------


def _slice(macro_f1: float, recall: float | None) -> SliceScores:
    return SliceScores(n=20, accuracy=macro_f1, macro_f1=macro_f1, key_class="negative", recall=recall,
                       precision=None)


PUBLIC = "sentiment_de on public germeval2017 macro-F1"


def _public(n: int, macro_f1: float, own: float = 1.0) -> dict[str, dict[str, dict[str, float]]]:
    """A card's dev scores; the team's own set ("own") never counts."""
    return {"sentiment_de": {"germeval2017": {"n": n, "macro_f1": macro_f1},
                             "own": {"n": n, "macro_f1": own}}}


@pytest.mark.parametrize(("before", "after", "public", "expected"), [
    ((0.60, 0.50), (0.62, 0.50), (2500, 0.70, 0.70), []),  # better
    ((0.60, 0.50), (0.58, 0.50), (2500, 0.70, 0.70), []),  # within the tolerance
    ((0.60, 0.50), (0.57, 0.50), (2500, 0.70, 0.70), ["sentiment: held-back macro-F1 0.600 → 0.570"]),
    ((0.60, 0.50), (0.70, 0.40), (2500, 0.70, 0.70), ["sentiment: held-back negative recall 0.500 → 0.400"]),
    ((0.60, None), (0.70, 0.0), (2500, 0.70, 0.70), []),  # no negative held back: no recall to lose
    ((0.60, 0.50), (0.60, 0.50), (2500, 0.70, 0.67), [f"{PUBLIC} 0.700 → 0.670"]),
    ((0.60, 0.50), (0.60, 0.50), (400, 0.70, 0.66), []),  # 1/√400 = 0.05: within chance on 400 posts
    ((0.60, 0.50), (0.60, 0.50), (400, 0.70, 0.64), [f"{PUBLIC} 0.700 → 0.640"]),
])
def test_what_counts_as_worse(before: tuple[float, float | None], after: tuple[float, float | None],
                              public: tuple[int, float, float], expected: list[str]) -> None:
    n, old, new = public
    drops = worse({"sentiment": _slice(*before)}, {"sentiment": _slice(*after)}, ["sentiment"],
                  _public(n, old), _public(n, new, own=0.0),
                  tolerance=0.02, public_tolerance=0.02)
    assert [str(d) for d in drops] == expected


def test_a_task_that_is_not_judged_cannot_make_it_worse() -> None:
    assert worse({"insult": _slice(0.9, 0.9)}, {"insult": _slice(0.1, 0.1)}, [], {}, {},
                 tolerance=0.02, public_tolerance=0.02) == []
