"""The pinned quality gate: figures on the held-out test split may not drop below nlp/data/quality_floor.json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nlp import rules
from nlp.classifier import get_classifier
from nlp.evaluation import Evaluation, MacroF1, compare, evaluate, predict_test
from nlp.evaluation_data import evaluation_sha256, load_labelled

FLOOR = Path(__file__).resolve().parents[2] / "nlp" / "data" / "quality_floor.json"


@pytest.fixture(scope="module")
def floor() -> dict[str, float]:
    return json.loads(FLOOR.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def measured() -> Evaluation:
    return evaluate(get_classifier())


def test_evaluation_data_is_the_pinned_one(floor: dict[str, float]) -> None:
    # A changed test split makes old floors meaningless: re-measure and re-pin (upwards) on purpose.
    assert evaluation_sha256() == floor["evaluation_data_sha256"]


def test_test_split_is_large_stratified_and_never_trained_on() -> None:
    items = load_labelled()
    test = [i for i in items if i.split == "test"]
    assert len(test) >= 600
    assert {i.kind for i in test} == {"trust", "distrust", "institution", "feedback", "other"}
    assert sum(1 for i in test if i.cities) >= 150
    train_texts = {(i.title, i.body) for i in items if i.split == "train"}
    assert not any((i.title, i.body) in train_texts for i in test)


@pytest.mark.parametrize("figure", ["kind_macro_f1", "domain_macro_f1", "city_accuracy"])
def test_figure_is_at_or_above_the_floor(figure: str, floor: dict[str, float], measured: Evaluation) -> None:
    assert measured.figures()[figure] >= floor[figure]


def test_model_beats_the_keyword_baseline(measured: Evaluation) -> None:
    assert measured.kind.macro_f1 > measured.baseline_kind.macro_f1
    assert measured.domain.macro_f1 > measured.baseline_domain.macro_f1 - 0.02


def test_bootstrap_counting_gives_the_reported_figures(measured: Evaluation) -> None:
    # The numpy counting behind the intervals must be the same macro-F1 as scikit-learn's on the whole split.
    test = [i for i in load_labelled() if i.split == "test"]
    figures = MacroF1(test, predict_test(get_classifier()))  # predicted afresh, not the evaluation's own list
    every = np.arange(len(test))
    assert figures.kind(every) == pytest.approx(measured.kind.macro_f1, abs=1e-9)
    assert figures.domain(every) == pytest.approx(measured.domain.macro_f1, abs=1e-9)


def test_figures_carry_a_bootstrap_interval(measured: Evaluation) -> None:
    for interval, figure in (
        (measured.kind_interval, measured.kind.macro_f1),
        (measured.domain_interval, measured.domain.macro_f1),
    ):
        assert interval is not None
        # 22-23 items in the scarce kinds: the interval is wide, and it brackets the figure
        assert interval.low < figure < interval.high
        assert 0.03 < interval.high - interval.low < 0.2


def test_paired_comparison_tells_a_real_gap_from_noise(measured: Evaluation) -> None:
    test = [i for i in load_labelled() if i.split == "test"]
    model = measured.predictions
    baseline = rules.predict([{"id": i.id, "title": i.title, "body": i.body} for i in test])
    c = compare(model, baseline)
    assert c.kind_diff == pytest.approx(measured.kind.macro_f1 - measured.baseline_kind.macro_f1, abs=1e-4)
    assert c.kind_interval.low > 0 and not c.kind_is_noise
    assert c.kind_only_a_right > c.kind_only_b_right
    same = compare(model, model)
    assert (same.kind_diff, same.kind_only_a_right, same.kind_only_b_right) == (0, 0, 0)
    assert same.kind_is_noise
