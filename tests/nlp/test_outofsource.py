"""The out-of-source yardstick: every label resolves to a corpus item in ../shared, the set is large and varied
enough, bad labels and missing ids fail loudly, and the shipped model stays at or above the pinned floors."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import typer
from sklearn.metrics import f1_score
from typer.testing import CliRunner

from config.paths import shared_dir
from monitor.cli import nlp as cli_nlp
from nlp.classifier import get_classifier
from nlp.evaluation import (
    OUTOFSOURCE_FIGURES,
    OutOfSourceReport,
    evaluate_leave_one_source_out,
    evaluate_outofsource,
    leave_one_source_out,
    naive_city,
    source_of,
)
from nlp.evaluation_data import LabelledItem, load_labelled
from nlp.outofsource import (
    COLUMNS,
    FLOOR_FILE,
    HELD_OUT,
    LABELS_DIR,
    OutOfSourceError,
    OutOfSourceItem,
    is_held_out,
    labels_sha256,
    load_items,
    load_references,
)

HEADER = "\t".join(COLUMNS) + "\n"


@pytest.fixture(scope="module")
def items() -> list[OutOfSourceItem]:
    return load_items()


@pytest.fixture(scope="module")
def report(items: list[OutOfSourceItem]) -> OutOfSourceReport:
    return evaluate_outofsource(get_classifier(), items)


@pytest.fixture(scope="module")
def floor() -> dict[str, object]:
    return dict(json.loads(FLOOR_FILE.read_text(encoding="utf-8")))


def test_every_reference_resolves_and_the_set_is_large_and_varied(items: list[OutOfSourceItem]) -> None:
    refs = load_references()
    assert len(items) == len(refs) >= 450
    assert all(it.title for it in items)
    kinds = Counter(it.ref.kind for it in items)
    assert min(kinds["feedback"], kinds["trust"], kinds["institution"]) >= 50
    assert kinds["distrust"] >= 80 and kinds["other"] >= 150
    assert {it.ref.source for it in items} == set(HELD_OUT)
    assert sum(it.ref.fulltext for it in items) >= 20
    assert sum(1 for it in items if it.ref.cities) >= 100
    assert sum(1 for it in items if it.ref.stratum == "random") >= 200


def test_label_files_hold_references_not_text() -> None:
    # The repository keeps no corpus text: every field is an id, a label, a code or a short stratum name.
    for path in LABELS_DIR.glob("*.tsv"):
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            assert all(len(field) <= 40 for field in line.split("\t")), (path.name, line)


def test_no_held_out_item_is_in_the_training_corpus(items: list[OutOfSourceItem]) -> None:
    train_titles = {it.title for it in load_labelled()}
    assert not [it.id for it in items if it.title in train_titles]


def _label_dir(tmp_path: Path, name: str, rows: list[str]) -> Path:
    d = tmp_path / "labels"
    d.mkdir()
    (d / name).write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return d


def test_missing_ids_are_named_not_skipped(tmp_path: Path, items: list[OutOfSourceItem]) -> None:
    real = next(it for it in items if it.ref.source == "weibo_hot_search")
    d = _label_dir(
        tmp_path,
        "weibo_hot_search.tsv",
        [
            f"{real.id}\ttitles.tsv.gz\trandom\t\tother\t\t\t\t",
            "wb-0000000000\ttitles.tsv.gz\trandom\t\tother\t\t\t\t",
        ],
    )
    with pytest.raises(OutOfSourceError, match=r"1 labelled items not found.*wb-0000000000"):
        load_items(load_references(d))


def test_a_tencent_item_from_the_training_side_is_refused(tmp_path: Path) -> None:
    # Tencent news before 2024 is training data: a label pointing there would leak the yardstick into training.
    with gzip.open(
        shared_dir() / "corpus" / "qqnews_tencent" / "titles.tsv.gz", "rt", encoding="utf-8"
    ) as fh:
        next(fh)
        early = next(line.split("\t") for line in fh if line.split("\t")[1] < "2024-01-01")
    d = _label_dir(tmp_path, "qqnews_tencent.tsv", [f"{early[0]}\ttitles.tsv.gz\trandom\t\tother\t\t\t\t"])
    with pytest.raises(OutOfSourceError, match="training side"):
        load_items(load_references(d))
    assert is_held_out("qqnews_tencent", "2024-01-01") and not is_held_out("qqnews_tencent", early[1])
    assert is_held_out("weibo_hot_search") and not is_held_out("thucnews")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("x1\ttitles.tsv.gz\trandom\t\tgood\t\t\t\t", "unknown kind"),
        ("x1\ttitles.tsv.gz\trandom\t\tother\tbusiness\t生产\t\t", "no domain"),
        ("x1\ttitles.tsv.gz\trandom\t\tdistrust\tbusiness\t法院\t\t", "sub-domain"),
        ("x1\ttitles.tsv.gz\trandom\t\tother\t\t\t999999\t", "not a prefecture"),
        ("x1\titems.jsonl.gz\trandom\t\tother\t\t\t\t", "not a held-out corpus file"),
    ],
)
def test_a_bad_label_is_an_error_with_its_line(tmp_path: Path, row: str, message: str) -> None:
    d = _label_dir(tmp_path, "weibo_hot_search.tsv", [row])
    with pytest.raises(OutOfSourceError, match=f"weibo_hot_search.tsv:2: .*{message}"):
        load_references(d)


def test_figures_are_at_or_above_the_pinned_floor(
    report: OutOfSourceReport, floor: dict[str, object]
) -> None:
    # A changed label set makes old floors meaningless: re-measure and re-pin (upwards) on purpose.
    assert labels_sha256() == floor["labels_sha256"]
    pinned = floor["floor"]
    assert isinstance(pinned, dict) and pinned
    measured = report.floor_figures()
    below = {k: (measured.get(k), v) for k, v in pinned.items() if measured.get(k, -1.0) < v}
    assert not below, f"below the floor (measured, floor): {below}"


def test_every_group_has_every_figure_with_an_interval(report: OutOfSourceReport) -> None:
    overall = report.model.groups["all"]
    assert set(overall) == {key for key, _ in OUTOFSOURCE_FIGURES}
    assert set(report.model.groups) == {"all", *HELD_OUT}
    for figures in report.model.groups.values():
        for f in figures.values():
            assert f.interval.low <= f.value <= f.interval.high and f.n > 0
    assert report.counts["all"]["items"] == sum(report.counts[s]["items"] for s in HELD_OUT)


def test_model_beats_the_cue_word_baseline(report: OutOfSourceReport) -> None:
    model, base = report.model.groups["all"], report.baseline.groups["all"]
    assert model["kind_macro_f1"].value > base["kind_macro_f1"].value
    assert model["domain_macro_f1"].value > base["domain_macro_f1"].value
    assert model["city_prefecture"].value > base["city_prefecture"].value


def test_numpy_counting_is_scikit_learns_macro_f1(
    items: list[OutOfSourceItem], report: OutOfSourceReport
) -> None:
    # The bootstrap counts F1 with numpy; on the whole set it must be the ordinary figure.
    rows = [{"id": it.id, "title": it.title, "body": it.body} for it in items]
    preds = get_classifier().predict(rows)
    gold = [it.ref.kind for it in items]
    got = [p.kind for p in preds]
    expected = f1_score(gold, got, labels=sorted(set(gold)), average="macro", zero_division=0)
    assert report.model.groups["all"]["kind_macro_f1"].value == pytest.approx(expected, abs=1e-4)
    feedback = f1_score(gold, got, labels=["feedback"], average="macro", zero_division=0)
    assert report.model.groups["all"]["feedback_f1"].value == pytest.approx(feedback, abs=1e-4)


def test_naive_city_baseline_takes_the_first_name() -> None:
    assert naive_city("宿迁一企业被罚", "南京市 通报") == "321300"
    assert naive_city("湖人主场击败马刺", "") is None


def test_leave_one_source_out_folds_partition_the_corpus() -> None:
    ids = [it.id for it in load_labelled()]
    folds = leave_one_source_out(ids)
    assert {name for name, _, _ in folds} >= {"bdci2019_news_sentiment", "thucnews", "monitored_sites"}
    seen = np.concatenate([test for _, _, test in folds])
    assert sorted(seen.tolist()) == list(range(len(ids)))
    for name, train, test in folds:
        assert not set(train.tolist()) & set(test.tolist())
        assert {source_of(ids[i]) for i in test} == {name}
        assert name not in {source_of(ids[i]) for i in train}


def test_cli_prints_the_markdown_tables() -> None:
    app = typer.Typer()
    cli_nlp.register(app)
    result = CliRunner().invoke(app, ["evaluate", "--outofsource", "--markdown"])
    assert result.exit_code == 0, result.output
    for source in HELD_OUT:
        assert f"| {source} |" in result.output
    assert "**kind macro-F1**" in result.output and "| group | n | model | baseline |" in result.output


def test_leave_one_source_out_scores_each_source_with_models_that_never_saw_it() -> None:
    # Three sources of real train items; every CCKS item is relabelled institution, a kind no other source has. A
    # model that had seen CCKS would call its items institution (it recalls its own rows); held out, it cannot.
    train = [i for i in load_labelled() if i.split == "train" and i.body]

    def pick(prefix: str, domain: str) -> list[LabelledItem]:
        # one domain per source, so every fold's domain model still sees two domains with enough items
        own = [i for i in train if i.id.startswith(prefix)]
        distrust = [replace(i, domain=domain) for i in own if i.kind == "distrust"][:20]
        return distrust + [i for i in own if i.kind == "other"][:20]

    picked = pick("bdci:", "business") + pick("qq:", "judiciary")
    ccks = [i for i in load_labelled() if i.split == "train" and i.id.startswith("ccks:")][:20]
    items = picked + [
        LabelledItem(i.id, i.title, i.body, "institution", "government", None, "train") for i in ccks
    ]
    report = evaluate_leave_one_source_out(items, max_features=2000, calib_cv=2, word_vectors=False)
    assert report.items == len(items) == len(report.kinds) == len(report.domains)
    assert set(report.per_source) == {"bdci2019_news_sentiment", "qq", "ccks2019_fin_event_subject"}
    assert "institution" not in report.kinds[len(picked) :]
    assert all(d == "none" for k, d in zip(report.kinds, report.domains, strict=True) if k == "other")
    assert report.figures["feedback_f1"] == 0.0  # no feedback item, none predicted
    assert all(0.0 <= v <= 1.0 for v in report.figures.values())
