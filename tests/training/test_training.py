"""Training mechanics on a small synthetic corpus: heads, splits, card, clear errors."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from crisisdesk.analysis.linear import HeadKind
from crisisdesk.training.datasets_base import Example
from crisisdesk.training.heads import NON_COMMERCIAL, RECIPES, HeadRecipe, TrainingError, train_model

POS = {"de": ["super danke", "toll gemacht", "klasse service", "sehr gut"],
       "en": ["great thanks", "love it", "awesome crew", "very good"]}
NEG = {"de": ["zu spät", "katastrophe", "nie wieder", "furchtbar"],
       "en": ["delayed again", "worst ever", "never again", "terrible"]}
NEU = {"de": ["zug um acht", "ticket gekauft", "gleis drei", "morgen früh"],
       "en": ["flight at nine", "boarding now", "gate three", "tomorrow morning"]}
OFF = {"de": ["du idiot", "ihr vollpfosten", "halt die klappe", "dummkopf"],
       "en": ["you idiot", "shut up moron", "stupid clown", "loser"]}


def fake_loader(name: str) -> list[Example]:
    lang = "de" if name.startswith("germeval") else "en"
    out = []
    kinds = itertools.cycle(["insult", "abuse", "profanity"])
    for i in range(12):  # enough for a stratified 80/20 split of every class
        suffix = f" {name} {i}"
        if name in ("germeval2017", "airline"):
            for j, (label, bank) in enumerate((("positive", POS), ("negative", NEG), ("neutral", NEU))):
                at = datetime(2015, 2, 17, tzinfo=UTC) + timedelta(minutes=3 * i + j)  # a time split
                out.append(Example(bank[lang][i % 4] + suffix, label, lang, name, created_at=at))
        else:
            kind = (("kind", next(kinds)),)
            out.append(Example(OFF[lang][i % 4] + suffix, "offense", lang, name, extra=kind))
            out.append(Example(NEU[lang][i % 4] + suffix, "none", lang, name))
    return out


def test_train_model_builds_every_head_and_scores_it_on_dev() -> None:
    run = train_model(bits=14, loader=fake_loader)
    assert set(run.model.heads) == {r.name for r in RECIPES}
    assert run.model.heads["sentiment_de"].classes == ("negative", "neutral", "positive")
    assert set(run.dev_scores["insult_de"]) == {"germeval2018", "germeval2019_train", "germeval2019_test"}
    assert run.dev_scores["sentiment_en"]["airline"].accuracy > 0.6  # learnable toy task
    card = run.model.card
    assert set(card["non_commercial"]) == set(NON_COMMERCIAL)
    assert card["dev_scores"]["insult_en"]["olid"]["n"] > 0
    probs = run.model.scores(["du idiot", "great thanks"])
    assert probs["insult_de"][0, 1] > probs["insult_de"][1, 1]


def test_excluding_all_data_of_a_head_is_a_clear_error() -> None:
    with pytest.raises(TrainingError, match="sentiment_de: no training data left"):
        train_model(bits=14, loader=fake_loader, exclude=NON_COMMERCIAL)


def test_own_examples_join_their_heads_training_data() -> None:
    mine = [Example("Die Bahn ist ein Traum", "negative", "de", "corrections") for _ in range(3)]
    run = train_model(bits=14, loader=fake_loader, extra={"sentiment_de": mine})
    heads = run.model.card["heads"]
    assert heads["sentiment_de"]["own_examples"] == 3
    assert heads["sentiment_en"]["own_examples"] == 0
    base = train_model(bits=14, loader=fake_loader)
    assert heads["sentiment_de"]["train_size"] == base.model.card["heads"]["sentiment_de"]["train_size"] + 3
    neg = list(run.model.heads["sentiment_de"].classes).index("negative")
    assert (run.model.scores(["Die Bahn ist ein Traum"])["sentiment_de"][0, neg]
            > base.model.scores(["Die Bahn ist ein Traum"])["sentiment_de"][0, neg])


def test_own_examples_from_twenty_on_get_their_own_dev_score() -> None:
    mine = [Example(f"Die Bahn ist ein Traum {i}", "negative" if i % 2 else "positive", "de", "own")
            for i in range(40)]
    run = train_model(bits=14, loader=fake_loader, extra={"sentiment_de": mine})
    own = run.dev_scores["sentiment_de"]["own"]
    assert own.n == 8  # a fifth held out
    assert run.model.card["heads"]["sentiment_de"]["own_examples"] == 40


def test_nb_heads_and_set_weights_train_and_show_in_the_card() -> None:
    recipes = (
        HeadRecipe("sentiment_en", HeadKind.SOFTMAX, ("negative", "neutral", "positive"),
                   train=("airline",), by_time=frozenset({"airline"}), lang="en", nb=True),
        HeadRecipe("insult_en", HeadKind.BINARY, ("none", "offense"), train=("olid", "davidson"),
                   lang="en", nb=True, weights={"davidson": 0.2}),
    )
    run = train_model(bits=14, loader=fake_loader, recipes=recipes)
    heads = run.model.card["heads"]
    assert heads["sentiment_en"]["nb"] is True
    assert heads["insult_en"]["weights"] == {"davidson": 0.2}
    assert "reproduce" not in run.model.card  # not the shipped recipe: no command to promise
    assert run.dev_scores["sentiment_en"]["airline"].accuracy > 0.6
    probs = run.model.scores(["you idiot", "great thanks", "flight at nine"])
    assert probs["insult_en"][0, 1] > probs["insult_en"][1, 1]
    np.testing.assert_allclose(probs["sentiment_en"].sum(axis=1), 1.0, rtol=1e-5)
    assert probs["sentiment_en"][1].argmax() == 2  # positive


def test_a_lighter_set_weighs_less() -> None:
    """The same contradicting set pulls the head less at a lower sample weight."""
    def loader(name: str) -> list[Example]:
        flipped = "none" if name == "davidson" else "offense"
        return [Example(f"you idiot {name} {i}", flipped, "en", name) for i in range(10)] + [
            Example(f"good morning {name} {i}", "none" if flipped == "offense" else "offense", "en", name)
            for i in range(10)]

    def offense(weight: float) -> float:
        recipe = HeadRecipe("insult_en", HeadKind.BINARY, ("none", "offense"), train=("olid", "davidson"),
                            lang="en", weights={"davidson": weight})
        run = train_model(bits=14, loader=loader, recipes=(recipe,))
        return float(run.model.scores(["you idiot"])["insult_en"][0, 1])

    assert offense(0.1) > offense(1.0)


def test_shipped_recipe_card_says_how_to_reproduce_it() -> None:
    run = train_model(bits=14, loader=fake_loader)
    assert run.model.card["reproduce"] == "crisisdesk train --no-corrections --bits 14 -o MODEL.npz"
