"""The scoring engine as it was before it was compiled to flat per-leaf arrays: one dataclass per indicator and
input, built while scoring. Kept here, unchanged in substance, as the oracle that `test_engine_equality.py` compares
the production engine (`scoring.engine`) against, city-month by city-month, bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from scoring.datatypes import (
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
from scoring.formulas import FORMULAS
from scoring.model import Aspect, IndexModel, Indicator, Source


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


def score_city(model: IndexModel, inputs: CityMonthInputs) -> CityResult:
    """Score one city for one month (no rank: see `rank_results`)."""
    now = month_index(inputs.month)
    window = (month_of_index(now - model.window_months + 1), inputs.month)
    scored: list[tuple[Aspect, tuple[IndicatorScore, ...]]] = [
        (a, tuple(score_indicator(model, i, inputs) for i in a.indicators)) for a in model.aspects
    ]
    events = _major_effects(model, inputs, now) if model.events else []
    trust = _trust_effects(model, inputs, now) if model.events else []
    deducted = sum(e.deduction for e in events)
    offset = sum(e.offset for e in events)
    bonus = sum(t.bonus for t in trust)

    possible = sum(sum(i.max_points for i in inds) for a, inds in scored if a.role == "score")
    method = model.total.method
    aspects: list[AspectScore] = []
    raw = 0.0
    failed: list[str] = []
    for aspect, inds in scored:
        weight = aspect.weight.value if aspect.weight else None
        if aspect.role in ("score", "basic"):
            points = sum(i.points for i in inds)
            max_points = sum(i.max_points for i in inds)
            share = points / max_points if max_points > 0 else None
            passed = None
            contribution = 0.0
            if aspect.role == "basic":
                results = [leaf.passed for leaf in _leaves(inds)]
                failed += [leaf.code for leaf in _leaves(inds) if leaf.passed is False]
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
                    aspect.role,
                    points,
                    max_points,
                    contribution,
                    weight,
                    share,
                    passed,
                    inds,
                )
            )
        elif aspect.role == "deduction":
            aspects.append(
                AspectScore(aspect.code, aspect.name, "deduction", deducted, deducted, -deducted, weight)
            )
            raw -= deducted
        elif aspect.role == "offset":
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
    missing = tuple(dict.fromkeys(m for _, inds in scored for leaf in _leaves(inds) for m in leaf.missing))
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


def score_month(model: IndexModel, inputs: Iterable[CityMonthInputs]) -> list[CityResult]:
    """Score and rank a set of peer cities for one month."""
    return rank_results([score_city(model, i) for i in inputs])
