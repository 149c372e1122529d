"""Calibration of a band model's free parameters against published index values.

A band model's total is linear in its two scale parameters: total = base + span·S + E, where S = Σ weight ·
aspect share (0..1) and E the event terms (deductions, offsets, bonus). Given published totals y for cities whose
inputs we have, (base, span) are fitted by least squares on y − E = base + span·S. When the cities' S do not vary
(which is what happens without inputs: every city gets the same neutral S) the span is not identifiable and only
the base is fitted; the report says so. Weights, scales and event parameters are not fitted: a handful of published
values, most of them for cities we hold no inputs for, cannot tell them apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from config.paths import config_file
from scoring.datatypes import CityMonthInputs
from scoring.engine import score_city
from scoring.metrics import CRAWLED
from scoring.model import IndexModel

PUBLISHED = config_file("index_models") / "calibration" / "published.yaml"


@dataclass(frozen=True)
class Published:
    list_key: str
    code: str
    name: str
    month: str
    value: float


def load_published(path: Path = PUBLISHED) -> list[Published]:
    """Every published value, with the month its list is taken to describe."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Published(lst["key"], str(v["code"]), v["name"], str(lst["month"]), float(v["value"]))
        for lst in data["lists"]
        for v in lst["values"]
    ]


def has_inputs(inputs: CityMonthInputs) -> bool:
    """True when anything was measured or entered for the city (not only the adapter's zero counts)."""
    measured = any(v for k, v in inputs.metrics.items() if k in CRAWLED)
    portal = any(k not in CRAWLED for k in inputs.metrics)
    return measured or portal or bool(inputs.manual) or bool(inputs.major_events) or bool(inputs.trust_events)


@dataclass
class Row:
    published: Published
    with_inputs: bool
    share: float  # S
    events: float  # E
    before: float
    after: float = math.nan


@dataclass
class CalibrationReport:
    model: str
    version: str
    n: int
    n_with_inputs: int
    base_before: float
    span_before: float
    base_after: float
    span_after: float
    span_identifiable: bool
    rmse_before: float
    rmse_after: float
    mae_after: float
    rmse_per_list_base: float  # if each list had its own base (a period effect)
    per_list: dict[str, dict[str, float]] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "rows"}
        out["rows"] = [
            {"list": r.published.list_key, "code": r.published.code, "name": r.published.name,
             "published": r.published.value, "with_inputs": r.with_inputs, "before": round(r.before, 4),
             "after": round(r.after, 4)}
            for r in self.rows
        ]  # fmt: skip
        return out


def _rmse(errors: Sequence[float]) -> float:
    return math.sqrt(sum(e * e for e in errors) / len(errors)) if errors else math.nan


def calibrate(
    model: IndexModel, observations: Sequence[tuple[Published, CityMonthInputs]]
) -> CalibrationReport:
    """Fit base (and span when identifiable) of a band model to published totals."""
    if model.total.method != "band" or model.total.base is None or model.total.span is None:
        raise ValueError(f"model {model.name} has no free band parameters (method {model.total.method})")
    if not observations:
        raise ValueError("no published values to calibrate against")
    base0, span0 = model.total.base.value, model.total.span.value
    rows: list[Row] = []
    for pub, inputs in observations:
        result = score_city(model, inputs)
        share = sum(
            a.weight * (a.share or 0.0) for a in result.aspects if a.role == "score" and a.weight is not None
        )
        events = sum(a.contribution for a in result.aspects if a.role in ("deduction", "offset", "bonus"))
        rows.append(Row(pub, has_inputs(inputs), share, events, result.raw_total))
    ys = [r.published.value - r.events for r in rows]
    ss = [r.share for r in rows]
    n = len(rows)
    mean_s = sum(ss) / n
    var_s = sum((s - mean_s) ** 2 for s in ss) / n
    identifiable = n >= 3 and var_s > 1e-6
    if identifiable:
        mean_y = sum(ys) / n
        span = sum((s - mean_s) * (y - mean_y) for s, y in zip(ss, ys, strict=True)) / (n * var_s)
        base = mean_y - span * mean_s
    else:
        span = span0
        base = sum(y - span * s for y, s in zip(ys, ss, strict=True)) / n
    for r in rows:
        r.after = min(model.total.max, max(model.total.min, base + span * r.share + r.events))
    per_list: dict[str, dict[str, float]] = {}
    list_errors: list[float] = []
    for key in dict.fromkeys(r.published.list_key for r in rows):
        mine = [r for r in rows if r.published.list_key == key]
        offset = sum(r.published.value - r.after for r in mine) / len(mine)
        list_errors += [r.published.value - r.after - offset for r in mine]
        per_list[key] = {
            "n": len(mine),
            "mean_published": round(sum(r.published.value for r in mine) / len(mine), 4),
            "rmse_after": round(_rmse([r.after - r.published.value for r in mine]), 4),
            "mean_residual": round(offset, 4),
        }
    n_inputs = sum(r.with_inputs for r in rows)
    notes = []
    if n_inputs == 0:
        notes.append(
            "No published city has inputs in the database: every city gets the same neutral aspect shares, so the "
            "fit can only move `base` to the mean of the published values. The remaining error is the spread of the "
            "published values themselves; it says nothing about weights, scales, deductions or offsets."
        )
    elif n_inputs < n:
        notes.append(
            f"Only {n_inputs} of {n} published cities have inputs; the others pull `base` toward their mean."
        )
    if not identifiable:
        notes.append(
            "`span` is not identifiable (the cities' aspect shares do not vary); it was kept at its configured value."
        )
    if len(per_list) > 1:
        notes.append(
            "The lists describe different periods and their levels differ (a period effect a single `base` cannot "
            "absorb); `rmse_per_list_base` shows the error if each list had its own base."
        )
    return CalibrationReport(
        model=model.name,
        version=model.version,
        n=n,
        n_with_inputs=n_inputs,
        base_before=base0,
        span_before=span0,
        base_after=round(base, 4),
        span_after=round(span, 4),
        span_identifiable=identifiable,
        rmse_before=round(_rmse([r.before - r.published.value for r in rows]), 4),
        rmse_after=round(_rmse([r.after - r.published.value for r in rows]), 4),
        mae_after=round(sum(abs(r.after - r.published.value) for r in rows) / n, 4),
        rmse_per_list_base=round(_rmse(list_errors), 4),
        per_list=per_list,
        rows=rows,
        notes=notes,
    )
