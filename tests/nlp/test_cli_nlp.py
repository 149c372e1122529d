"""`creditwatch classify` and `creditwatch locate` through the real Typer app."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from monitor.cli import nlp as cli_nlp


def app() -> typer.Typer:
    a = typer.Typer()
    cli_nlp.register(a)
    return a


def test_classify_round_trip() -> None:
    lines = [
        {"id": "a1", "title": "宿迁一企业拖欠农民工工资被列入失信黑名单", "body": "宿迁市人社局通报"},
        {"id": "a2", "title": "湖人主场击败马刺", "body": ""},
    ]
    stdin = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\nnot json\n"
    result = CliRunner().invoke(app(), ["classify"], input=stdin)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [o["id"] for o in out] == ["a1", "a2"]
    for o in out:
        assert set(o) == {"id", "kind", "domain", "subdomain", "confidence", "cities"}
    assert out[0]["kind"] != "other" and out[0]["cities"][0] == {"code": "321300", "name": "宿迁市"}
    assert "bad JSON" in result.output


def test_locate_prints_evidence() -> None:
    result = CliRunner().invoke(app(), ["locate", "鼓楼区一餐馆被罚\n福州市鼓楼区市场监管局"])
    assert result.exit_code == 0, result.output
    assert "350102 鼓楼区" in result.output and "full-name" in result.output


def test_registered_on_the_main_app() -> None:
    from monitor.cli import app as main_app

    names = {c.name for c in main_app.registered_commands}
    assert {"train", "evaluate", "classify", "locate"} <= names


def test_evaluate_against_a_model_reports_the_paired_difference() -> None:
    from nlp.classifier import MODEL_DIR

    result = CliRunner().invoke(app(), ["evaluate", "--folds", "0", "--against", str(MODEL_DIR)])
    assert result.exit_code == 0, result.output
    assert "95 % bootstrap interval" in result.output
    # the shipped model against itself: no item differs, and the difference is noise
    assert "+0.000" in result.output and "0 items right only here, 0 only there" in result.output
    assert "within noise" in result.output


def test_classify_with_empty_input_loads_no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import nlp.classifier

    def refuse() -> None:
        raise AssertionError("the model was loaded with nothing to classify")

    monkeypatch.setattr(nlp.classifier, "get_classifier", refuse)
    result = CliRunner().invoke(app(), ["classify"], input="\n\n")
    assert result.exit_code == 0 and result.stdout == ""


def test_classify_loads_no_model_when_there_is_no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    from nlp import classifier

    loads: list[int] = []
    real = classifier.CreditClassifier.load

    def counted(*args: object, **kwargs: object) -> classifier.CreditClassifier:
        loads.append(1)
        return real()

    classifier.get_classifier.cache_clear()
    monkeypatch.setattr(classifier.CreditClassifier, "load", counted)
    try:
        assert CliRunner().invoke(app(), ["classify"], input="\n\n").exit_code == 0
        assert loads == []
        two_batches = "".join(json.dumps({"id": str(n), "title": "某公司拖欠工资"}) + "\n" for n in range(3))
        result = CliRunner().invoke(app(), ["classify", "--batch", "2"], input=two_batches)
        assert result.exit_code == 0 and result.stdout.count("\n") == 3
        assert loads == [1]  # loaded with the first batch, once for the process
    finally:
        classifier.get_classifier.cache_clear()
