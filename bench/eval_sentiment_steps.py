"""What each step of the German sentiment recipe contributes (docs/analysis.md, issue 11).

Five-fold cross-validation on GermEval 2017 (all 2,469 documents, folds grouped by near-duplicate
text), and the cross-domain brand set ``brands_de`` (Mozetič tweets about companies and customer
service, never trained on) scored by a model fitted on all of GermEval 2017. For each step:
accuracy (= micro-F1) and the negative class's recall and precision. The decision rule of the
last steps is the one :func:`crisisdesk.training.decision.choose_rule` picks on the out-of-fold
predictions (for the brand set: the rule chosen on GermEval, applied as is).

    python bench/eval_sentiment_steps.py            # about 15 minutes on one core
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

import numpy as np

from crisisdesk.analysis.features import Featurizer
from crisisdesk.training.datasets import load
from crisisdesk.training.decision import apply_rule, choose_rule, complaint_flags, out_of_fold
from crisisdesk.training.heads import CUE_WEIGHT, RECIPES, fit_auxiliary, fit_head

CLASSES = ("negative", "neutral", "positive")


def measure(chosen: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> str:
    gold = np.array([CLASSES.index(v) for v in y])
    tp = int(((chosen == 0) & (gold == 0)).sum())
    return (f"acc {float((chosen == gold).mean()):.3f}  neg R {tp / max(int((gold == 0).sum()), 1):.3f}"
            f"  P {tp / max(int((chosen == 0).sum()), 1):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    recipe = RECIPES[0]
    germeval = load("germeval2017")
    brands = load("brands_de")
    aux_examples = [e for e in load("mozetic_de") if not any(e.text == b.text for b in brands)]
    texts = [e.text for e in germeval]
    y = np.array([e.label for e in germeval])
    yb = np.array([e.label for e in brands])
    flags = complaint_flags(texts)
    brand_flags = complaint_flags([e.text for e in brands])
    steps = [("plain (hashed n-grams, the recipe before)", False, False, False, False),
             ("+ cue features", True, False, False, False),
             ("+ auxiliary polarity head (Mozetič)", True, True, False, False),
             ("+ decision rule (negative_at, complaint_at)", True, True, False, True),
             ("tried: + negative booster (NB-LR, scale 1), argmax", True, True, True, False),
             ("tried: + negative booster + decision rule", True, True, True, True)]
    for name, cues, aux_on, boost_on, rule_on in steps:
        recipe_step = replace(recipe, negative_boost=1.0 if boost_on else 0.0)
        featurizer = Featurizer(cues=cues, cue_weight=CUE_WEIGHT).fit_idf(
            texts + ([e.text for e in aux_examples] if aux_on else []))
        X = featurizer.transform(texts)
        aux = fit_auxiliary(featurizer, aux_examples) if aux_on else None

        def fit(Xf: Any, yf: Any, a: Any = aux, r: Any = recipe_step) -> Any:
            coef, intercept = fit_head(r, Xf, yf, np.ones(len(yf)), a)

            def predict(Xp: Any) -> Any:
                logits = np.asarray(Xp @ coef.T) + intercept
                e = np.exp(logits - logits.max(axis=1, keepdims=True))
                return e / e.sum(axis=1, keepdims=True)
            return predict

        oof = out_of_fold(X, y, texts, fit, folds=args.folds)
        rule = choose_rule(oof, y, CLASSES, flags) if rule_on else None
        at, cat = (rule.negative_at, rule.complaint_at) if rule else (None, None)
        cv = measure(apply_rule(oof, 0, at, cat, flags), y)
        pb = fit(X, y)(featurizer.transform([e.text for e in brands]))
        brand = measure(apply_rule(pb, 0, at, cat, brand_flags), yb)
        extra = f"  (negative_at {at}, complaint_at {cat})" if rule else ""
        print(f"{name:48s} GermEval CV: {cv} | brands_de: {brand.split('  ', 1)[1]}{extra}", flush=True)


if __name__ == "__main__":
    main()
