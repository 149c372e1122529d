"""Typed inputs and results of the scoring engine (plain dataclasses: no database, no I/O).

`CityMonthInputs` is what `scoring.inputs` reads from the database (or a test builds by hand) for one city and
month; `CityResult` is what `scoring.engine` returns, with `aspects_json()`, `details_json()` and
`assumptions_json()` giving the exact JSON stored in `IndexScore` (documented in docs/scoring.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

# Evidence lists can be long (every article of a busy city); the stored drill-down keeps the first ones and the count.
EVIDENCE_LIMIT = 20


def month_index(month: str) -> int:
    """'2024-06' -> a month counter, so that differences are ages in months."""
    year, mon = month.split("-")
    m = int(mon)
    if len(month) != 7 or not 1 <= m <= 12:
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    return int(year) * 12 + m - 1


def month_of_index(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One item behind a number: kind ∈ article, event, institution, feedback, portal, manual."""

    kind: str
    ref: str  # the row id (or input code for manual)
    label: str  # title, entity name, or a description
    url: str | None = None
    month: str | None = None  # YYYY-MM it belongs to

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "ref": self.ref, "label": self.label, "url": self.url, "month": self.month}


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    """A confirmed feedback link: the government's answer to a major event."""

    ref: str
    label: str
    month: str  # when the answer was published (YYYY-MM); answers after the scored month do not count yet
    delay_hours: float | None = None  # from the event's first sighting; None counts as late
    url: str | None = None


@dataclass(frozen=True, slots=True)
class MajorEvent:
    """A major distrust event (重大失信事件) of the city."""

    ref: str
    title: str
    month: str  # month it became major (major_since)
    domain: str | None = None
    homepage_count: int = 3  # distinct sites of the 15 whose homepage showed it
    feedback: tuple[FeedbackItem, ...] = ()
    url: str | None = None


@dataclass(frozen=True, slots=True)
class TrustEvent:
    """An important trust event (重要守信事件): in a ranking list or on 3+ homepages."""

    ref: str
    title: str
    month: str
    url: str | None = None


@dataclass(frozen=True)
class CityMonthInputs:
    """Everything the engine needs for one city and month under one model."""

    division_code: str
    month: str
    name: str = ""
    metrics: Mapping[str, float] = field(default_factory=dict)  # crawled/portal metric -> value (window)
    manual: Mapping[str, float] = field(default_factory=dict)  # manual input code -> value
    evidence: Mapping[str, tuple[Evidence, ...]] = field(
        default_factory=dict
    )  # metric or input code -> items
    major_events: tuple[MajorEvent, ...] = ()
    trust_events: tuple[TrustEvent, ...] = ()


@dataclass(frozen=True)
class InputValue:
    code: str
    name: str
    source: str
    value: float | None  # None: missing
    unit: str
    metric: str | None
    evidence: tuple[Evidence, ...] = ()
    evidence_count: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "source": self.source,
            "metric": self.metric,
            "value": self.value,
            "unit": self.unit,
            "evidence": [e.as_json() for e in self.evidence[:EVIDENCE_LIMIT]],
            "evidence_count": self.evidence_count,
        }


@dataclass(frozen=True)
class IndicatorScore:
    code: str
    name: str
    source: str | None  # None for a group
    points: float  # earned
    max_points: float
    value: float | None = None  # raw value (formula result or the single input); None if missing or group
    share: float | None = None  # normalised 0..1 (normalised leaves)
    passed: bool | None = None  # pass/fail leaves; None if missing
    condition: str | None = None  # pass/fail rule as text
    missing: tuple[str, ...] = ()  # input codes with no value
    inputs: tuple[InputValue, ...] = ()
    departments: tuple[str, ...] = ()
    children: tuple[IndicatorScore, ...] = ()

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "source": self.source,
            "points": _r(self.points),
            "max_points": _r(self.max_points),
            "value": self.value,
            "share": None if self.share is None else round(self.share, 4),
            "passed": self.passed,
            "condition": self.condition,
            "missing": list(self.missing),
            "departments": list(self.departments),
            "inputs": [i.as_json() for i in self.inputs],
        }
        if self.children:
            out["children"] = [c.as_json() for c in self.children]
        return out


class Drilldown(Protocol):
    """An aspect's indicators, built when first read (`scoring.engine` scores without building them)."""

    def __call__(self) -> tuple[IndicatorScore, ...]: ...

    def as_json(self) -> list[dict[str, Any]]:
        """Exactly `[i.as_json() for i in indicators]`, without building the indicators."""
        ...


@dataclass(frozen=True)
class AspectScore:
    code: str
    name: str
    role: str  # score | basic | deduction | offset | bonus
    points: float  # earned points (deduction: the deducted amount, positive)
    max_points: float
    contribution: float  # signed effect on the total
    weight: float | None = None
    share: float | None = None  # points / max_points for score aspects
    passed: bool | None = None  # basic aspects: all passed (None: some missing, none failed)
    # The indicator drill-down, or what builds it when read: the engine passes a `Drilldown`, because one dataclass
    # per indicator and input was most of the cost of scoring and only pages and the stored JSON read them.
    tree: tuple[IndicatorScore, ...] | Drilldown = field(default=(), repr=False, compare=False)

    @cached_property
    def indicators(self) -> tuple[IndicatorScore, ...]:
        return self.tree if isinstance(self.tree, tuple) else self.tree()

    def indicators_json(self) -> list[dict[str, Any]]:
        if isinstance(self.tree, tuple):
            return [i.as_json() for i in self.tree]
        return self.tree.as_json()


@dataclass(frozen=True)
class EventEffect:
    """One major event: its deduction and the part its feedback offsets, both time-decayed (points, ≥ 0)."""

    ref: str
    title: str
    domain: str | None
    month: str
    age_months: int
    decay: float
    deduction: float
    offset: float
    feedback: tuple[FeedbackItem, ...]
    feedback_weight: float  # Σ per answer (1 prompt, late_factor late), before the full_at_links cap
    url: str | None = None

    @property
    def net(self) -> float:
        return self.offset - self.deduction


@dataclass(frozen=True)
class TrustEffect:
    ref: str
    title: str
    month: str
    age_months: int
    decay: float
    bonus: float
    url: str | None = None


@dataclass(frozen=True)
class CityResult:
    model: str
    version: str
    division_code: str
    name: str
    month: str
    window: tuple[str, str]  # first and last month of the window
    total: float  # two decimals
    raw_total: float  # before rounding (ties are decided on `total`)
    aspects: tuple[AspectScore, ...]
    base: float = 0.0  # band models: the base the contributions are added to (total = base + Σ contributions)
    events: tuple[EventEffect, ...] = ()
    trust_events: tuple[TrustEffect, ...] = ()
    vetoed: bool = False
    failed: tuple[str, ...] = ()  # basic indicators that failed
    missing: tuple[str, ...] = ()  # input codes with no value
    assumptions: tuple[dict[str, Any], ...] = ()
    rank: int | None = None
    peers: int | None = None  # members of the peer set (scoring.ranking)
    peer_set: str | None = None  # peer set key, e.g. "320000:prefecture"
    peer_set_label: str | None = None  # e.g. 江苏省设区市

    def aspects_json(self) -> dict[str, Any]:
        """`IndexScore.aspects`: {aspect code: {name, role, weight, points, max_points, share, contribution, passed}}."""
        return {
            a.code: {
                "name": a.name,
                "role": a.role,
                "weight": a.weight,
                "points": _r(a.points),
                "max_points": _r(a.max_points),
                "share": None if a.share is None else round(a.share, 4),
                "contribution": _r(a.contribution),
                "passed": a.passed,
            }
            for a in self.aspects
        }

    def details_json(self) -> dict[str, Any]:
        """`IndexScore.details`: the drill-down (see docs/scoring.md for the shape)."""
        return {
            "model": self.model,
            "version": self.version,
            "name": self.name,
            "window": {"from": self.window[0], "to": self.window[1]},
            "raw_total": round(self.raw_total, 6),
            "base": self.base,
            "peers": self.peers,
            "peer_set": self.peer_set,
            "peer_set_label": self.peer_set_label,
            "vetoed": self.vetoed,
            "failed": list(self.failed),
            "missing": list(self.missing),
            "indicators": {a.code: a.indicators_json() for a in self.aspects if a.tree},
            "events": [
                {
                    "ref": e.ref,
                    "title": e.title,
                    "domain": e.domain,
                    "month": e.month,
                    "url": e.url,
                    "age_months": e.age_months,
                    "decay": round(e.decay, 4),
                    "deduction": _r(e.deduction),
                    "offset": _r(e.offset),
                    "net": _r(e.net),
                    "feedback_weight": round(e.feedback_weight, 4),
                    "feedback": [
                        {
                            "ref": f.ref,
                            "label": f.label,
                            "month": f.month,
                            "delay_hours": f.delay_hours,
                            "url": f.url,
                        }
                        for f in e.feedback
                    ],
                }
                for e in self.events
            ],
            "trust_events": [
                {
                    "ref": t.ref,
                    "title": t.title,
                    "month": t.month,
                    "url": t.url,
                    "age_months": t.age_months,
                    "decay": round(t.decay, 4),
                    "bonus": _r(t.bonus),
                }
                for t in self.trust_events
            ],
        }

    def assumptions_json(self) -> list[dict[str, Any]]:
        """`IndexScore.assumptions`: [{path, value, note}] — every parameter no public source gives."""
        return [dict(a) for a in self.assumptions]


def _r(x: float) -> float:
    return round(x, 4)
