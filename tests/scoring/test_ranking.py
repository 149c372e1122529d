"""Peer sets, ties shown as ties, comparable rank movements and the reconciliation base + contributions = index."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.datatypes import CityMonthInputs, MajorEvent
from scoring.engine import round2, score_city
from scoring.metrics import CRAWLED
from scoring.model import load_model
from scoring.ranking import (
    peer_set_of,
    rank_in_peer_sets,
    rank_label,
    rank_movement,
    reconcile,
    reconciliation_of,
    tied,
)

JS = load_model("jiangsu2016")
MON = load_model("monitor2019")
DEMO = load_model("demo-city")
MONTH = "2024-06"
PREFECTURES = ["320100", "320200", "320300", "320400", "320500"]
COUNTY_CITIES = ["320281", "320282", "320581"]  # 江阴, 宜兴, 常熟


def _city(code: str, trust: float = 0.0) -> CityMonthInputs:
    metrics = dict.fromkeys(CRAWLED, 0.0)
    metrics["articles.trust"] = trust
    return CityMonthInputs(code, MONTH, metrics=metrics)


def test_a_county_level_city_is_never_ranked_among_prefectures():
    jy = peer_set_of("320281", JS)
    wx = peer_set_of("320200", JS)
    assert jy is not None and wx is not None
    assert (jy.key, jy.label) == ("320000:county", "江苏省县（市、区）")
    assert (wx.key, wx.label) == ("320000:prefecture", "江苏省设区市")
    # a model that ranks prefecture-level cities only does not rank 江阴 at all
    assert peer_set_of("320281", DEMO) is None
    assert peer_set_of("320200", DEMO) is not None and peer_set_of("320200", DEMO).label == "全国设区市"  # type: ignore[union-attr]
    # a province is no city
    assert peer_set_of("320000", JS) is None


def test_rank_in_peer_sets_ranks_each_level_apart():
    # 江阴 outscores every prefecture here, yet it is first only among the county-level cities.
    inputs = [_city(c, trust=10.0 * i) for i, c in enumerate(PREFECTURES)] + [
        _city("320281", trust=100.0),
        _city("320282", trust=5.0),
        _city("320581", trust=5.0),
    ]
    out = rank_in_peer_sets([score_city(JS, i) for i in inputs], JS)
    by = {r.division_code: r for r in out}
    assert len(out) == len(inputs)
    assert {c: by[c].peers for c in PREFECTURES} == dict.fromkeys(PREFECTURES, 5)
    assert {c: by[c].peers for c in COUNTY_CITIES} == dict.fromkeys(COUNTY_CITIES, 3)
    assert by["320281"].rank == 1 and by["320281"].total > max(by[c].total for c in PREFECTURES)
    assert sorted(by[c].rank or 0 for c in PREFECTURES) == [1, 2, 3, 4, 5]
    # 宜兴 and 常熟 tie: both second, nobody third
    assert by["320282"].rank == by["320581"].rank == 2
    ranks = [by[c].rank for c in COUNTY_CITIES]
    assert tied(by["320282"].rank, ranks) and not tied(by["320281"].rank, ranks)
    assert (
        rank_label(2, True) == "并列第2位"
        and rank_label(1, False) == "第1位"
        and rank_label(None, False) == "未排名"
    )


def test_cities_of_a_level_the_model_does_not_rank_stay_unranked():
    out = rank_in_peer_sets([score_city(DEMO, _city(c)) for c in ["320281", "320200"]], DEMO)
    by = {r.division_code: r for r in out}
    assert by["320200"].rank == 1 and by["320200"].peer_set == "nation:prefecture"
    assert by["320281"].rank is None and by["320281"].peers is None and by["320281"].peer_set is None
    assert out[-1].division_code == "320281"  # the unranked are listed last


def test_rank_moves_only_when_comparable_and_something_changed():
    assert rank_movement(3, 5, same_peer_set=True, total_changed=True, peers_changed=False) == 2
    # nothing changed anywhere in the peer set: a different tie-break is no movement
    assert rank_movement(1, 12, same_peer_set=True, total_changed=False, peers_changed=False) == 0
    # ranked last month among other cities (or not at all): no comparison
    assert rank_movement(1, 12, same_peer_set=False, total_changed=True, peers_changed=True) is None
    assert rank_movement(1, None, same_peer_set=True, total_changed=True, peers_changed=True) is None


def test_reconcile_a_band_score_with_a_major_event():
    bad = CityMonthInputs(
        "320281", MONTH, metrics=dict.fromkeys(CRAWLED, 0.0), major_events=(MajorEvent("e", "x", MONTH),)
    )
    r = score_city(JS, bad)
    lines = reconciliation_of(r.base, r.aspects_json(), r.total, r.vetoed)
    assert lines[0].code == "BASE" and lines[0].value == 80.0
    assert [x.code for x in lines[1:]] == [a.code for a in r.aspects]
    assert round(sum(x.value for x in lines), 2) == r.total
    assert next(x for x in lines if x.code == "A6").value < 0


def test_reconcile_names_a_veto_instead_of_hiding_it():
    lines = reconcile(0.0, [("B", "基本指标", 0.0), ("G", "指导性指标", 23.456)], 0.0, vetoed=True)
    assert [x.code for x in lines] == ["BASE", "B", "G", "VETO"]
    assert lines[-1].value == -23.46 and round(sum(x.value for x in lines), 2) == 0.0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from([0.0, 80.0]),
    parts=st.lists(st.floats(min_value=-8, max_value=8, allow_nan=False), min_size=1, max_size=10),
)
def test_reconciled_lines_always_add_up_and_move_each_part_by_at_most_a_cent(base, parts):
    total = round2(base + sum(parts))
    lines = reconcile(base, [(f"A{i}", f"A{i}", p) for i, p in enumerate(parts)], total)
    assert round(sum(x.value for x in lines), 2) == total
    for line, p in zip(lines[1:], parts, strict=False):
        assert abs(line.value - p) <= 0.01 + 1e-9
    assert all(x.code != "CLIP" for x in lines)  # nothing was clipped


def test_a_clipped_total_gets_its_own_line():
    lines = reconcile(80.0, [("A1", "A1", 15.0), ("A8", "A8", 10.0)], 100.0)
    assert [(x.code, x.value) for x in lines] == [("BASE", 80.0), ("A1", 15.0), ("A8", 10.0), ("CLIP", -5.0)]


def test_monitor2019_ranks_counties_apart_nationwide():
    a, b = peer_set_of("320281", MON), peer_set_of("330782", MON)  # 江阴 and 义乌
    assert a is not None and b is not None and a.key == b.key == "nation:county"
