"""`creditwatch process` end to end with the real classifier and city attribution, then the CLI commands the
console and the demo use: events list/show/evidence, feedback confirm/reject, alerts test/dispatch."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import models
from config.settings import get_settings
from models import (
    Alert,
    AlertStatus,
    Classification,
    Event,
    EventArticle,
    EventStatus,
    FeedbackLink,
    Institution,
)
from monitor.cli import app
from monitor.pipeline import run_pipeline
from processing.classify import process_articles
from processing.feedback import confirm_feedback, reject_feedback
from storage.db import make_engine
from tests.events.factories import article, at, homepage
from tests.events.stories import STORIES


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, Path]]:
    url = f"sqlite:///{tmp_path / 'cw.db'}"
    outbox = tmp_path / "outbox"
    monkeypatch.setenv("CREDITWATCH_DATABASE_URL", url)
    monkeypatch.setenv("CREDITWATCH_ALERT_OUTBOX_DIR", str(outbox))
    monkeypatch.setenv("CREDITWATCH_ALERT_CHANNELS", json.dumps([{"name": "outbox", "kind": "file"}]))
    get_settings.cache_clear()
    eng = make_engine(url)
    models.Base.metadata.create_all(eng)
    yield eng, outbox
    eng.dispose()
    get_settings.cache_clear()


def _raw(s: Session, site: str, slug: str, key: str, day: int, hh: int, mm: int = 0) -> models.Article:
    return article(s, site, slug, *STORIES[key], at(day, hh, mm), kind=None, city=None)


def _world(eng: Engine) -> dict[str, int]:
    with Session(eng) as s:
        a = _raw(s, "people", "blast", "blast", 20, 9, 5)
        b = _raw(s, "sina", "blast-r", "blast_reprint", 20, 9, 10)
        c = _raw(s, "qq", "blast-f", "blast_followup", 21, 8)
        _raw(s, "163", "mooncake", "mooncake", 20, 8)
        _raw(s, "sohu", "honest", "honest", 20, 7)
        fb = _raw(s, "xinhua", "feedback", "blast_feedback", 22, 10)
        homepage(s, "people", at(20, 9, 12), [("江阴化工企业爆炸", a)], block="头条")
        homepage(s, "sina", at(20, 9, 20), [("江阴化工厂爆炸3死", b)])
        homepage(s, "qq", at(21, 9, 31), [("企业负责人被控制", c)])
        s.commit()
        return {"blast": a.id, "reprint": b.id, "followup": c.id, "feedback": fb.id}


LABELS = {
    "blast": ("distrust", "business", "生产"),
    "blast_reprint": ("distrust", "business", "生产"),
    "blast_followup": ("distrust", "business", "生产"),
    "mooncake": ("distrust", "business", "生产"),
    "honest": ("trust", "business", "流通"),
    "blast_feedback": ("feedback", "business", "生产"),
}


class ScenarioClassifier:
    """The scenario's labels, so this test checks the pipeline, not a model that is retrained in parallel; the
    shipped model is run through the same stage in `test_stage_with_the_shipped_model`."""

    meta: ClassVar[dict[str, str]] = {"training_data_sha256": "a" * 64, "created_at": "2026-11-23T00:00:00"}

    def predict(self, items):  # type: ignore[no-untyped-def]
        from nlp.classifier import Prediction

        by_title = {STORIES[k][0]: v for k, v in LABELS.items()}
        return [Prediction(i["id"], *by_title[i["title"]], 0.9) for i in items]


def test_stage_with_the_shipped_model(engine: Engine) -> None:
    """The real classifier and city attribution through the stage: rows, model version, cities, idempotency."""
    from nlp.classifier import get_classifier

    with Session(engine) as s:
        for key in LABELS:
            article(s, "people", key, *STORIES[key], at(20, 9), kind=None, city=None)
        r1 = process_articles(s)
        assert r1.classified == 6 and r1.model_version.startswith("clf-")
        meta = get_classifier().meta
        assert r1.model_version[4:16] == meta["training_data_sha256"][:12]
        rows = s.scalars(select(Classification)).all()
        assert {c.kind for c in rows} <= set(meta["kinds"]) and all(c.is_current for c in rows)
        codes = set(s.scalars(select(models.CityAttribution.division_code)))
        assert "320281" in codes  # 江阴 is named in every story
        assert process_articles(s).classified == 0


def test_process_end_to_end_then_cli(env: tuple[Engine, Path], tmp_path: Path) -> None:
    eng, outbox = env
    ids = _world(eng)
    out = run_pipeline(eng, classifier=ScenarioClassifier())
    assert out["classified"] == 6 and out["model_version"].startswith("clf-aaaa")
    assert len(out["new_major"]) == 1
    with Session(eng) as s:
        ev_id = s.scalars(select(EventArticle.event_id).where(EventArticle.article_id == ids["blast"])).one()
        members = set(s.scalars(select(EventArticle.article_id).where(EventArticle.event_id == ev_id)))
        assert members == {ids["blast"], ids["reprint"], ids["followup"]}
        ev = s.get(Event, ev_id)
        assert ev is not None and ev.status == EventStatus.MAJOR and ev.kind == "distrust"
        assert ev.division_code == "320281" and ev.domain == "business"
        assert ev.major_reason is not None and "人民网、新浪网、腾讯网" in ev.major_reason
        link = s.scalars(select(FeedbackLink)).one()
        assert link.event_id == ev_id and link.article_id == ids["feedback"]
        assert link.delay_hours == pytest.approx(48.92, abs=0.01)  # 20th 09:05 → 22nd 10:00 = 48 h 55 min
        assert s.scalars(select(Alert)).one().status == AlertStatus.PENDING
    # idempotent: a second run changes nothing
    again = run_pipeline(eng, classifier=ScenarioClassifier())
    assert (again["classified"], again["clustered"], again["new_major"], again["feedback_links"]) == (
        0,
        0,
        [],
        0,
    )

    runner = CliRunner()
    r = runner.invoke(app, ["alerts", "dispatch"])
    assert r.exit_code == 0, r.output
    files = list(outbox.glob("*.json"))
    assert [f.name for f in files] == [f"major_{ev_id}_outbox.json"]
    assert "重大失信事件" in json.loads(files[0].read_text(encoding="utf-8"))["subject"]

    r = runner.invoke(app, ["events", "list", "--status", "major"])
    assert r.exit_code == 0 and str(ev_id) in r.output
    r = runner.invoke(app, ["events", "show", str(ev_id)])
    assert r.exit_code == 0 and json.loads(r.output)["status"] == "major"
    zpath = tmp_path / "ev.zip"
    r = runner.invoke(app, ["events", "evidence", str(ev_id), "--out", str(zpath)])
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(zpath) as z:
        assert {i["role"] for i in json.loads(z.read("manifest.json"))["items"]} == {"article", "homepage"}
    with Session(eng) as s:
        link_id = s.scalars(select(FeedbackLink.id)).one()
    r = runner.invoke(app, ["events", "feedback", "confirm", str(link_id), "--user", "wang"])
    assert r.exit_code == 0 and "confirmed" in r.output
    r = runner.invoke(app, ["events", "feedback", "reject", "999"])
    assert r.exit_code != 0
    r = runner.invoke(app, ["alerts", "test"])
    assert r.exit_code == 0 and "outbox: ok" in r.output


class RetrainedClassifier(ScenarioClassifier):
    """A newer model: reads the mooncake story as `other` and the blast stories as society items."""

    meta: ClassVar[dict[str, str]] = {"training_data_sha256": "b" * 64, "created_at": "2026-11-24T00:00:00"}
    NEW: ClassVar[dict[str, tuple[str, str | None, str | None]]] = {
        "mooncake": ("other", None, None),
        "blast": ("distrust", "society", "劳动用工"),
        "blast_reprint": ("distrust", "society", "劳动用工"),
        "blast_followup": ("distrust", "society", "劳动用工"),
    }

    def predict(self, items):  # type: ignore[no-untyped-def]
        from nlp.classifier import Prediction

        by_title = {STORIES[k][0]: self.NEW.get(k, v) for k, v in LABELS.items()}
        return [Prediction(i["id"], *by_title[i["title"]], 0.9) for i in items]


def test_reclassify_after_training_revotes_events_and_keeps_corrections(env: tuple[Engine, Path]) -> None:
    eng, _ = env
    ids = _world(eng)
    run_pipeline(eng, classifier=ScenarioClassifier())
    with Session(eng) as s:
        mooncake = s.scalars(
            select(models.Article.id).where(models.Article.title == STORIES["mooncake"][0])
        ).one()
        ev_of = {
            a: s.scalars(select(EventArticle.event_id).where(EventArticle.article_id == a)).one()
            for a in (ids["blast"], mooncake)
        }
        # a person corrected the follow-up by hand: no model may overwrite that
        s.execute(
            update(Classification)
            .where(Classification.article_id == ids["followup"])
            .values(is_current=False)
        )
        s.add(Classification(article_id=ids["followup"], model_version="manual", kind="distrust",
                             domain="business", subdomain="生产", confidence=1.0, is_current=True))  # fmt: skip
        s.commit()
    # without --reclassify a new model reads only new articles
    assert run_pipeline(eng, classifier=RetrainedClassifier())["classified"] == 0
    out = run_pipeline(eng, classifier=RetrainedClassifier(), reclassify=True)
    assert out["classified"] == 5 and out["reclassified_changed"] == 3 and out["events_revoted"] == 2
    with Session(eng) as s:
        blast_ev, mooncake_ev = s.get(Event, ev_of[ids["blast"]]), s.get(Event, ev_of[mooncake])
        assert mooncake_ev is not None and mooncake_ev.kind == "other"
        # two society reads (confidence 0.9 each) outvote one manual business read (1.0)
        assert blast_ev is not None and (blast_ev.kind, blast_ev.domain) == ("distrust", "society")
        manual = s.scalars(
            select(Classification).where(
                Classification.article_id == ids["followup"], Classification.is_current
            )
        ).one()
        assert manual.model_version == "manual"
    again = run_pipeline(eng, classifier=RetrainedClassifier(), reclassify=True)
    assert (again["classified"], again["reclassified_changed"]) == (0, 0)


def test_stage_is_idempotent_and_registers_institutions(engine: Engine) -> None:
    class Fake:
        """Only to force the `institution` kind; the real model is exercised above."""

        def __init__(self) -> None:
            self.meta: dict[str, Any] = {
                "training_data_sha256": "f" * 64,
                "created_at": "2026-11-23T00:00:00+08:00",
            }

        def predict(self, items):  # type: ignore[no-untyped-def]
            from nlp.classifier import Prediction

            return [Prediction(i["id"], "institution", "business", "生产", 0.8) for i in items]

    with Session(engine) as s:
        a = article(
            s,
            "people",
            "rule",
            "无锡市出台安全生产领域失信惩戒办法",
            "无锡市政府印发安全生产领域失信联合惩戒实施办法。",
            at(25, 9),
            kind=None,
            city=None,
        )
        r1 = process_articles(s, Fake())
        r2 = process_articles(s, Fake())
        assert (r1.classified, r1.institutions, r2.classified) == (1, 1, 0)
        inst = s.scalars(select(Institution)).one()
        assert inst.article_id == a.id and inst.division_code == "320200" and inst.domain == "business"
        cls = s.scalars(select(Classification)).one()
        assert cls.model_version == "clf-ffffffffffff-2026-11-23T00:00:00" and cls.is_current


def test_institution_in_same_city_and_domain_is_proposed_and_staff_review(engine: Engine) -> None:
    from nlp.clustering import ClusterParams
    from processing.clustering import cluster_articles
    from processing.feedback import FeedbackParams, link_feedback

    with Session(engine) as s:
        article(s, "people", "blast", *STORIES["blast"], at(20, 9))
        cluster_articles(s, ClusterParams())
        s.add(
            Institution(
                title="江阴市安全生产领域失信惩戒办法",
                division_code="320281",
                domain="business",
                subdomain="生产",
                published_at=at(28, 9),
            )
        )
        s.add(
            Institution(
                title="南京市教育收费管理办法",
                division_code="320100",
                domain="society",
                published_at=at(28, 9),
            )
        )
        s.flush()
        links = link_feedback(s, FeedbackParams())
        assert len(links) == 1 and links[0].institution_id is not None
        assert links[0].delay_hours == pytest.approx(192.0)
        confirm_feedback(s, links[0].id, "li")
        assert links[0].status.value == "confirmed" and links[0].reviewed_by == "li"
        reject_feedback(s, links[0].id, "zhao")
        assert links[0].status.value == "rejected"
        assert link_feedback(s, FeedbackParams()) == []  # not proposed again


def test_nothing_pending_does_not_load_the_classifier(
    env: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model's load costs seconds; a run with every article classified must not pay it, one with work must."""
    import nlp.classifier

    eng, _ = env
    loads: list[int] = []
    real = nlp.classifier.get_classifier

    def counting() -> nlp.classifier.CreditClassifier:
        loads.append(1)
        return real()

    monkeypatch.setattr(nlp.classifier, "get_classifier", counting)
    out = run_pipeline(eng)
    assert loads == [] and out["classified"] == 0 and out["model_version"] is None
    _world(eng)
    assert run_pipeline(eng)["classified"] == 6 and loads == [1]
    assert run_pipeline(eng)["classified"] == 0 and loads == [1]
