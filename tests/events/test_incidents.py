"""The major-incident rule in scenarios: homepages one by one, ranking entries, trust events, evidence, view."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import AlertChannel
from models import Alert, EventArticle, EventStatus, EventStatusChange, Fetch
from monitor.alerts.outbox import AlertPolicy, queue_alerts
from monitor.events_view import event_view, list_events
from monitor.evidence import collect_evidence, export_evidence
from nlp.clustering import ClusterParams
from processing.clustering import cluster_articles
from processing.incidents import MajorRule, could_be_major, detect_major, load_config
from tests.events.factories import article, at, homepage, ranking
from tests.events.stories import STORIES

FILE_CH = [AlertChannel(name="outbox", kind="file")]


def _blast(s: Session):  # type: ignore[no-untyped-def]
    a = article(s, "people", "blast", *STORIES["blast"], at(20, 9, 5))
    b = article(s, "sina", "blast-r", *STORIES["blast_reprint"], at(20, 9, 10))
    other = article(s, "qq", "mooncake", *STORIES["mooncake"], at(20, 9, 0))
    cluster_articles(s, ClusterParams())
    return a, b, other


def test_shipped_config_is_the_seed_rule() -> None:
    rule = MajorRule.from_config(load_config())
    assert rule.homepage_sites == 3 and rule.kinds == ("distrust",) and rule.ranking_top_n >= 1


def test_two_homepages_then_a_third_makes_it_major_at_the_third(db_session: Session) -> None:
    a, b, other = _blast(db_session)
    homepage(db_session, "people", at(20, 9, 12), [("江阴化工企业爆炸", a), ("其他新闻", None)], block="头条")
    homepage(db_session, "sina", at(20, 9, 20), [("月饼", other), ("江阴化工厂爆炸3死", b)])
    assert detect_major(db_session) == []
    homepage(db_session, "sina", at(20, 9, 25), [("江阴化工厂爆炸3死", b)])  # same site again: still two
    assert detect_major(db_session) == []
    homepage(db_session, "qq", at(20, 9, 31), [("江阴化工厂爆炸", b)])
    changes = detect_major(db_session)
    assert len(changes) == 1
    change = db_session.scalars(select(EventStatusChange)).one()
    assert change.at == at(20, 9, 31) and change.new_status == "major"
    assert change.reason == "2026-11-20 09:12/09:20/09:31 先后登上人民网、新浪网、腾讯网首页（3 家网站）"
    view = event_view(db_session, change.event_id)
    assert view.status == "major" and view.major_since == at(20, 9, 31)
    assert {h.site_name for h in view.homepages} == {"人民网", "新浪网", "腾讯网"}
    assert view.homepages[0].position == 1 and view.homepages[0].block == "头条"
    assert view.sites == ["人民网", "新浪网", "腾讯网"]
    # applied again: no second change
    assert detect_major(db_session) == []


def test_homepages_outside_the_window_do_not_count(db_session: Session) -> None:
    a, b, _ = _blast(db_session)
    homepage(db_session, "people", at(20, 9, 12), [("x", a)])
    homepage(db_session, "sina", at(20, 10), [("x", b)])
    homepage(db_session, "qq", at(26, 10), [("x", b)])  # six days later, window 72 h
    assert detect_major(db_session) == []


def test_sightings_across_midnight_each_carry_their_date(db_session: Session) -> None:
    a, b, _ = _blast(db_session)
    homepage(db_session, "people", at(20, 23, 40), [("x", a)])
    homepage(db_session, "sina", at(21, 0, 5), [("x", b)])
    homepage(db_session, "qq", at(21, 9, 31), [("x", b)])
    assert len(detect_major(db_session)) == 1
    change = db_session.scalars(select(EventStatusChange)).one()
    assert change.reason.startswith("2026-11-20 23:40/2026-11-21 00:05/2026-11-21 09:31 先后登上"), (
        change.reason
    )


def test_only_events_that_could_meet_the_rule_are_read(db_session: Session) -> None:
    """The bulk pre-filter keeps events seen on N distinct homepages (any time) or within the widest top-N."""
    s = db_session
    three = article(s, "people", "three", *STORIES["blast"], at(20, 9, 5))
    two = article(s, "sina", "two", *STORIES["mooncake"], at(20, 9, 0))
    ranked = article(s, "qq", "ranked", *STORIES["wages"], at(1, 9, 0))
    cluster_articles(s, ClusterParams())
    event_of = {
        a: s.scalars(select(EventArticle.event_id).where(EventArticle.article_id == a.id)).one()
        for a in (three, two, ranked)
    }
    assert len(set(event_of.values())) == 3
    for key in ("people", "sina", "qq"):  # three sites, weeks apart: outside the window, still a candidate
        homepage(s, key, at(1 + 9 * ("people", "sina", "qq").index(key), 8), [("x", three)])
    homepage(s, "people", at(20, 10), [("x", two)])
    homepage(s, "people", at(20, 11), [("x", two)])  # same site twice counts once
    homepage(s, "sina", at(20, 12), [("y", None), ("x", two)])
    ranking(s, "qq", at(2, 9), "新闻排行", [(11, "x", ranked)])
    rule = MajorRule()
    got = set(s.scalars(could_be_major(rule)))
    assert event_of[three] in got and event_of[two] not in got and event_of[ranked] not in got
    wider = MajorRule(ranking_top_n_per_list=(("新闻排行", 12),))
    assert event_of[ranked] in set(s.scalars(could_be_major(wider)))


def test_ranking_top_n_makes_it_major_and_below_n_does_not(db_session: Session) -> None:
    _, b, _ = _blast(db_session)
    rule = MajorRule(ranking_top_n=10, ranking_top_n_per_list=(("热评榜", 3),))
    ranking(db_session, "163", at(20, 10, 5), "热评榜", [(1, "x", None), (4, "江阴化工厂爆炸", b)])
    assert detect_major(db_session, rule) == []  # rank 4 > 3 on that list
    ranking(db_session, "163", at(20, 11, 0), "新闻排行·24小时点击", [(3, "江阴化工厂爆炸", b)])
    (change,) = detect_major(db_session, rule)
    assert change.reason == "网易网「新闻排行·24小时点击」第3名（11-20 11:00）"
    view = event_view(db_session, change.event_id)
    assert {(r["list"], r["best_rank"]) for r in view.rankings} == {("新闻排行·24小时点击", 3), ("热评榜", 4)}


def test_a_trust_event_on_three_homepages_is_not_a_major_distrust_alert(db_session: Session) -> None:
    h1 = article(db_session, "people", "h1", *STORIES["honest"], at(20, 8), kind="trust", domain="business")
    cluster_articles(db_session, ClusterParams())
    for key, mm in (("people", 10), ("sina", 20), ("qq", 30)):
        homepage(db_session, key, at(20, 9, mm), [("诚信典型", h1)])
    assert detect_major(db_session) == []
    assert queue_alerts(db_session, FILE_CH, AlertPolicy(), watched_cities=[]) == []
    assert db_session.scalars(select(Alert)).all() == []
    assert list_events(db_session, kind="trust")[0].status == EventStatus.NORMAL


def test_evidence_bundle_has_verified_pages_and_manifest(db_session: Session, tmp_path: Path) -> None:
    a, b, _ = _blast(db_session)
    for key, mm in (("people", 12), ("sina", 20), ("qq", 31)):
        homepage(db_session, key, at(20, 9, mm), [("江阴化工厂爆炸", b if key != "people" else a)])
    (change,) = detect_major(db_session)
    out = export_evidence(db_session, change.event_id, tmp_path / "ev.zip")
    with zipfile.ZipFile(out) as z:
        manifest = json.loads(z.read("manifest.json"))
        roles = sorted(i["role"] for i in manifest["items"])
        assert roles == ["article", "article", "homepage", "homepage", "homepage"]
        import hashlib

        for item in manifest["items"]:
            assert hashlib.sha256(z.read(item["file"])).hexdigest() == item["sha256"]
            assert item["captured_at"].endswith("+08:00")
    assert "先后登上" in manifest["event"]["major_reason"]
    # a tampered archive is refused, not exported
    f = db_session.get(Fetch, a.fetch_id)
    assert f is not None
    import gzip

    f.body_gz = gzip.compress(b"<html>edited</html>")
    db_session.flush()
    with pytest.raises(ValueError, match="sha256"):
        collect_evidence(db_session, change.event_id)
