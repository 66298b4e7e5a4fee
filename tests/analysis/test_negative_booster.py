"""The negative booster of a sentiment head (training/heads.py, issue 11): folded into one head.

A recipe with ``negative_boost`` adds a negative-vs-rest NB-LR's logit to the softmax head's
negative column. It must stay one linear map (nothing extra at prediction), change only the
negative column, and raise P(negative) for posts that carry the negative posts' words.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest
from scipy import sparse

from crisisdesk.analysis.features import Featurizer
from crisisdesk.training.heads import RECIPES, fit_head, negative_booster

NEGATIVE = ["Zug schon wieder verspätet, Frechheit", "Wieder Verspätung, unfassbar",
            "Keine Antwort, Frechheit", "Heizung kaputt, unfassbar kalt",
            "Schon wieder ausgefallen, Frechheit", "Verspätet und voll, unfassbar"]
NEUTRAL = ["Der Zug fährt um acht", "Neuer Fahrplan ab Montag", "Gleis drei heute",
           "Ich fahre morgen nach Köln", "Der ICE hält in Fulda", "Tickets gibt es am Automaten"]
POSITIVE = ["Super Service, danke", "Pünktlich und sauber, danke", "Toller Zugbegleiter, super"]


Data = tuple[Featurizer, sparse.csr_matrix, npt.NDArray[np.str_]]


@pytest.fixture(scope="module")
def data() -> Data:
    texts = NEGATIVE + NEUTRAL + POSITIVE
    featurizer = Featurizer(bits=14, cues=True).fit_idf(texts)
    y = np.array(["negative"] * len(NEGATIVE) + ["neutral"] * len(NEUTRAL) + ["positive"] * len(POSITIVE))
    return featurizer, featurizer.transform(texts), y


def test_the_booster_is_folded_into_the_negative_column_only(data: Data) -> None:
    _, X, y = data
    recipe = replace(RECIPES[0], aux=())
    weights = np.ones(len(y))
    plain_coef, plain_b = fit_head(replace(recipe, negative_boost=0.0), X, y, weights)
    coef, b = fit_head(replace(recipe, negative_boost=0.5), X, y, weights)
    w, w_b = negative_booster(X, y == "negative", weights, recipe.negative_boost_C)
    assert coef.shape == plain_coef.shape
    np.testing.assert_allclose(coef[0], plain_coef[0] + 0.5 * w, atol=1e-8)
    np.testing.assert_allclose(b[0], plain_b[0] + 0.5 * w_b, atol=1e-8)
    np.testing.assert_array_equal(coef[1:], plain_coef[1:])


def test_the_booster_raises_p_negative_of_a_new_complaint(data: Data) -> None:
    featurizer, X, y = data
    recipe = replace(RECIPES[0], aux=())
    weights = np.ones(len(y))
    probe = featurizer.transform(["Schon wieder verspätet, unfassbar", "Der Zug fährt morgen um neun"])

    def p_negative(boost: float) -> npt.NDArray[np.float64]:
        coef, b = fit_head(replace(recipe, negative_boost=boost), X, y, weights)
        logits = np.asarray(probe @ coef.T) + b
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return np.asarray((e / e.sum(axis=1, keepdims=True))[:, 0])

    plain, boosted = p_negative(0.0), p_negative(1.0)
    assert boosted[0] > plain[0]
    assert boosted[0] > boosted[1]  # the complaint, not the timetable post


def test_a_head_without_a_negative_class_is_untouched(data: Data) -> None:
    _, X, y = data
    offence = np.where(y == "negative", "offense", "none")
    insult = next(r for r in RECIPES if r.name == "insult_de")
    weights = np.ones(len(y))
    plain = fit_head(replace(insult, negative_boost=0.0), X, offence, weights)
    boosted = fit_head(replace(insult, negative_boost=1.0), X, offence, weights)
    np.testing.assert_array_equal(plain[0], boosted[0])


def test_the_shipped_recipe_leaves_it_off() -> None:
    # Measured (docs/analysis.md): better ranking on GermEval, lower recall on other brands.
    assert all(r.negative_boost == 0.0 for r in RECIPES)
