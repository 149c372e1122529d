"""The production engine gives exactly what the straightforward engine gives (`reference_engine.py`), on many varied
city-months of every shipped model and of variants covering the other decay kinds and a missing-input share.

Exactly: every float compared with ==, the stored JSON compared as text, the drill-down trees compared field by
field. Inputs are seeded and deliberately awkward: absent portal figures, non-finite values, long evidence lists,
events past the per-event and total caps, feedback published after the scored month or with no delay.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence

import pytest

from nlp.gazetteer import get_gazetteer
from scoring import engine
from scoring.datatypes import (
    CityMonthInputs,
    CityResult,
    Evidence,
    FeedbackItem,
    MajorEvent,
    TrustEvent,
    month_index,
    month_of_index,
)
from scoring.metrics import CRAWLED, DOMAINS, PORTAL
from scoring.model import Decay, IndexModel, Param, available_models, load_model
from scoring.ranking import rank_in_peer_sets
from tests.scoring import reference_engine as reference

MONTHS = ("2023-12", "2024-06")


def _value(rng: random.Random, hi: float) -> float:
    r = rng.random()
    if r < 0.02:
        return rng.choice((math.nan, math.inf, -math.inf))
    if r < 0.10:
        return 0.0
    return float(rng.randint(0, int(hi))) if r < 0.7 else rng.uniform(0, hi)


def _inputs(model: IndexModel, code: str, name: str, month: str, rng: random.Random) -> CityMonthInputs:
    metrics: dict[str, float] = {}
    for key in CRAWLED:
        if rng.random() < 0.97:  # the adapter fills every crawled metric; a hand-built input may not
            metrics[key] = _value(rng, 30)
    if rng.random() < 0.8:
        for key in PORTAL:
            if rng.random() < 0.95:
                metrics[key] = _value(rng, 400)
    evidence: dict[str, tuple[Evidence, ...]] = {}
    for key in rng.sample(sorted(metrics), 3):
        evidence[key] = tuple(
            Evidence("article", str(i), f"标题{i}", f"http://x.cn/{i}", month)
            for i in range(rng.randint(0, 30))
        )
    manual: dict[str, float] = {}
    for _aspect, _leaf, field in model.manual_fields():
        if rng.random() < 0.75:
            lo = field.min if field.min is not None else 0.0
            hi = field.max if field.max is not None else 1000.0
            manual[field.code] = rng.uniform(lo, hi) if rng.random() < 0.9 else rng.choice((lo, hi, math.nan))
            if rng.random() < 0.1:
                evidence[field.code] = (Evidence("manual", field.code, "办公室填报", None, month),)
    now = month_index(month)
    majors = []
    for i in range(rng.choice((0, 0, 1, 1, 2, 3, 6))):
        when = month_of_index(now - rng.randint(-1, 14))
        fb = tuple(
            FeedbackItem(
                f"f{i}{j}",
                "回应",
                month_of_index(month_index(when) + rng.randint(0, 3)),
                delay_hours=None if rng.random() < 0.2 else rng.uniform(1, 300),
                url=None if j % 2 else f"http://gov.cn/{j}",
            )
            for j in range(rng.randint(0, 4))
        )
        majors.append(
            MajorEvent(f"{code}-{i}", "事件", when, rng.choice((*DOMAINS, None)), rng.randint(0, 15), fb)
        )
    trust = tuple(
        TrustEvent(
            f"t{i}", "典型", month_of_index(now - rng.randint(-1, 13)), None if i % 3 else "http://t.cn"
        )
        for i in range(rng.choice((0, 1, 2, 4, 12)))
    )
    return CityMonthInputs(code, month, name, metrics, manual, evidence, tuple(majors), trust)


def _variants() -> list[IndexModel]:
    out = [load_model(name) for name in available_models()]
    js = load_model("jiangsu2016")
    assert js.events is not None
    for kind in ("linear", "none"):
        events = js.events.model_copy(update={"decay": Decay(kind=kind)})
        out.append(
            js.model_copy(
                update={"events": events, "missing_score": Param(value=0.35), "version": f"decay-{kind}"}
            )
        )
    return out


def _same(new: CityResult, old: CityResult) -> None:
    for name in (
        "model", "version", "division_code", "name", "month", "window", "total", "raw_total", "base", "events",
        "trust_events", "vetoed", "failed", "missing", "assumptions", "rank", "peers", "peer_set", "peer_set_label",
    ):  # fmt: skip
        assert getattr(new, name) == getattr(old, name), (old.division_code, old.month, name)
    assert len(new.aspects) == len(old.aspects)
    for a, b in zip(new.aspects, old.aspects, strict=True):
        assert (a.code, a.name, a.role, a.points, a.max_points, a.contribution, a.weight, a.share, a.passed) == (
            b.code, b.name, b.role, b.points, b.max_points, b.contribution, b.weight, b.share, b.passed,
        )  # fmt: skip
        assert a.indicators == b.indicators, (old.division_code, old.month, a.code)
    for method in ("aspects_json", "details_json", "assumptions_json"):
        assert json.dumps(getattr(new, method)(), ensure_ascii=False) == json.dumps(
            getattr(old, method)(), ensure_ascii=False
        ), (old.division_code, old.month, method)


def _units(n: int, rng: random.Random) -> Sequence[tuple[str, str]]:
    divisions = [d for d in get_gazetteer().all() if d.level in ("prefecture", "county")]
    return [(d.code, d.name) for d in rng.sample(divisions, n)]


@pytest.mark.parametrize("model", _variants(), ids=lambda m: f"{m.name}-{m.version}")
def test_engine_matches_reference_on_many_city_months(model: IndexModel) -> None:
    rng = random.Random(f"{model.name}{model.version}")
    cities = _units(400, rng)
    compared = 0
    for month in MONTHS:
        inputs = [_inputs(model, code, name, month, rng) for code, name in cities]
        new = engine.score_month(model, inputs)
        old = reference.score_month(model, inputs)
        assert [r.division_code for r in new] == [r.division_code for r in old]
        for a, b in zip(new, old, strict=True):
            _same(a, b)
            compared += 1
        # The peer-set ranking the CLI stores goes through the same results.
        ranked = rank_in_peer_sets([engine.score_city(model, i) for i in inputs[:60]], model)
        expected = rank_in_peer_sets([reference.score_city(model, i) for i in inputs[:60]], model)
        for a, b in zip(ranked, expected, strict=True):
            _same(a, b)
    assert compared == 2 * len(cities)
