"""Measure the classifier, the keyword baseline and city attribution: on the held-out test split of the labelled
corpus, and on the out-of-source set (hand-labelled items of corpora the model never trains on, `nlp.outofsource`),
overall and per source; plus leave-one-source-out folds over the training corpus.

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
from nlp.classifier import LONG_BODY_CHARS, RANDOM_STATE, CreditClassifier, Prediction
from nlp.evaluation_data import LabelledItem, evaluation_sha256, load_labelled, prefecture_of
from nlp.gazetteer import get_gazetteer
from nlp.lexicon import DOMAINS, KINDS
from nlp.outofsource import OutOfSourceItem, labels_sha256, load_items
from nlp.places import Attribution, attribute, primary_prefecture


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


# ---------------------------------------------------------------------------------------------------------------
# Out of source: the hand-labelled items of corpora the model never trains on (nlp.outofsource), scored overall and
# per source, every figure with its 95 % bootstrap interval, beside the cue-word baseline in the same run.

OUTOFSOURCE_FIGURES: tuple[tuple[str, str], ...] = (
    ("kind_macro_f1", "kind macro-F1"),
    ("domain_macro_f1", "domain macro-F1 (credit items)"),
    ("feedback_f1", "feedback F1"),
    ("business_f1", "business-domain F1"),
    ("fulltext_kind_macro_f1", "kind macro-F1, full-text reports"),
    ("city_prefecture", "city: right prefecture"),
    ("city_county_exact", "city: exact county when one is named"),
    ("no_place_precision", "no city due → none given (no-place precision)"),
)


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure on one group of items: its value, 95 % bootstrap interval, and how many items it is counted on."""

    value: float
    interval: Interval
    n: int


@dataclass
class SystemFigures:
    """What one system (the model, the baseline) measured: group ("all" or a source) → figure name → Figure.
    A figure is absent where its group has no item to count it on (no gold feedback item, no named county …)."""

    name: str
    groups: dict[str, dict[str, Figure]]


@dataclass
class OutOfSourceReport:
    labels_sha256: str
    counts: dict[
        str, dict[str, int]
    ]  # group → kind → items (plus "items", "fulltext", "with city", "no city")
    model: SystemFigures
    baseline: SystemFigures
    misses: list[dict[str, str | None]] = field(default_factory=list)  # the model's wrong kinds, for reading

    def floor_figures(self) -> dict[str, float]:
        """The model's overall figures as pinned in the floor file, plus each source's kind macro-F1."""
        out = {k: f.value for k, f in self.model.groups["all"].items()}
        for group, figs in self.model.groups.items():
            if group != "all" and "kind_macro_f1" in figs:
                out[f"kind_macro_f1[{group}]"] = figs["kind_macro_f1"].value
        return out


def naive_city(title: str, body: str) -> str | None:
    """City baseline: the first prefecture- or county-level name (longest match) in the title, else the body,
    with no context rules; a name several divisions share goes to the lowest code."""
    g = get_gazetteer()
    names = {n for n in g.names() if len(n) >= 2}
    for text in (title or "", body or ""):
        i = 0
        while i < len(text):
            for size in range(min(12, len(text) - i), 1, -1):
                cand = text[i : i + size]
                if cand in names:
                    hits = sorted(
                        (d for d in g.lookup(cand) if d.prefecture_code is not None), key=lambda d: d.code
                    )
                    if hits:
                        return hits[0].code
            i += 1
    return None


class _Scored:
    """Per-item right/wrong arrays of one system on the out-of-source items, counted with numpy for the bootstrap."""

    def __init__(
        self, items: list[OutOfSourceItem], preds: list[Prediction], cities: list[str | None]
    ) -> None:
        g = get_gazetteer()
        kinds, domains = list(KINDS), [*DOMAINS, "none"]
        self.n_kinds, self.n_domains = len(kinds), len(domains)
        self.gold_kind = np.array([kinds.index(it.ref.kind) for it in items])
        self.pred_kind = np.array([kinds.index(p.kind) for p in preds])
        self.credit = np.array([it.ref.kind != "other" for it in items])
        self.gold_domain = np.array([domains.index(it.ref.domain) if it.ref.domain else -1 for it in items])
        self.pred_domain = np.array([domains.index(p.domain or "none") for p in preds])
        self.fulltext = np.array([it.ref.fulltext for it in items])
        self.with_city = np.array([bool(it.ref.cities) for it in items])
        self.got_city = np.array([c is not None for c in cities])
        self.pref_ok = np.array(
            [
                c is not None and prefecture_of(c) in {prefecture_of(x) for x in it.ref.cities}
                for it, c in zip(items, cities, strict=True)
            ]
        )
        county = [[x for x in it.ref.cities if (d := g.get(x)) and d.level == "county"] for it in items]
        self.with_county = np.array([bool(c) for c in county])
        self.county_ok = np.array([c in cs for c, cs in zip(cities, county, strict=True)])
        self.feedback = kinds.index("feedback")
        self.business = domains.index("business")

    def figures(
        self, idx: np.ndarray, scored_kinds: list[int], scored_domains: list[int]
    ) -> dict[str, float]:
        out: dict[str, float] = {}
        gk, pk = self.gold_kind[idx], self.pred_kind[idx]
        out["kind_macro_f1"] = _macro(gk, pk, self.n_kinds, scored_kinds)
        if self.feedback in scored_kinds:
            out["feedback_f1"] = _macro(gk, pk, self.n_kinds, [self.feedback])
        c = idx[self.credit[idx]]
        if len(c):
            gd, pd = self.gold_domain[c], self.pred_domain[c]
            out["domain_macro_f1"] = _macro(gd, pd, self.n_domains, scored_domains)
            if self.business in scored_domains:
                out["business_f1"] = _macro(gd, pd, self.n_domains, [self.business])
        f = idx[self.fulltext[idx]]
        if len(f):
            present = sorted({int(k) for k in self.gold_kind[f]})
            out["fulltext_kind_macro_f1"] = _macro(
                self.gold_kind[f], self.pred_kind[f], self.n_kinds, present
            )
        w = idx[self.with_city[idx]]
        if len(w):
            out["city_prefecture"] = float(self.pref_ok[w].mean())
        k = idx[self.with_county[idx]]
        if len(k):
            out["city_county_exact"] = float(self.county_ok[k].mean())
        z = idx[~self.with_city[idx]]
        if len(z):
            out["no_place_precision"] = float(1 - self.got_city[z].mean())
        return out

    def counted_on(self, idx: np.ndarray) -> dict[str, int]:
        credit = int(self.credit[idx].sum())
        return {
            "kind_macro_f1": len(idx),
            "feedback_f1": len(idx),
            "domain_macro_f1": credit,
            "business_f1": credit,
            "fulltext_kind_macro_f1": int(self.fulltext[idx].sum()),
            "city_prefecture": int(self.with_city[idx].sum()),
            "city_county_exact": int(self.with_county[idx].sum()),
            "no_place_precision": int((~self.with_city[idx]).sum()),
        }


def _system_figures(
    name: str, items: list[OutOfSourceItem], s: _Scored, groups: dict[str, np.ndarray], rounds: int
) -> SystemFigures:
    out: dict[str, dict[str, Figure]] = {}
    for group, idx in groups.items():
        # Labels scored are fixed on the whole group, so a resample missing a class scores it 0, not "absent".
        scored_kinds = sorted({int(k) for k in s.gold_kind[idx]})
        c = idx[s.credit[idx]]
        scored_domains = sorted({int(d) for d in s.gold_domain[c]})
        point = s.figures(idx, scored_kinds, scored_domains)
        rng = np.random.default_rng(RANDOM_STATE)
        samples = [
            s.figures(idx[rng.integers(0, len(idx), len(idx))], scored_kinds, scored_domains)
            for _ in range(rounds)
        ]
        n = s.counted_on(idx)
        out[group] = {
            key: Figure(round(value, 4), _interval([x[key] for x in samples if key in x]), n[key])
            for key, value in point.items()
        }
    return SystemFigures(name, out)


def evaluate_outofsource(
    model: CreditClassifier, items: list[OutOfSourceItem] | None = None, rounds: int = BOOTSTRAP_ROUNDS
) -> OutOfSourceReport:
    """Every out-of-source figure of the model and of the cue-word baseline, overall and per source."""
    items = items if items is not None else load_items()
    rows = [{"id": it.id, "title": it.title, "body": it.body} for it in items]
    preds = model.predict(rows)
    base = rules.predict(rows)
    model_cities = [primary_code(attribute(it.title, it.body)) for it in items]
    base_cities = [naive_city(it.title, it.body) for it in items]
    groups = {"all": np.arange(len(items))}
    for source in sorted({it.ref.source for it in items}):
        groups[source] = np.array([n for n, it in enumerate(items) if it.ref.source == source])
    counts: dict[str, dict[str, int]] = {}
    for group, idx in groups.items():
        sel = [items[i] for i in idx]
        counts[group] = {k: sum(1 for it in sel if it.ref.kind == k) for k in KINDS}
        counts[group]["items"] = len(sel)
        counts[group]["fulltext"] = sum(1 for it in sel if it.ref.fulltext)
        counts[group]["with city"] = sum(1 for it in sel if it.ref.cities)
        counts[group]["random stratum"] = sum(1 for it in sel if it.ref.stratum == "random")
    misses: list[dict[str, str | None]] = [
        {"ref": f"{it.ref.source}#{it.id}", "gold": it.ref.kind, "got": p.kind}
        for it, p in zip(items, preds, strict=True)
        if p.kind != it.ref.kind
    ]
    return OutOfSourceReport(
        labels_sha256=labels_sha256(),
        counts=counts,
        model=_system_figures("model", items, _Scored(items, preds, model_cities), groups, rounds),
        baseline=_system_figures(
            "cue-word baseline", items, _Scored(items, base, base_cities), groups, rounds
        ),
        misses=misses,
    )


def primary_code(attributions: list[Attribution]) -> str | None:
    """The code of the heaviest attribution (a county when the text names one), or None."""
    return attributions[0].code if attributions else None


def outofsource_markdown(report: OutOfSourceReport) -> str:
    """The out-of-source tables as Markdown: counts, then each figure per group, model beside baseline."""
    groups = list(report.model.groups)
    lines = [
        f"Labels sha256 `{report.labels_sha256[:16]}…`; 95 % percentile bootstrap intervals "
        f"({BOOTSTRAP_ROUNDS} resamples of each group's items); n = items the figure is counted on. Baseline: kind "
        "and domain by the cue words of the credit lexicon (`nlp.rules`), cities by the first division name in the "
        "text (`naive_city`).",
        "",
        "| group | items | " + " | ".join(KINDS) + " | full-text | with city | random stratum |",
        "|---|" + "---|" * (len(KINDS) + 4),
    ]
    for group in groups:
        c = report.counts[group]
        lines.append(
            f"| {group} | {c['items']} | "
            + " | ".join(str(c[k]) for k in KINDS)
            + f" | {c['fulltext']} | {c['with city']} | {c['random stratum']} |"
        )
    for key, title in OUTOFSOURCE_FIGURES:
        lines += ["", f"**{title}**", "", "| group | n | model | baseline |", "|---|---|---|---|"]
        for group in groups:
            m = report.model.groups[group].get(key)
            b = report.baseline.groups[group].get(key)
            if m is None:
                continue
            base = f"{b.value:.3f} ({b.interval})" if b is not None else "—"
            lines.append(f"| {group} | {m.n} | {m.value:.3f} ({m.interval}) | {base} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# Leave one source out over the training corpus: each fold holds out every item of one source.

# Id prefix of a labelled row → the source it comes from (two prefixes of THUCNews, two of the monitored sites).
SOURCE_OF_PREFIX: dict[str, str] = {
    "bdci": "bdci2019_news_sentiment",
    "thuc": "thucnews",
    "thucfull": "thucnews",
    "ccks": "ccks2019_fin_event_subject",
    "seed": "seeds",
    "head": "monitored_sites",
    "page": "monitored_sites",
}


def source_of(item_id: str) -> str:
    """The source group of a labelled row by its id prefix (an unknown prefix is a group of its own)."""
    prefix = item_id.split(":", 1)[0]
    return SOURCE_OF_PREFIX.get(prefix, prefix)


def leave_one_source_out(ids: list[str]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(held-out source, train indices, test indices) for each source among `ids`, sources sorted by name.

    Unlike a random split, the test fold shares no outlet, period or writing style with training, which is what
    the out-of-source set measures too; use it to choose features and weights before reading that set."""
    groups = np.array([source_of(i) for i in ids])
    return [
        (source, np.flatnonzero(groups != source), np.flatnonzero(groups == source))
        for source in sorted(set(groups.tolist()))
    ]


# LONG_BODY_CHARS (from nlp.classifier): train items with at least this much body are the nearest the training side
# has to reports; the same bound picks the `other` items that LONG_OTHER_WEIGHT weighs.


@dataclass
class LosoReport:
    """Leave-one-source-out figures over the training corpus: each item predicted by models fitted without its
    source. `figures` are pooled over every item; `long_body` over items with a body of LONG_BODY_CHARS or more;
    `per_source` is each source's kind macro-F1 (over the kinds that source has)."""

    items: int
    figures: dict[str, float]
    long_body: dict[str, float]
    long_body_items: int
    per_source: dict[str, float]
    kinds: list[str]  # one per item, in input order
    domains: list[str]  # "none" when the kind is other


def _loso_figures(yk: np.ndarray, yd: np.ndarray, pk: np.ndarray, pd: np.ndarray) -> dict[str, float]:
    credit = yd != "none"
    labels = sorted(set(yd[credit].tolist()))
    return {
        "kind_macro_f1": float(f1_score(yk, pk, average="macro", zero_division=0)),
        "domain_macro_f1": float(
            f1_score(yd[credit], pd[credit], labels=labels, average="macro", zero_division=0)
        ),
        "feedback_f1": float(f1_score(yk == "feedback", pk == "feedback", zero_division=0)),
        "business_f1": float(f1_score(yd[credit] == "business", pd[credit] == "business", zero_division=0)),
    }


def _read_bodies(
    kind_model: Any,
    domain_model: Any,
    fold: list[LabelledItem],
    confidence: np.ndarray,
    yk: np.ndarray,
    yd: np.ndarray,
    pk: np.ndarray,
    pd: np.ndarray,
    test: np.ndarray,
) -> None:
    """One LOSO fold's predictions (pk, pd at `test`) revised by the body's sentences, as CreditClassifier.predict
    revises them, with the fold's models and the priors of its training items (`confidence`: each test item's kind
    probability, which decides with TITLE_CONFIDENCE whether its body is read)."""
    from nlp import body_reading
    from nlp.classifier import DOMAIN_PRIOR_ALPHA, PRIOR_ALPHA

    credit = yd[yd != "none"]
    meta = {
        "kind_priors": {str(c): float(np.mean(yk == c)) for c in kind_model.classes_},
        "domain_priors": {str(c): float(np.mean(credit == c)) for c in domain_model.classes_},
        "prior_alpha": PRIOR_ALPHA,
        "domain_prior_alpha": DOMAIN_PRIOR_ALPHA,
    }
    preds = [
        Prediction(it.id, str(pk[n]), None if pk[n] == "other" else str(pd[n]), None, float(c))
        for it, n, c in zip(fold, test, confidence, strict=True)
    ]
    rows = [{"id": it.id, "title": it.title, "body": it.body} for it in fold]
    revised = body_reading.revise(CreditClassifier(kind_model, domain_model, meta), rows, preds)
    for n, p in zip(test, revised, strict=True):
        if p.kind != pk[n]:
            pk[n], pd[n] = p.kind, p.domain


def evaluate_leave_one_source_out(
    items: list[LabelledItem] | None = None,
    *,
    max_features: int = 20000,
    calib_cv: int | None = None,
    word_vectors: bool = True,
    long_other_weight: float | None = None,
    read_body: bool | None = None,
    offsets: bool | None = None,
) -> LosoReport:
    """Fit the kind and domain pipelines once per source of the train split without that source, and score its items
    as the out-of-source evaluation scores them (a credit item read as other is a domain miss). The word vectors are
    trained once, on every training text and the unlabelled training-side news: they read no label.
    `long_other_weight` overrides classifier.LONG_OTHER_WEIGHT, the kind task's weight of long-bodied `other` items;
    `read_body` overrides body_reading.BODY_READING (each fold's models then judge long items by their body's
    sentences, as prediction does); `offsets` overrides classifier.DECISION_OFFSETS (the per-kind and per-domain
    offsets move each fold's title-level verdicts before body reading, as prediction does)."""
    from nlp import body_reading
    from nlp import classifier as clf
    from nlp.tokens import tokens_shared
    from nlp.word_vectors import train as train_word_vectors
    from nlp.word_vectors import unlabelled_texts

    items = items if items is not None else [i for i in load_labelled() if i.split == "train"]
    x = clf.to_matrix((i.title, i.body) for i in items)
    yk = np.array([i.kind for i in items])
    yd = np.array([i.domain if i.kind != "other" and i.domain else "none" for i in items])
    pk = np.empty(len(items), dtype=object)
    pd = np.empty(len(items), dtype=object)
    cv = calib_cv or clf.CALIBRATION_FOLDS
    use_offsets = clf.DECISION_OFFSETS if offsets is None else offsets
    with tokens_shared():
        wv = None
        if word_vectors and clf.WORD_VECTOR_WEIGHT > 0:
            wv = train_word_vectors([f"{t}。{b}" for t, b in x] + unlabelled_texts())
        for _, train, test in leave_one_source_out([i.id for i in items]):
            weights = clf.kind_sample_weights(
                x[train], yk[train], clf.LONG_OTHER_WEIGHT if long_other_weight is None else long_other_weight
            )
            kind_model = clf.make_pipeline(max_features, cv, word_vectors=wv)
            kind_model.fit(x[train], yk[train], clf__sample_weight=weights)
            priors = np.array([np.mean(yk[train] == c) for c in kind_model.classes_]) ** clf.PRIOR_ALPHA
            kp = kind_model.predict_proba(x[test])
            k_score = kp / priors
            if use_offsets:
                k_score = k_score * clf.offset_factors(clf.KIND_OFFSETS, kind_model.classes_)
            k_pick = k_score.argmax(axis=1)
            pk[test] = kind_model.classes_[k_pick]
            credit = train[yd[train] != "none"]
            domain_model = clf.make_pipeline(max_features, cv, domain=True, word_vectors=wv)
            domain_model.fit(x[credit], yd[credit])
            d_score = domain_model.predict_proba(x[test])
            if use_offsets:
                d_score = d_score * clf.offset_factors(clf.DOMAIN_OFFSETS, domain_model.classes_)
            pd[test] = domain_model.classes_[d_score.argmax(axis=1)]
            if body_reading.BODY_READING if read_body is None else read_body:
                confidence = kp[np.arange(len(test)), k_pick]
                fold = [items[n] for n in test]
                _read_bodies(kind_model, domain_model, fold, confidence, yk[train], yd[train], pk, pd, test)
    pd = np.where(pk == "other", "none", pd)
    long_body = np.array([len(i.body) >= LONG_BODY_CHARS for i in items])
    groups = np.array([source_of(i.id) for i in items])
    per_source = {
        g: float(f1_score(yk[groups == g], pk[groups == g], average="macro", zero_division=0))
        for g in sorted(set(groups.tolist()))
    }
    return LosoReport(
        items=len(items),
        figures=_loso_figures(yk, yd, pk, pd),
        long_body=_loso_figures(yk[long_body], yd[long_body], pk[long_body], pd[long_body]),
        long_body_items=int(long_body.sum()),
        per_source=per_source,
        kinds=[str(k) for k in pk],
        domains=[str(d) for d in pd],
    )
