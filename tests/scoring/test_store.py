"""A full month on a fixture database: inputs gathered, scored, ranked, stored; re-scoring is idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import IndexScore
from scoring.inputs import gather_inputs
from scoring.model import load_model
from scoring.store import compare, compute_month, store_results, stored_scores
from tests.scoring import fixture_db

CITIES = ["320281", "320200", "320500"]


@pytest.fixture
def filled(db_session):
    ids = fixture_db.build(db_session)
    db_session.commit()
    return ids


def test_inputs_gathered_from_the_database(db_session, filled):
    model = load_model("jiangsu2016")
    by_city = {i.division_code: i for i in gather_inputs(db_session, model, fixture_db.MONTH, CITIES)}
    jy, wx, sz = by_city["320281"], by_city["320200"], by_city["320500"]
    assert jy.name == "江阴市"
    assert jy.metrics["articles.trust"] == 6 and jy.metrics["articles.distrust"] == 3
    assert jy.metrics["articles.distrust.courts"] == 1 and jy.metrics["articles.institution"] == 1
    assert jy.metrics["events.distrust"] == 2 and jy.metrics["events.major"] == 1
    assert jy.metrics["institution.domains"] == 1 and jy.metrics["feedback.confirmed"] == 2
    # Portal: two current blacklist entries at month end (one exited in June), one added in June, one
    # government dishonest debtor; the July entry is not yet counted.
    assert jy.metrics["portal.blacklist"] == 2 and jy.metrics["portal.blacklist_new"] == 1
    assert jy.metrics["portal.blacklist_exit"] == 1 and jy.metrics["portal.gov_dishonest"] == 1
    assert jy.metrics["portal.double_publicity"] == 1
    # Manual inputs: latest at or before the month.
    assert jy.manual == {"legal_entities": 100000, "A4.1": 90}
    (major,) = jy.major_events
    assert major.homepage_count == 4 and major.month == "2024-05"
    assert sorted(f.delay_hours for f in major.feedback) == [15.0, 900.0]
    assert [t.title for t in jy.trust_events] == ["江阴诚信典型"]
    # 无锡 (the prefecture) sees its county's items; 苏州 only its own, and has no portal figures.
    assert wx.metrics["articles.trust"] == 6 and len(wx.major_events) == 1
    assert sz.metrics["articles.trust"] == 1 and "portal.blacklist" not in sz.metrics
    court = next(e for e in jy.evidence["articles.distrust.courts"])
    assert court.ref == str(filled["court_article"])


def test_full_month_scored_ranked_stored_and_idempotent(db_session, filled):
    model = load_model("jiangsu2016")
    results = compute_month(db_session, model, fixture_db.MONTH, CITIES)
    # Each city is ranked within its peer set only: the county-level 江阴 alone among the county-level units,
    # 无锡 and 苏州 among the prefecture-level cities of Jiangsu.
    by_code = {r.division_code: r for r in results}
    jy = by_code["320281"]
    assert (jy.peer_set, jy.peer_set_label, jy.rank, jy.peers) == (
        "320000:county",
        "江苏省县（市、区）",
        1,
        1,
    )
    prefectures = [by_code["320200"], by_code["320500"]]
    assert {r.peer_set for r in prefectures} == {"320000:prefecture"}
    assert [r.rank for r in prefectures] == [
        1 + sum(o.total > r.total for o in prefectures) for r in prefectures
    ]
    assert all(r.peers == 2 for r in prefectures)
    for r in results:
        assert 70 <= r.total <= 91
    store_results(db_session, results)
    db_session.commit()
    store_results(db_session, compute_month(db_session, model, fixture_db.MONTH, CITIES))
    db_session.commit()
    assert db_session.scalar(select(func.count()).select_from(IndexScore)) == 3
    row = next(
        r for r in stored_scores(db_session, "jiangsu2016", fixture_db.MONTH) if r.division_code == "320281"
    )
    assert row.model_version == model.version
    assert row.details["peer_set"] == "320000:county" and row.details["base"] == 80
    # base + contributions = the unrounded total (the report's reconciliation rounds it to two decimals)
    assert row.details["base"] + sum(a["contribution"] for a in row.aspects.values()) == pytest.approx(
        row.details["raw_total"], abs=1e-3
    )
    assert row.aspects["A6"]["contribution"] < 0 < row.aspects["A7"]["contribution"]
    assert -row.aspects["A6"]["contribution"] > row.aspects["A7"]["contribution"]
    event = row.details["events"][0]
    assert event["ref"] == str(filled["major"]) and len(event["feedback"]) == 2
    assert row.details["trust_events"][0]["ref"] == str(filled["star"])
    assert any(a["path"].endswith("feedback_offset.fraction") for a in row.assumptions)
    # What-if against the stored version: identical inputs, no change.
    changes = compare(stored_scores(db_session, "jiangsu2016", fixture_db.MONTH, model.version), results)
    assert all(c.delta == 0 for c in changes)


def test_other_models_score_the_same_month(db_session, filled):
    for name in ("monitor2019", "demo-city"):
        results = compute_month(db_session, load_model(name), fixture_db.MONTH, CITIES)
        assert len(results) == 3 and all(0 <= r.total <= 100 for r in results)
