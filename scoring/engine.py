"""The scoring engine: an index model × one city-month of inputs → indicator, aspect and total scores.

Pure: it takes `CityMonthInputs` and an `IndexModel` and returns `CityResult`; the database adapter is
`scoring.inputs`, storage is `scoring.store`.

A model is compiled once (`_plan`) into flat per-leaf tuples (input keys, scale bounds, formula, points) and a nested
index structure for the group sums, so scoring a city-month is a loop over leaves adding floats in the same order as
the indicator tree would. The drill-down (`IndicatorScore` per indicator, `InputValue` per input) is built only when
read — by the stored JSON or a page — by `score_indicator`, the readable definition of a leaf's score. Both paths
are checked equal, float for float, against the straightforward engine in tests/scoring/test_engine_equality.py.

Ranking rule (stated once, used everywhere): cities are ranked on the total rounded to two decimals, highest first;
cities with the same rounded total share the better rank and the next rank skips ("1, 2, 2, 4" — standard
competition ranking); within a tie they are listed by division code.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeAlias

from scoring.datatypes import (
    EVIDENCE_LIMIT,
    AspectScore,
    CityMonthInputs,
    CityResult,
    EventEffect,
    Evidence,
    IndicatorScore,
    InputValue,
    TrustEffect,
    month_index,
    month_of_index,
)
from scoring.formulas import FORMULAS, parameters
from scoring.model import IndexModel, Indicator, Source


def round2(x: float) -> float:
    """Two decimals, half up (86.715 → 86.72), as published lists print them."""
    return float(Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _input_values(model: IndexModel, leaf: Indicator, inputs: CityMonthInputs) -> tuple[InputValue, ...]:
    out = []
    for f in leaf.inputs:
        source = leaf.input_source(f)
        if source is Source.MANUAL:
            value = inputs.manual.get(f.code)
            evidence: tuple[Evidence, ...] = inputs.evidence.get(f.code, ())
            if value is not None and not evidence:
                evidence = (
                    Evidence("manual", f.code, f"{f.name or leaf.name}: {value:g}", month=inputs.month),
                )
        else:
            assert f.metric is not None
            value = inputs.metrics.get(f.metric)
            evidence = inputs.evidence.get(f.metric, ())
        if value is not None and not math.isfinite(value):
            value = None
        out.append(
            InputValue(
                code=f.code,
                name=f.name or leaf.name,
                source=source.value,
                value=value,
                unit=f.unit or leaf.unit,
                metric=f.metric,
                evidence=evidence,
                evidence_count=len(evidence),
            )
        )
    return tuple(out)


def score_leaf(model: IndexModel, leaf: Indicator, inputs: CityMonthInputs) -> IndicatorScore:
    """One leaf indicator."""
    values = _input_values(model, leaf, inputs)
    by_code = {v.code: v.value for v in values}
    missing = tuple(v.code for v in values if v.value is None)
    points = max_points = 0.0
    value: float | None = None
    share: float | None = None
    passed: bool | None = None
    condition: str | None = None
    if leaf.pass_if:
        condition = " and ".join(c.text() for c in leaf.pass_if)
        failed = False
        for c in leaf.pass_if:
            x = by_code[c.input]
            failed = failed or (x is not None and not c.holds(x))
        passed = False if failed else (None if missing else True)
    else:
        max_points = model.leaf_points(leaf)
        scale = model.scale(leaf)
        if missing:
            # A missing input earns the model's stated share of a normalised leaf; a points formula earns none
            # (seed 002 scores only what the city can show).
            if scale is not None:
                share = model.missing_score.value
                points = max_points * share
        else:
            present = {code: v for code, v in by_code.items() if v is not None}
            if leaf.formula:
                value = float(
                    FORMULAS[leaf.formula](**{param: present[code] for param, code in leaf.args.items()})
                )
            else:
                value = present[values[0].code]
            if scale is None:
                points = max(0.0, min(value, max_points))
            else:
                share = scale.apply(value)
                points = max_points * share
    return IndicatorScore(
        code=leaf.code,
        name=leaf.name,
        source=leaf.source.value if leaf.source else None,
        points=points,
        max_points=max_points,
        value=value,
        share=share,
        passed=passed,
        condition=condition,
        missing=missing,
        inputs=values,
        departments=tuple(leaf.departments),
    )


def score_indicator(model: IndexModel, ind: Indicator, inputs: CityMonthInputs) -> IndicatorScore:
    if ind.is_leaf:
        return score_leaf(model, ind, inputs)
    children = tuple(score_indicator(model, c, inputs) for c in ind.indicators)
    passes = [c.passed for c in children]
    passed = False if False in passes else (None if None in passes else True)
    return IndicatorScore(
        code=ind.code,
        name=ind.name,
        source=None,
        points=sum(c.points for c in children),
        max_points=sum(c.max_points for c in children),
        passed=passed if any(c.condition or c.passed is not None for c in children) else None,
        missing=tuple(m for c in children for m in c.missing),
        departments=tuple(ind.departments),
        children=children,
    )


def _leaves(scores: Iterable[IndicatorScore]) -> Iterable[IndicatorScore]:
    for s in scores:
        if s.children:
            yield from _leaves(s.children)
        else:
            yield s


def _major_effects(model: IndexModel, inputs: CityMonthInputs, now: int) -> list[EventEffect]:
    assert model.events is not None
    cfg = model.events.major_deduction
    off = model.events.feedback_offset
    effects = []
    for ev in inputs.major_events:
        age = now - month_index(ev.month)
        if not 0 <= age < model.window_months:
            continue
        decay = model.events.decay.factor(age, model.window_months)
        extra = max(0, ev.homepage_count - cfg.homepage_threshold)
        base = min(cfg.max_per_event.value, cfg.per_event.value + cfg.per_extra_homepage.value * extra)
        deduction = base * decay
        answers = tuple(f for f in ev.feedback if month_index(f.month) <= now)
        weight = sum(
            1.0
            if f.delay_hours is not None and f.delay_hours <= off.prompt_hours.value
            else off.late_factor.value
            for f in answers
        )
        offset = deduction * off.fraction.value * min(1.0, weight / off.full_at_links.value)
        effects.append(
            EventEffect(
                ref=ev.ref,
                title=ev.title,
                domain=ev.domain,
                month=ev.month,
                age_months=age,
                decay=decay,
                deduction=deduction,
                offset=offset,
                feedback=answers,
                feedback_weight=weight,
                url=ev.url,
            )
        )
    total = sum(e.deduction for e in effects)
    cap = cfg.max_total.value
    if total > cap > 0:
        # Scale every event (and its offset) alike so that the drill-down still adds up to the capped total.
        k = cap / total
        effects = [replace(e, deduction=e.deduction * k, offset=e.offset * k) for e in effects]
    return effects


def _trust_effects(model: IndexModel, inputs: CityMonthInputs, now: int) -> list[TrustEffect]:
    assert model.events is not None
    cfg = model.events.trust_bonus
    effects = []
    for ev in inputs.trust_events:
        age = now - month_index(ev.month)
        if not 0 <= age < model.window_months:
            continue
        decay = model.events.decay.factor(age, model.window_months)
        effects.append(
            TrustEffect(ev.ref, ev.title, ev.month, age, decay, cfg.per_event.value * decay, ev.url)
        )
    total = sum(e.bonus for e in effects)
    if total > cfg.max_total.value > 0:
        k = cfg.max_total.value / total
        effects = [replace(e, bonus=e.bonus * k) for e in effects]
    return effects


# A node of the compiled tree: a leaf's index into the per-city lists, or a group.
_Node: TypeAlias = "int | _Group"


@dataclass(frozen=True, slots=True)
class _Group:
    code: str
    name: str
    departments: tuple[str, ...]
    max_points: float
    children: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Input:
    code: str
    manual: bool  # read from `manual` (by code) rather than `metrics` (by metric)
    key: str  # the code or the metric
    name: str
    source: str
    metric: str | None
    unit: str


@dataclass(frozen=True, slots=True)
class _Leaf:
    code: str
    name: str
    source: str | None
    departments: tuple[str, ...]
    inputs: tuple[_Input, ...]
    conditions: tuple[tuple[int, Callable[[float], bool]], ...]  # pass/fail: (input position, test)
    condition: str | None  # the pass/fail rule as text
    max_points: float
    max_points_json: float  # as the stored JSON rounds it
    # normalisation: "" (none: the value is the points), "linear", "log" or "boolean", with its two constants
    scale: str
    lo: float
    width: float  # linear: hi − lo; log: log1p(target)
    formula: Callable[..., float] | None
    args: tuple[int, ...]  # input position of each formula parameter, in parameter order


@dataclass(frozen=True, slots=True)
class _AspectPlan:
    role: str
    nodes: tuple[_Node, ...]  # the aspect's indicators
    leaves: range  # its leaves' indices (depth first, as the tree lists them)
    max_points: float
    weight: float | None


@dataclass(frozen=True, slots=True)
class _Plan:
    leaves: tuple[_Leaf, ...]
    aspects: tuple[_AspectPlan, ...]
    possible: float  # attainable points of the score aspects
    missing_share: float


def _compile(model: IndexModel) -> _Plan:
    leaves: list[_Leaf] = []

    def node(ind: Indicator) -> _Node:
        if not ind.is_leaf:
            children = tuple(node(c) for c in ind.indicators)
            return _Group(
                ind.code, ind.name, tuple(ind.departments), sum(max_of(c) for c in children), children
            )
        codes = [f.code for f in ind.inputs]
        position = {code: i for i, code in enumerate(codes)}  # the last input of a code wins, as by_code does
        scale = model.scale(ind)
        kind, lo, width = "", 0.0, 0.0
        if scale is not None:
            kind = scale.kind
            if scale.kind == "linear":
                assert scale.lo is not None and scale.hi is not None
                lo, width = scale.lo.value, scale.hi.value - scale.lo.value
            elif scale.kind == "log":
                assert scale.target is not None
                width = math.log1p(scale.target.value)
        max_points = 0.0 if ind.pass_if else model.leaf_points(ind)
        fields = []
        for f in ind.inputs:
            source = ind.input_source(f)
            manual = source is Source.MANUAL
            key = f.code if manual else str(f.metric)
            fields.append(
                _Input(f.code, manual, key, f.name or ind.name, source.value, f.metric, f.unit or ind.unit)
            )
        leaves.append(
            _Leaf(
                code=ind.code,
                name=ind.name,
                source=ind.source.value if ind.source else None,
                departments=tuple(ind.departments),
                inputs=tuple(fields),
                conditions=tuple((position[c.input], c.holds) for c in ind.pass_if),
                condition=" and ".join(c.text() for c in ind.pass_if) if ind.pass_if else None,
                max_points=max_points,
                max_points_json=round(max_points, 4),
                scale=kind,
                lo=lo,
                width=width,
                formula=FORMULAS[ind.formula] if ind.formula else None,
                args=tuple(position[ind.args[p]] for p in parameters(ind.formula)) if ind.formula else (),
            )
        )
        return len(leaves) - 1

    def max_of(n: _Node) -> float:
        return leaves[n].max_points if isinstance(n, int) else n.max_points

    aspects = []
    for a in model.aspects:
        first = len(leaves)
        nodes = tuple(node(i) for i in a.indicators)
        aspects.append(
            _AspectPlan(
                a.role,
                nodes,
                range(first, len(leaves)),
                sum(max_of(n) for n in nodes),
                a.weight.value if a.weight else None,
            )
        )
    possible = sum(a.max_points for a in aspects if a.role == "score")
    return _Plan(tuple(leaves), tuple(aspects), possible, model.missing_score.value)


# Compiled plans by model object; the model is kept with its plan so its id cannot be reused by another model.
_PLANS: dict[int, tuple[IndexModel, _Plan]] = {}


def _plan(model: IndexModel) -> _Plan:
    hit = _PLANS.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1]
    if (
        len(_PLANS) >= 64
    ):  # tests and what-if runs build models by the dozen; a long-lived process keeps a few
        _PLANS.clear()
    plan = _compile(model)
    _PLANS[id(model)] = (model, plan)
    return plan


@dataclass(frozen=True, slots=True)
class _LeafScores:
    """Per leaf, in plan order: what `score_leaf` computes, as parallel lists."""

    points: list[Any]
    value: list[Any]
    share: list[float | None]
    passed: list[bool | None]
    missing: list[tuple[str, ...]]
    inputs: list[list[Any]]  # the input values (None: missing or not finite)


def _leaf_scores(plan: _Plan, inputs: CityMonthInputs) -> _LeafScores:
    """Every leaf scored as `score_leaf` scores it, without building its drill-down."""
    metrics, manual = inputs.metrics, inputs.manual
    isfinite = math.isfinite
    missing_share = plan.missing_share
    out = _LeafScores([], [], [], [], [], [])
    points, values_out, shares, passed, missing, inputs_out = (
        out.points, out.value, out.share, out.passed, out.missing, out.inputs,
    )  # fmt: skip
    for leaf in plan.leaves:
        values: list[Any] = []
        absent: tuple[str, ...] = ()
        for f in leaf.inputs:
            v = manual.get(f.key) if f.manual else metrics.get(f.key)
            if v is not None and not isfinite(v):
                v = None
            if v is None:
                absent += (f.code,)
            values.append(v)
        missing.append(absent)
        inputs_out.append(values)
        if leaf.conditions:
            failed = False
            for position, holds in leaf.conditions:
                x = values[position]
                failed = failed or (x is not None and not holds(x))
            passed.append(False if failed else (None if absent else True))
            points.append(0.0)
            values_out.append(None)
            shares.append(None)
            continue
        passed.append(None)
        max_points = leaf.max_points
        if absent:
            values_out.append(None)
            if leaf.scale:
                shares.append(missing_share)
                points.append(max_points * missing_share)
            else:
                shares.append(None)
                points.append(0.0)
            continue
        if leaf.formula is not None:
            value = float(leaf.formula(*[values[i] for i in leaf.args]))
        else:
            value = values[0]
        values_out.append(value)
        kind = leaf.scale
        if not kind:
            shares.append(None)
            points.append(max(0.0, min(value, max_points)))
            continue
        if kind == "boolean":
            x = 1.0 if value >= 0.5 else 0.0
        elif kind == "log":
            x = math.log1p(max(value, 0.0)) / leaf.width
        else:
            x = (value - leaf.lo) / leaf.width
        share = max(0.0, min(1.0, x))
        shares.append(share)
        points.append(max_points * share)
    return out


def _sum_points(node: _Node, points: list[Any]) -> Any:
    return points[node] if isinstance(node, int) else sum(_sum_points(c, points) for c in node.children)


class _Drilldown:
    """An aspect's indicators for one city: built as `IndicatorScore` trees (`score_indicator`) when read, or
    straight to the stored JSON (`IndicatorScore.as_json`, same keys, same order, same rounding)."""

    __slots__ = ("_aspect", "_inputs", "_leaves", "_model", "_plan")

    def __init__(
        self, model: IndexModel, plan: _Plan, aspect: int, inputs: CityMonthInputs, leaves: _LeafScores
    ) -> None:
        self._model, self._plan, self._aspect, self._inputs, self._leaves = (
            model,
            plan,
            aspect,
            inputs,
            leaves,
        )

    def __call__(self) -> tuple[IndicatorScore, ...]:
        model, inputs = self._model, self._inputs
        return tuple(score_indicator(model, i, inputs) for i in model.aspects[self._aspect].indicators)

    def as_json(self) -> list[dict[str, Any]]:
        return [self._node_json(n)[0] for n in self._plan.aspects[self._aspect].nodes]

    def _node_json(self, node: _Node) -> tuple[dict[str, Any], Any, tuple[str, ...], bool | None, bool]:
        """(JSON, points, missing codes, passed, has a condition or a verdict) of a leaf or group."""
        ls = self._leaves
        if isinstance(node, int):
            leaf = self._plan.leaves[node]
            points, share, passed, missing = (
                ls.points[node],
                ls.share[node],
                ls.passed[node],
                ls.missing[node],
            )
            out = {
                "code": leaf.code,
                "name": leaf.name,
                "source": leaf.source,
                "points": round(points, 4),
                "max_points": leaf.max_points_json,
                "value": ls.value[node],
                "share": None if share is None else round(share, 4),
                "passed": passed,
                "condition": leaf.condition,
                "missing": list(missing),
                "departments": list(leaf.departments),
                "inputs": self._inputs_json(leaf.inputs, ls.inputs[node]),
            }
            return out, points, missing, passed, bool(leaf.condition) or passed is not None
        parts = [self._node_json(c) for c in node.children]
        points = sum(p[1] for p in parts)
        missing = tuple(m for p in parts for m in p[2])
        passes = [p[3] for p in parts]
        verdict = False if False in passes else (None if None in passes else True)
        passed = verdict if any(p[4] for p in parts) else None
        out = {
            "code": node.code,
            "name": node.name,
            "source": None,
            "points": round(points, 4),
            "max_points": round(node.max_points, 4),
            "value": None,
            "share": None,
            "passed": passed,
            "condition": None,
            "missing": list(missing),
            "departments": list(node.departments),
            "inputs": [],
            "children": [p[0] for p in parts],
        }
        return out, points, missing, passed, passed is not None

    def _inputs_json(self, fields: tuple[_Input, ...], values: list[Any]) -> list[dict[str, Any]]:
        """`InputValue.as_json` of each input; a manual figure with no evidence of its own cites itself."""
        inputs = self._inputs
        evidence_of, manual, month = inputs.evidence, inputs.manual, inputs.month
        out = []
        for f, value in zip(fields, values, strict=True):
            evidence = evidence_of.get(f.code if f.manual else f.key, ())
            if evidence:
                items = [e.as_json() for e in evidence[:EVIDENCE_LIMIT]]
                count = len(evidence)
            elif f.manual and (raw := manual.get(f.code)) is not None:
                label = f"{f.name}: {raw:g}"
                items = [{"kind": "manual", "ref": f.code, "label": label, "url": None, "month": month}]
                count = 1
            else:
                items, count = [], 0
            out.append(
                {
                    "code": f.code,
                    "name": f.name,
                    "source": f.source,
                    "metric": f.metric,
                    "value": value,
                    "unit": f.unit,
                    "evidence": items,
                    "evidence_count": count,
                }
            )
        return out


def score_city(model: IndexModel, inputs: CityMonthInputs) -> CityResult:
    """Score one city for one month (no rank: see `rank_results`)."""
    plan = _plan(model)
    now = month_index(inputs.month)
    window = (month_of_index(now - model.window_months + 1), inputs.month)
    leaves = _leaf_scores(plan, inputs)
    leaf_points, leaf_passed, leaf_missing = leaves.points, leaves.passed, leaves.missing
    events = _major_effects(model, inputs, now) if model.events else []
    trust = _trust_effects(model, inputs, now) if model.events else []
    deducted = sum(e.deduction for e in events)
    offset = sum(e.offset for e in events)
    bonus = sum(t.bonus for t in trust)

    possible = plan.possible
    method = model.total.method
    aspects: list[AspectScore] = []
    raw = 0.0
    failed: list[str] = []
    for k, (aspect, ap) in enumerate(zip(model.aspects, plan.aspects, strict=True)):
        weight = ap.weight
        if ap.role in ("score", "basic"):
            points = sum(_sum_points(n, leaf_points) for n in ap.nodes)
            max_points = ap.max_points
            share = points / max_points if max_points > 0 else None
            passed = None
            contribution = 0.0
            if ap.role == "basic":
                results = [leaf_passed[i] for i in ap.leaves]
                failed += [plan.leaves[i].code for i in ap.leaves if leaf_passed[i] is False]
                passed = False if False in results else (None if None in results else True)
            elif method == "band":
                assert model.total.span is not None and weight is not None
                contribution = model.total.span.value * weight * (share or 0.0)
            elif method == "percent":
                contribution = 100.0 * points / possible if possible > 0 else 0.0
            else:
                contribution = points
            raw += contribution
            aspects.append(
                AspectScore(
                    aspect.code,
                    aspect.name,
                    ap.role,
                    points,
                    max_points,
                    contribution,
                    weight,
                    share,
                    passed,
                    _Drilldown(model, plan, k, inputs, leaves),
                )
            )
        elif ap.role == "deduction":
            aspects.append(
                AspectScore(aspect.code, aspect.name, "deduction", deducted, deducted, -deducted, weight)
            )
            raw -= deducted
        elif ap.role == "offset":
            aspects.append(AspectScore(aspect.code, aspect.name, "offset", offset, deducted, offset, weight))
            raw += offset
        else:
            assert model.events is not None
            cap = model.events.trust_bonus.max_total.value
            aspects.append(AspectScore(aspect.code, aspect.name, "bonus", bonus, cap, bonus, weight))
            raw += bonus
    if method == "band":
        assert model.total.base is not None
        raw += model.total.base.value
    vetoed = bool(failed)
    if vetoed and method == "points":
        raw = 0.0  # seed 002: 有一项未完成的则一票否决
    raw = max(model.total.min, min(model.total.max, raw))
    missing = tuple(dict.fromkeys(m for ap in plan.aspects for i in ap.leaves for m in leaf_missing[i]))
    return CityResult(
        model=model.name,
        version=model.version,
        division_code=inputs.division_code,
        name=inputs.name,
        month=inputs.month,
        window=window,
        total=round2(raw),
        raw_total=raw,
        base=model.total.base.value if method == "band" and model.total.base else 0.0,
        aspects=tuple(aspects),
        events=tuple(events),
        trust_events=tuple(trust),
        vetoed=vetoed,
        failed=tuple(failed),
        missing=missing,
        assumptions=model._assumptions,
    )


def rank_results(results: Sequence[CityResult]) -> list[CityResult]:
    """Rank cities on their two-decimal totals (competition ranking, ties share the better rank), listed by rank
    then division code."""
    ordered = sorted(results, key=lambda r: (-r.total, r.division_code))
    out: list[CityResult] = []
    previous: float | None = None
    rank = 0
    for position, result in enumerate(ordered, start=1):
        if result.total != previous:
            rank = position
            previous = result.total
        out.append(replace(result, rank=rank, peers=len(ordered)))
    return out


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block.

    Scoring a month allocates hundreds of thousands of small tuples, lists and dicts that all stay alive until the
    month is stored; each one counts towards the collector's thresholds, and the full collections they trigger walk
    every live object (the month's inputs and results) again and again — half the CPU time of scoring, measured.
    None of these objects forms a cycle, so nothing is left for the collector to find; it resumes, if it was on,
    when the block ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def score_month(model: IndexModel, inputs: Iterable[CityMonthInputs]) -> list[CityResult]:
    """Score and rank a set of peer cities for one month."""
    with gc_paused():
        return rank_results([score_city(model, i) for i in inputs])
