"""Measure the classifier, the keyword baseline and city attribution on the held-out test split.

With 22 feedback and 23 trust items in the test split, one item moves kind macro-F1 by about 0.005–0.01, so every
figure comes with a bootstrap interval, and two models are compared item by item on the same resamples (paired):
a change is only told apart from noise when the interval of the difference excludes zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import classification_report, confusion_matrix, f1_score

from nlp import rules
from nlp.classifier import RANDOM_STATE, CreditClassifier, Prediction
from nlp.evaluation_data import LabelledItem, evaluation_sha256, load_labelled, prefecture_of
from nlp.lexicon import DOMAINS, KINDS
from nlp.places import attribute, primary_prefecture


@dataclass
class TaskScores:
    macro_f1: float
    report: dict[str, Any]
    confusion: list[list[int]]
    labels: list[str]


BOOTSTRAP_ROUNDS = 1000


@dataclass(frozen=True, slots=True)
class Interval:
    """A 95 % percentile bootstrap interval."""

    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.low:.3f}–{self.high:.3f}"


@dataclass
class Evaluation:
    n_test: int
    data_sha256: str
    kind: TaskScores
    domain: TaskScores
    baseline_kind: TaskScores
    baseline_domain: TaskScores
    city_accuracy: float
    city_n: int
    city_misses: list[dict[str, str | None]] = field(default_factory=list)
    kind_interval: Interval | None = None
    domain_interval: Interval | None = None
    predictions: list[Prediction] = field(default_factory=list)  # the model's, in test-split order

    def figures(self) -> dict[str, float]:
        return {
            "kind_macro_f1": round(self.kind.macro_f1, 4),
            "domain_macro_f1": round(self.domain.macro_f1, 4),
            "city_accuracy": round(self.city_accuracy, 4),
        }


def _scores(
    gold: list[str], pred: list[str], labels: tuple[str, ...], scored: tuple[str, ...] = ()
) -> TaskScores:
    labs = [lab for lab in labels if lab in set(gold) | set(pred)]
    macro_labels = [lab for lab in (scored or labels) if lab in set(gold)]
    return TaskScores(
        macro_f1=float(f1_score(gold, pred, labels=macro_labels, average="macro", zero_division=0)),
        report=classification_report(gold, pred, labels=labs, output_dict=True, zero_division=0),
        confusion=confusion_matrix(gold, pred, labels=labs).tolist(),
        labels=labs,
    )


def _is_credit(it: LabelledItem) -> bool:
    # Domain is judged on the items that are credit items by the gold label; a missed kind counts as "none".
    return it.kind != "other" and bool(it.domain)


def _domain_scores(test: list[LabelledItem], preds: list[Prediction]) -> TaskScores:
    gold, pred = [], []
    for it, p in zip(test, preds, strict=True):
        if _is_credit(it) and it.domain:
            gold.append(it.domain)
            pred.append(p.domain or "none")
    # Macro-F1 over the four domains; "none" (kind predicted other) only costs recall.
    return _scores(gold, pred, (*DOMAINS, "none"), scored=DOMAINS)


def city_accuracy(test: list[LabelledItem]) -> tuple[float, int, list[dict[str, str | None]]]:
    """Share of city-labelled test items whose top attribution has the labelled prefecture."""
    items = [it for it in test if it.cities]
    misses: list[dict[str, str | None]] = []
    for it in items:
        got = primary_prefecture(attribute(it.title, it.body))
        if got != prefecture_of(it.cities[0]):
            misses.append({"id": it.id, "gold": it.cities[0], "got": got})
    n = len(items)
    return (1 - len(misses) / n if n else 0.0), n, misses


class MacroF1:
    """Kind and domain macro-F1 of one set of predictions on any resample of the test items.

    The same figures as `_scores`/`_domain_scores` (labels scored are fixed on the whole split), counted with
    numpy so that a thousand resamples take well under a second."""

    def __init__(self, test: list[LabelledItem], preds: list[Prediction]) -> None:
        self.kinds = list(KINDS)
        self.domains = [*DOMAINS, "none"]
        self.gold_kind = np.array([self.kinds.index(it.kind) for it in test])
        self.pred_kind = np.array([self.kinds.index(p.kind) for p in preds])
        self.scored_kinds = sorted({int(k) for k in self.gold_kind})
        credit = [_is_credit(it) for it in test]
        self.credit = np.array(credit)
        self.gold_domain = np.array(
            [
                self.domains.index(it.domain) if c and it.domain else -1
                for it, c in zip(test, credit, strict=True)
            ]
        )
        self.pred_domain = np.array(
            [self.domains.index(p.domain or "none") if c else -1 for p, c in zip(preds, credit, strict=True)]
        )
        self.scored_domains = sorted({int(d) for d in self.gold_domain[self.credit]})

    def kind(self, idx: np.ndarray) -> float:
        return _macro(self.gold_kind[idx], self.pred_kind[idx], len(self.kinds), self.scored_kinds)

    def domain(self, idx: np.ndarray) -> float:
        idx = idx[self.credit[idx]]
        return _macro(self.gold_domain[idx], self.pred_domain[idx], len(self.domains), self.scored_domains)


def _macro(gold: np.ndarray, pred: np.ndarray, n: int, scored: list[int]) -> float:
    cm = np.bincount(gold * n + pred, minlength=n * n).reshape(n, n)
    tp = np.diag(cm).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.nan_to_num(tp / cm.sum(axis=0))
        recall = np.nan_to_num(tp / cm.sum(axis=1))
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
    return float(f1[scored].mean()) if scored else 0.0


def _resamples(n: int, rounds: int = BOOTSTRAP_ROUNDS) -> list[np.ndarray]:
    # A fixed seed: the same split and predictions always give the same interval.
    rng = np.random.default_rng(RANDOM_STATE)
    return [rng.integers(0, n, n) for _ in range(rounds)]


def _interval(values: list[float]) -> Interval:
    low, high = np.percentile(values, [2.5, 97.5])
    return Interval(round(float(low), 4), round(float(high), 4))


@dataclass
class Comparison:
    """Model A against model B on the same test items: differences (A − B) with paired bootstrap intervals."""

    kind_diff: float
    kind_interval: Interval
    domain_diff: float
    domain_interval: Interval
    kind_only_a_right: int  # items whose kind A gets right and B wrong
    kind_only_b_right: int

    @property
    def kind_is_noise(self) -> bool:
        return self.kind_interval.low <= 0 <= self.kind_interval.high


def _test_items(items: list[LabelledItem] | None) -> list[LabelledItem]:
    return [it for it in (items or load_labelled()) if it.split == "test"]


def _rows(test: list[LabelledItem]) -> list[dict[str, str]]:
    return [{"id": it.id, "title": it.title, "body": it.body} for it in test]


def predict_test(model: CreditClassifier, items: list[LabelledItem] | None = None) -> list[Prediction]:
    """The model's predictions for the test split, in its order."""
    return model.predict(_rows(_test_items(items)))


def compare(
    preds_a: list[Prediction], preds_b: list[Prediction], items: list[LabelledItem] | None = None
) -> Comparison:
    """Paired comparison of two sets of test-split predictions (two models, or a model and the baseline)."""
    test = _test_items(items)
    fa, fb = MacroF1(test, preds_a), MacroF1(test, preds_b)
    every = np.arange(len(test))
    samples = _resamples(len(test))
    right_a, right_b = fa.pred_kind == fa.gold_kind, fb.pred_kind == fb.gold_kind
    return Comparison(
        kind_diff=round(fa.kind(every) - fb.kind(every), 4),
        kind_interval=_interval([fa.kind(s) - fb.kind(s) for s in samples]),
        domain_diff=round(fa.domain(every) - fb.domain(every), 4),
        domain_interval=_interval([fa.domain(s) - fb.domain(s) for s in samples]),
        kind_only_a_right=int((right_a & ~right_b).sum()),
        kind_only_b_right=int((right_b & ~right_a).sum()),
    )


def evaluate(model: CreditClassifier, items: list[LabelledItem] | None = None) -> Evaluation:
    """All figures on the test split of the labelled corpus."""
    test = _test_items(items)
    rows = _rows(test)
    preds = model.predict(rows)
    base = rules.predict(rows)
    gold_kind = [it.kind for it in test]
    acc, n, misses = city_accuracy(test)
    figures = MacroF1(test, preds)
    samples = _resamples(len(test))
    return Evaluation(
        n_test=len(test),
        data_sha256=evaluation_sha256(),
        kind=_scores(gold_kind, [p.kind for p in preds], KINDS),
        domain=_domain_scores(test, preds),
        baseline_kind=_scores(gold_kind, [p.kind for p in base], KINDS),
        baseline_domain=_domain_scores(test, base),
        city_accuracy=acc,
        city_n=n,
        city_misses=misses,
        kind_interval=_interval([figures.kind(s) for s in samples]),
        domain_interval=_interval([figures.domain(s) for s in samples]),
        predictions=preds,
    )
