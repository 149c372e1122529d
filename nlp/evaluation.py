"""Measure the classifier, the keyword baseline and city attribution on the held-out test split."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sklearn.metrics import classification_report, confusion_matrix, f1_score

from nlp import rules
from nlp.classifier import CreditClassifier, Prediction
from nlp.evaluation_data import LabelledItem, evaluation_sha256, load_labelled, prefecture_of
from nlp.lexicon import DOMAINS, KINDS
from nlp.places import attribute, primary_prefecture


@dataclass
class TaskScores:
    macro_f1: float
    report: dict[str, Any]
    confusion: list[list[int]]
    labels: list[str]


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


def _domain_scores(test: list[LabelledItem], preds: list[Prediction]) -> TaskScores:
    # Domain is judged on the items that are credit items by the gold label; a missed kind counts as "none".
    gold, pred = [], []
    for it, p in zip(test, preds, strict=True):
        if it.kind != "other" and it.domain:
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


def evaluate(model: CreditClassifier, items: list[LabelledItem] | None = None) -> Evaluation:
    """All figures on the test split of the labelled corpus."""
    test = [it for it in (items or load_labelled()) if it.split == "test"]
    rows = [{"id": it.id, "title": it.title, "body": it.body} for it in test]
    preds = model.predict(rows)
    base = rules.predict(rows)
    gold_kind = [it.kind for it in test]
    acc, n, misses = city_accuracy(test)
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
    )
