"""Tokenizer, lexicon, keyword baseline and classifier: fit, save, reload, predict; version refusal."""

from __future__ import annotations

import json
from pathlib import Path

import jieba
import pytest

from nlp import lexicon, rules
from nlp.classifier import (
    LEGACY_MODEL_FILE,
    MODEL_FILE,
    CreditClassifier,
    ModelVersionError,
    TrainingRow,
    get_classifier,
)
from nlp.evaluation_data import load_labelled, tsv_rows
from nlp.tokens import get_tokenizer, tokenize

TINY = Path(__file__).parent / "data" / "tiny.tsv"


def tiny_rows() -> list[TrainingRow]:
    """The tiny set's labels with the texts its references point at (read from ../shared via the corpus)."""
    texts = {i.id: (i.title, i.body) for i in load_labelled()}
    return [TrainingRow(*texts[ref], kind, domain or None) for ref, kind, domain in tsv_rows(TINY, 3)]


def test_tokenizer_uses_the_credit_dictionary_and_not_the_global_one() -> None:
    assert "失信被执行人" in tokenize("法院公布失信被执行人名单")
    assert "红名单" in tokenize("企业列入红名单")
    assert get_tokenizer() is not jieba.dt
    assert "失信被执行人" not in jieba.dt.FREQ or jieba.dt.FREQ.get("失信被执行人", 0) != 2000


def test_every_lexicon_subdomain_is_a_domain_md_name() -> None:
    names = lexicon.subdomain_names()
    assert set(names) == set(lexicon.DOMAINS)
    for cue in lexicon.subdomain_cues():
        assert cue.subdomain in names[cue.domain]
    assert lexicon.subdomain_for("society", "学校食堂欠薪") in names["society"]
    assert lexicon.subdomain_for("business", "没有线索的文字") == "流通"


@pytest.mark.parametrize(
    ("title", "kind", "domain"),
    [
        # one row per kind, the way the rule baseline reads titles
        ("苏州好人榜揭晓 拾金不昧的哥上榜", "trust", "society"),
        ("某公司涉嫌非法集资被立案", "distrust", "business"),
        ("市政府印发社会信用体系建设实施方案", "institution", "government"),
        ("警方通报：交警打人视频情况调查", "feedback", "judiciary"),
        ("湖人主场击败马刺", "other", None),
    ],
)
def test_rule_baseline(title: str, kind: str, domain: str | None) -> None:
    k, d, sub = rules.classify_one(title, "")
    assert (k, d) == (kind, domain)
    assert sub is None if domain is None else sub in lexicon.subdomain_names()[domain]


def test_tiny_corpus_fit_save_reload_predict(tmp_path: Path) -> None:
    rows = tiny_rows()
    model = CreditClassifier.fit(rows, cv_folds=0, max_features=2000, calib_cv=2)
    model.save(tmp_path)
    meta = json.loads((tmp_path / "credit_classifier.json").read_text(encoding="utf-8"))
    assert meta["kinds"] == sorted({r.kind for r in rows})
    assert len(meta["training_data_sha256"]) == 64
    again = CreditClassifier.load(tmp_path)
    seen_other = next(r for r in rows if r.kind == "other")  # a fitted model recalls its own training rows
    items = [
        {"id": "x", "title": "某公司涉嫌非法集资 投资人报案", "body": ""},
        {"id": "y", "title": seen_other.title, "body": seen_other.body},
    ]
    first, second = model.predict(items), again.predict(items)
    assert [(p.kind, p.domain) for p in first] == [(p.kind, p.domain) for p in second]
    assert first[0].kind == "distrust" and first[0].domain == "business"
    assert first[1].kind == "other" and first[1].domain is None and first[1].subdomain is None
    assert 0.0 < first[0].confidence <= 1.0


def test_saves_a_zstd_pickle_and_still_reads_an_older_joblib_model(tmp_path: Path) -> None:
    import joblib

    model = CreditClassifier.fit(tiny_rows(), cv_folds=0, max_features=500, calib_cv=2)
    model.save(tmp_path)
    assert (tmp_path / MODEL_FILE).read_bytes()[:4] == b"\x28\xb5\x2f\xfd"  # zstd frame magic
    x = [{"title": r.title, "body": r.body} for r in tiny_rows()[:20]]
    expected = model.predict(x)
    assert CreditClassifier.load(tmp_path).predict(x) == expected
    # A directory written by an older `creditwatch train` (joblib) loads the same objects...
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "credit_classifier.json").write_bytes((tmp_path / "credit_classifier.json").read_bytes())
    joblib.dump(
        {"kind": model.kind_model, "domain": model.domain_model}, legacy / LEGACY_MODEL_FILE, compress=3
    )
    again = CreditClassifier.load(legacy)
    assert again.predict(x) == expected
    # ...and re-saving it replaces the old file, so a stale joblib can never be read instead of the new model.
    again.save(legacy)
    assert not (legacy / LEGACY_MODEL_FILE).exists() and (legacy / MODEL_FILE).exists()


def test_refuses_a_model_from_another_sklearn_version(tmp_path: Path) -> None:
    model = CreditClassifier.fit(tiny_rows(), cv_folds=0, max_features=500, calib_cv=2)
    model.save(tmp_path)
    meta_path = tmp_path / "credit_classifier.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["sklearn_version"] = "0.24.2"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelVersionError, match=r"0\.24\.2"):
        CreditClassifier.load(tmp_path)


def test_shipped_model_loads_and_answers_in_the_contract() -> None:
    model = get_classifier()
    assert model.meta["kinds"] == sorted(lexicon.KINDS)
    out = model.predict([{"id": "1", "title": "江阴一企业拖欠农民工工资被列入黑名单", "body": ""}])
    p = out[0]
    assert p.kind in lexicon.KINDS
    if p.kind != "other":
        assert p.domain in lexicon.DOMAINS and p.subdomain in lexicon.subdomain_names()[p.domain]


def test_prediction_segments_each_text_once_for_both_tasks(segmented: list[str]) -> None:
    items = [
        {"id": str(n), "title": f"第{n}家企业拖欠工资被曝光", "body": "据报道，该企业已整改。"}
        for n in range(3)
    ]
    preds = get_classifier().predict(items)
    assert len(preds) == 3
    # title and body lead of each item once, though the kind and the domain pipelines both read them
    assert sorted(segmented) == sorted({t for i in items for t in (i["title"], i["body"])})
    segmented.clear()
    assert (
        tokenize("信用中国") == tokenize("信用中国") and len(segmented) == 2
    )  # outside a block nothing is kept


def test_long_other_items_weigh_less_in_the_kind_task() -> None:
    import numpy as np

    from nlp.classifier import LONG_BODY_CHARS, kind_sample_weights, to_matrix

    long_body = "据报道" * LONG_BODY_CHARS
    x = to_matrix([("球赛", long_body), ("球赛", "短"), ("工厂偷排污水", long_body)])
    weights = kind_sample_weights(x, np.array(["other", "other", "distrust"]), 0.25)
    assert weights.tolist() == [0.25, 1.0, 1.0]
    assert kind_sample_weights(x, np.array(["other", "other", "distrust"]), 1.0).tolist() == [1.0, 1.0, 1.0]


def test_decision_offsets_are_off_by_default_and_move_the_verdict_when_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np

    from nlp import classifier

    assert (
        classifier.DECISION_OFFSETS is False
    )  # measured, not shipped (docs/labelling.md, "Decision offsets")
    assert set(classifier.KIND_OFFSETS) == set(lexicon.KINDS)
    assert set(classifier.DOMAIN_OFFSETS) == set(lexicon.DOMAINS)
    factors = classifier.offset_factors({"trust": 0.5}, ["distrust", "trust"])
    assert np.allclose(factors, [1.0, np.exp(0.5)])

    model = get_classifier()
    items = [
        {"id": "1", "title": "江阴一企业拖欠农民工工资被列入黑名单", "body": ""},
        {"id": "2", "title": "国足客场二比一战胜对手", "body": ""},
    ]
    default = model.predict(items, read_body=False)
    assert model.predict(items, read_body=False, offsets=False) == default
    # the shipped offsets are small: each nudges a decision, none overrides the model
    assert all(
        abs(v) <= 1.0 for v in [*classifier.KIND_OFFSETS.values(), *classifier.DOMAIN_OFFSETS.values()]
    )
    # an offset far beyond the model's range decides alone, in predict and in the domain it reports
    monkeypatch.setattr(classifier, "KIND_OFFSETS", {"institution": 50.0})
    monkeypatch.setattr(classifier, "DOMAIN_OFFSETS", {"government": 50.0})
    forced = model.predict(items, read_body=False, offsets=True)
    assert [p.kind for p in forced] == ["institution", "institution"]
    assert [p.domain for p in forced] == ["government", "government"]
    monkeypatch.setattr(classifier, "DECISION_OFFSETS", True)
    assert model.predict(items, read_body=False) == forced
