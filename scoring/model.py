"""Index models: the schema of `config/index_models/*.yaml` and its loader.

A model is a tree: aspects (一级) hold indicators, an indicator either holds child indicators (a group) or is a
leaf scored from input fields. A leaf is one of:
- a pass/fail check (`pass_if`), used by the basic indicators of the demonstration-city model (one failure vetoes);
- a points formula (`formula` without `normalise`): the formula returns points and applies its own cap;
- a normalised measure (`normalise`): the value (one input, or a formula of several) is mapped to 0..1 and
  multiplied by the leaf's `points`.
Any number may be written plainly or as `{value, assumption: true, note}`; parameters that no public source gives
must be marked so, and every score carries the list (`IndexModel.assumptions()`).
"""

from __future__ import annotations

import enum
import math
import os
from collections.abc import Iterator
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from config.paths import config_file
from scoring.formulas import FORMULAS, parameters
from scoring.metrics import METRICS

MODELS_DIR = config_file("index_models")


def models_dir() -> Path:
    """Where model files live: `CREDITWATCH_INDEX_MODELS` (an office's own tuned copies), else config/index_models."""
    env = os.environ.get("CREDITWATCH_INDEX_MODELS")
    return Path(env) if env else MODELS_DIR


class ModelFileError(ValueError):
    """A model file that cannot be used; the message names the file, the path inside it and the problem."""


class Source(enum.StrEnum):
    CRAWLED = "crawled"  # counted from classified articles and events of the 15 websites
    PORTAL = "portal"  # from the credit and court portals (or their official exports)
    MANUAL = "manual"  # entered by the office (XLSX template)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Param(_Strict):
    """A number, with a flag when it is the project's assumption rather than a published figure."""

    value: float
    assumption: bool = False
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError("expected a number, got a boolean")
        if isinstance(data, int | float):
            return {"value": data}
        return data

    @model_validator(mode="after")
    def _note_for_assumptions(self) -> Param:
        if not math.isfinite(self.value):
            raise ValueError("value must be a finite number")
        if self.assumption and not (self.note and self.note.strip()):
            raise ValueError("an assumption needs a `note` saying why this value was chosen")
        return self


class InputField(_Strict):
    """One input value of an indicator: a metric the adapter measures, or a figure the office enters."""

    code: str
    name: str = ""
    source: Source | None = None  # None: the indicator's source
    metric: str | None = None  # crawled/portal: key in scoring.metrics.METRICS
    unit: str = ""
    min: float | None = None
    max: float | None = None

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str | None) -> str | None:
        if value is not None and value not in METRICS:
            raise ValueError(f"unknown metric {value!r} (see scoring/metrics.py)")
        return value


class Normalise(_Strict):
    """Maps a raw value to 0..1. linear: lo→0, hi→1 (hi < lo: lower is better); log: log1p(x)/log1p(target);
    boolean: ≥ 0.5 → 1."""

    kind: Literal["linear", "log", "boolean"]
    lo: Param | None = None
    hi: Param | None = None
    target: Param | None = None

    @model_validator(mode="after")
    def _params(self) -> Normalise:
        if self.kind == "linear":
            if self.lo is None or self.hi is None:
                raise ValueError("linear normalisation needs `lo` and `hi`")
            if self.lo.value == self.hi.value:
                raise ValueError("linear normalisation needs lo != hi")
        if self.kind == "log" and (self.target is None or self.target.value <= 0):
            raise ValueError("log normalisation needs a positive `target`")
        return self

    def apply(self, value: float) -> float:
        """The normalised value, clipped to 0..1."""
        if self.kind == "boolean":
            return 1.0 if value >= 0.5 else 0.0
        if self.kind == "log":
            assert self.target is not None
            x = math.log1p(max(value, 0.0)) / math.log1p(self.target.value)
        else:
            assert self.lo is not None and self.hi is not None
            x = (value - self.lo.value) / (self.hi.value - self.lo.value)
        return max(0.0, min(1.0, x))


class Condition(_Strict):
    input: str
    op: Literal[">=", ">", "<=", "<", "=="]
    value: float

    def holds(self, x: float) -> bool:
        eps = 1e-9  # 0.7 * 100 must still count as 70 %
        if self.op == ">=":
            return x >= self.value - eps
        if self.op == ">":
            return x > self.value + eps
        if self.op == "<=":
            return x <= self.value + eps
        if self.op == "<":
            return x < self.value - eps
        return abs(x - self.value) <= eps

    def text(self) -> str:
        return f"{self.input} {self.op} {self.value:g}"


class Indicator(_Strict):
    code: str
    name: str
    source: Source | None = None  # required on leaves
    departments: list[str] = Field(default_factory=list)  # 责任部门 as the seed names them
    points: Param | None = None  # maximum points of a leaf
    inputs: list[InputField] = Field(default_factory=list)
    # Shorthand for a single manual input whose code is the indicator's code:
    unit: str = ""
    min: float | None = None
    max: float | None = None
    metric: str | None = None
    formula: str | None = None
    args: dict[str, str] = Field(default_factory=dict)  # formula parameter -> input code
    normalise: Normalise | str | None = None  # a name refers to the model's `scales`
    pass_if: list[Condition] = Field(default_factory=list)
    note: str | None = None
    indicators: list[Indicator] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _single_input(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("indicators") or data.get("inputs"):
            return data
        if "source" in data and "code" in data:
            field = {"code": data["code"], "name": data.get("name", ""), "unit": data.get("unit", "")}
            for key in ("min", "max", "metric"):
                if data.get(key) is not None:
                    field[key] = data[key]
            return {**data, "inputs": [field]}
        return data

    @model_validator(mode="after")
    def _shape(self) -> Indicator:
        if self.indicators:
            if self.source or self.inputs or self.formula or self.normalise or self.pass_if or self.points:
                raise ValueError(
                    "a group (with `indicators`) carries no source, inputs, formula or points itself"
                )
            return self
        if self.source is None:
            raise ValueError("a leaf indicator needs `source` (crawled, portal or manual)")
        if not self.inputs:
            raise ValueError("a leaf indicator needs `inputs`")
        codes = [f.code for f in self.inputs]
        for f in self.inputs:
            src = f.source or self.source
            if src is Source.MANUAL and f.metric:
                raise ValueError(f"input {f.code!r}: a manual input has no `metric`")
            if src is not Source.MANUAL and not f.metric:
                raise ValueError(f"input {f.code!r}: a {src.value} input needs a `metric`")
            if f.min is not None and f.max is not None and f.min > f.max:
                raise ValueError(f"input {f.code!r}: min > max")
        if self.pass_if:
            if self.formula or self.normalise or self.points:
                raise ValueError("a pass/fail indicator (`pass_if`) has no formula, normalise or points")
            for c in self.pass_if:
                if c.input not in codes:
                    raise ValueError(f"pass_if refers to unknown input {c.input!r} (inputs: {codes})")
            return self
        if self.points is not None and self.points.value <= 0:
            raise ValueError("`points` (the leaf's maximum) must be positive")
        if self.formula:
            if self.formula not in FORMULAS:
                raise ValueError(f"unknown formula {self.formula!r} (see scoring/formulas.py)")
            wanted = parameters(self.formula)
            if sorted(self.args) != sorted(wanted):
                raise ValueError(f"formula {self.formula} takes {wanted}; `args` gives {sorted(self.args)}")
            for param, code in self.args.items():
                if code not in codes:
                    raise ValueError(f"args.{param} refers to unknown input {code!r} (inputs: {codes})")
        elif self.normalise is None:
            raise ValueError("a scored leaf needs `formula`, `normalise` or both")
        elif len(self.inputs) != 1:
            raise ValueError("without a formula a leaf normalises exactly one input")
        return self

    @property
    def is_leaf(self) -> bool:
        return not self.indicators

    def input_source(self, field: InputField) -> Source:
        assert self.source is not None
        return field.source or self.source

    def leaves(self) -> Iterator[Indicator]:
        if self.is_leaf:
            yield self
        for child in self.indicators:
            yield from child.leaves()

    def max_points(self, default: float = 0.0) -> float:
        if self.is_leaf:
            if self.pass_if:
                return 0.0
            return self.points.value if self.points else default
        return sum(c.max_points(default) for c in self.indicators)


class Aspect(_Strict):
    """A first-level part. role: score (indicators), basic (pass/fail veto), deduction / offset / bonus (events)."""

    code: str
    name: str
    role: Literal["score", "basic", "deduction", "offset", "bonus"] = "score"
    weight: Param | None = None
    departments: list[str] = Field(default_factory=list)
    note: str | None = None
    indicators: list[Indicator] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shape(self) -> Aspect:
        if self.role in ("score", "basic") and not self.indicators:
            raise ValueError(f"a `{self.role}` aspect needs indicators")
        if self.role in ("deduction", "offset", "bonus") and self.indicators:
            raise ValueError(f"a `{self.role}` aspect is computed from events and has no indicators")
        leaves = [leaf for i in self.indicators for leaf in i.leaves()]
        if self.role == "basic" and any(not leaf.pass_if for leaf in leaves):
            raise ValueError("every indicator of a `basic` aspect is pass/fail (`pass_if`)")
        if self.role == "score" and any(leaf.pass_if for leaf in leaves):
            raise ValueError("pass/fail indicators belong in a `basic` aspect")
        return self

    def leaves(self) -> Iterator[Indicator]:
        for i in self.indicators:
            yield from i.leaves()

    def max_points(self, default: float = 0.0) -> float:
        return sum(i.max_points(default) for i in self.indicators)


class Total(_Strict):
    """band: base + span·Σ weight·aspect share − deductions + offsets + bonus, clipped to [min, max];
    percent: 100·earned/possible points; points: earned points, 0 when a basic indicator fails (veto)."""

    method: Literal["band", "percent", "points"]
    base: Param | None = None
    span: Param | None = None
    min: float = 0.0
    max: float = 100.0

    @model_validator(mode="after")
    def _band(self) -> Total:
        if self.method == "band" and (self.base is None or self.span is None):
            raise ValueError("method band needs `base` and `span`")
        if self.min > self.max:
            raise ValueError("min > max")
        return self


class Decay(_Strict):
    """How an event's weight falls with its age in months (0 = the scored month)."""

    kind: Literal["none", "linear", "exponential"]
    half_life_months: Param | None = None

    @model_validator(mode="after")
    def _half_life(self) -> Decay:
        if self.kind == "exponential" and (self.half_life_months is None or self.half_life_months.value <= 0):
            raise ValueError("exponential decay needs a positive `half_life_months`")
        return self

    def factor(self, age_months: int, window_months: int) -> float:
        if self.kind == "none":
            return 1.0
        if self.kind == "linear":
            return max(0.0, 1.0 - age_months / window_months)
        assert self.half_life_months is not None
        return float(0.5 ** (age_months / self.half_life_months.value))


class MajorDeduction(_Strict):
    aspect: str
    per_event: Param
    homepage_threshold: int = 3  # seed 003 二(四): homepages of 3 or more of the 15 websites
    per_extra_homepage: Param
    max_per_event: Param
    max_total: Param


class FeedbackOffset(_Strict):
    aspect: str
    fraction: Param  # the largest share of a deduction feedback can offset
    full_at_links: Param  # confirmed feedback links that earn the whole fraction
    prompt_hours: Param  # feedback within this delay counts fully ...
    late_factor: Param  # ... later feedback counts this much

    @model_validator(mode="after")
    def _bounds(self) -> FeedbackOffset:
        if not 0.0 <= self.fraction.value <= 1.0:
            raise ValueError("fraction must lie in [0, 1]: feedback never turns a deduction into a gain")
        if not 0.0 <= self.late_factor.value <= 1.0:
            raise ValueError("late_factor must lie in [0, 1]")
        if self.full_at_links.value <= 0:
            raise ValueError("full_at_links must be positive")
        return self


class TrustBonus(_Strict):
    aspect: str
    per_event: Param
    max_total: Param


class Events(_Strict):
    decay: Decay
    major_deduction: MajorDeduction
    feedback_offset: FeedbackOffset
    trust_bonus: TrustBonus


RankedLevel = Literal["prefecture", "county"]


class Ranking(_Strict):
    """Who a city is ranked with (scoring.ranking): the cities of the same level within `scope`, for each level the
    model ranks. A level not listed is scored but not ranked."""

    scope: Literal["province", "nation"] = "province"
    levels: list[RankedLevel] = Field(default_factory=lambda: list[RankedLevel](["prefecture"]))


class IndexModel(_Strict):
    name: str
    version: str
    title: str
    description: str = ""
    sources: list[str] = Field(default_factory=list)
    window_months: int = Field(12, ge=1, le=60)
    missing_score: Param = Param(value=0.0)  # share (0..1) credited to a leaf whose input is missing
    default_points: Param | None = None  # maximum points of a scored leaf that states none
    scales: dict[str, Normalise] = Field(default_factory=dict)  # named normalisations leaves refer to
    total: Total
    aspects: list[Aspect]
    events: Events | None = None
    ranking: Ranking = Field(default_factory=Ranking)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _consistent(self) -> IndexModel:
        seen: set[str] = set()
        field_codes: set[str] = set()
        fields: dict[str, tuple[Any, ...]] = {}

        def check(code: str) -> None:
            if code in seen:
                raise ValueError(f"code {code!r} is used twice")
            seen.add(code)

        for aspect in self.aspects:
            check(aspect.code)
            for ind in aspect.indicators:
                for node in _walk(ind):
                    check(node.code)
            for leaf in aspect.leaves():
                if not leaf.pass_if and leaf.points is None and self.default_points is None:
                    raise ValueError(
                        f"indicator {leaf.code!r} has no `points` and the model no `default_points`"
                    )
                if isinstance(leaf.normalise, str) and leaf.normalise not in self.scales:
                    raise ValueError(
                        f"indicator {leaf.code!r}: unknown scale {leaf.normalise!r} (scales: {sorted(self.scales)})"
                    )
                for f in leaf.inputs:
                    # A single-input leaf shares its code with its input; an input shared by several
                    # indicators (e.g. the number of legal entities) must be defined identically each time.
                    if f.code in field_codes:
                        if fields[f.code] != (f.source or leaf.source, f.metric, f.unit, f.min, f.max):
                            raise ValueError(f"input code {f.code!r} is defined twice, differently")
                        continue
                    if f.code != leaf.code:
                        check(f.code)
                    field_codes.add(f.code)
                    fields[f.code] = (f.source or leaf.source, f.metric, f.unit, f.min, f.max)
        if not 0.0 <= self.missing_score.value <= 1.0:
            raise ValueError("missing_score must lie in [0, 1]")
        by_code = {a.code: a for a in self.aspects}
        if self.total.method == "band":
            scored = [a for a in self.aspects if a.role == "score"]
            if any(a.weight is None for a in scored):
                raise ValueError("method band: every `score` aspect needs a `weight`")
            total_weight = sum(a.weight.value for a in scored if a.weight)
            if abs(total_weight - 1.0) > 1e-6:
                raise ValueError(
                    f"method band: the weights of the score aspects sum to {total_weight:g}, not 1"
                )
        if self.events is not None:
            for role, ref in (
                ("deduction", self.events.major_deduction.aspect),
                ("offset", self.events.feedback_offset.aspect),
                ("bonus", self.events.trust_bonus.aspect),
            ):
                if ref not in by_code or by_code[ref].role != role:
                    raise ValueError(f"events: aspect {ref!r} must exist with role `{role}`")
        elif any(a.role in ("deduction", "offset", "bonus") for a in self.aspects):
            raise ValueError("deduction/offset/bonus aspects need an `events` section")
        return self

    def leaves(self) -> Iterator[tuple[Aspect, Indicator]]:
        for aspect in self.aspects:
            for leaf in aspect.leaves():
                yield aspect, leaf

    def manual_fields(self) -> Iterator[tuple[Aspect, Indicator, InputField]]:
        """Every input the office enters by hand, in model order, each code once."""
        seen: set[str] = set()
        for aspect, leaf in self.leaves():
            for f in leaf.inputs:
                if leaf.input_source(f) is Source.MANUAL and f.code not in seen:
                    seen.add(f.code)
                    yield aspect, leaf, f

    def leaf_points(self, leaf: Indicator) -> float:
        """The maximum points of a scored leaf (its own, else the model default)."""
        if leaf.pass_if:
            return 0.0
        if leaf.points is not None:
            return leaf.points.value
        assert self.default_points is not None
        return self.default_points.value

    def scale(self, leaf: Indicator) -> Normalise | None:
        """The leaf's normalisation, resolving a named scale."""
        if isinstance(leaf.normalise, str):
            return self.scales[leaf.normalise]
        return leaf.normalise

    def max_points(self, aspect: Aspect) -> float:
        default = self.default_points.value if self.default_points else 0.0
        return aspect.max_points(default)

    def assumptions(self) -> list[dict[str, Any]]:
        """Every parameter marked `assumption: true`: path (by codes), value and note."""
        return [dict(a) for a in self._assumptions]

    @cached_property
    def _assumptions(self) -> tuple[dict[str, Any], ...]:
        # The model is frozen, so the walk is done once per loaded model (scoring 40k city-months reuses it).
        out: list[dict[str, Any]] = []
        _collect(self, self.name, out)
        return tuple(out)


def _walk(ind: Indicator) -> Iterator[Indicator]:
    yield ind
    for child in ind.indicators:
        yield from _walk(child)


def _collect(obj: Any, path: str, out: list[dict[str, Any]]) -> None:
    if isinstance(obj, Param):
        if obj.assumption:
            out.append({"path": path, "value": obj.value, "note": " ".join((obj.note or "").split())})
        return
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            _collect(getattr(obj, name), f"{path}.{name}", out)
    elif isinstance(obj, dict):
        for key, item in obj.items():
            _collect(item, f"{path}.{key}", out)
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            label = getattr(item, "code", None) or str(i)
            _collect(item, f"{path}[{label}]", out)


def _loc(loc: tuple[Any, ...], data: Any) -> str:
    """A readable path for a pydantic error location, naming list items by their code where they have one."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int) and isinstance(node, list):
            item = node[key] if key < len(node) else None
            code = item.get("code") if isinstance(item, dict) else None
            parts[-1:] = [f"{parts[-1] if parts else ''}[{code or key}]"]
            node = item
            continue
        node = node.get(key) if isinstance(node, dict) else None
        parts.append(str(key))
    return ".".join(parts) or "(top level)"


def parse_model(data: Any, origin: str) -> IndexModel:
    """Validate `data` (parsed YAML) as an index model; errors name `origin`, the path and the problem."""
    try:
        return IndexModel.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-")))
            lines.append(f"{origin}: {_loc(loc, data)}: {err['msg']}")
        raise ModelFileError("\n".join(lines)) from None


def load_model_file(path: Path) -> IndexModel:
    """Load and validate one model file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ModelFileError(f"{path}: not valid YAML: {exc}") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read: {exc.strerror}") from None
    if not isinstance(data, dict):
        raise ModelFileError(f"{path}: (top level): expected a mapping, got {type(data).__name__}")
    model = parse_model(data, str(path.name))
    if path.stem.split("@", 1)[0] != model.name:
        raise ModelFileError(
            f"{path.name}: name: model is called {model.name!r}; the file must be {model.name}.yaml"
        )
    return model


def available_models(directory: Path | None = None) -> list[str]:
    return sorted(p.stem for p in (directory or models_dir()).glob("*.yaml") if not p.stem.startswith("_"))


@lru_cache(maxsize=32)
def _load_cached(path: Path, mtime: float) -> IndexModel:
    return load_model_file(path)


def load_model(name: str, version: str | None = None, directory: Path | None = None) -> IndexModel:
    """The model called `name` from config/index_models (or `directory`).

    `version` selects an archived version kept as `<name>@<version>.yaml` (for what-if comparisons); without it, or
    when it equals the current file's version, the current `<name>.yaml`.
    """
    base = directory or models_dir()
    path = base / f"{name}.yaml"
    if not path.is_file():
        raise ModelFileError(
            f"no index model {name!r} in {base.name}/ (available: {', '.join(available_models(base))})"
        )
    model = _load_cached(path, path.stat().st_mtime)
    if version is None or version == model.version:
        return model
    archived = base / "versions" / f"{name}@{version}.yaml"
    if not archived.is_file():
        raise ModelFileError(
            f"model {name!r} has no version {version!r} (current {model.version}; archived ones live in versions/)"
        )
    old = _load_cached(archived, archived.stat().st_mtime)
    if old.version != version:
        raise ModelFileError(f"{archived.name}: version: says {old.version!r}, file name says {version!r}")
    return old
