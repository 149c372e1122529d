"""The engine: hand-checked totals, drill-down, and properties (monotone in distrust, feedback bounded, ranks)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.datatypes import CityMonthInputs, FeedbackItem, MajorEvent, TrustEvent
from scoring.engine import rank_results, round2, score_city, score_month
from scoring.metrics import CRAWLED
from scoring.model import load_model

JS = load_model("jiangsu2016")
MON = load_model("monitor2019")
DEMO = load_model("demo-city")
MONTH = "2024-06"


def _crawled(**values: float) -> dict[str, float]:
    out = dict.fromkeys(CRAWLED, 0.0)
    out.update(values)
    return out


def test_neutral_city_scores_base_plus_half_span():
    # No articles, no portal data, no manual input: crawled zeros, everything else missing (half credit).
    result = score_city(JS, CityMonthInputs("320281", MONTH, metrics=_crawled()))
    # A1: share(0,0)=0.5 → (0.5−0.3)/0.6 = 1/3 of 6 pts; no distrust events → 4 pts. A2: 0. A3: 4·0.5. A4/A5: half.
    a1 = (6 / 3 + 4) / 10
    a3 = 2 / 10
    expected = 80 + 10 * (0.25 * a1 + 0.2 * 0 + 0.1 * a3 + 0.2 * 0.5 + 0.25 * 0.5)
    assert result.total == round2(expected)
    assert set(result.missing) == {"A3.1", "A4.1", "A4.2", "A5.1.blacklist", "legal_entities", "A5.2"}
    assert result.assumptions and all(a["note"] for a in result.assumptions)


def test_major_event_deduction_offset_and_drilldown():
    fb = (
        FeedbackItem("a1", "市政府回应", "2024-05", delay_hours=12, url="http://example.cn/a1"),
        FeedbackItem("a2", "出台整改办法", "2024-06", delay_hours=200),
        FeedbackItem("a3", "future", "2024-07", delay_hours=1),  # after the scored month: not counted yet
    )
    event = MajorEvent("e1", "食品安全事件", "2024-04", domain="society", homepage_count=5, feedback=fb)
    base = CityMonthInputs("320281", MONTH, metrics=_crawled())
    hit = replace(base, major_events=(event,))
    r0, r1 = score_city(JS, base), score_city(JS, hit)
    (effect,) = r1.events
    decay = 0.5 ** (2 / 6)
    deduction = min(2.5, 1.5 + 0.1 * 2) * decay
    offset = deduction * 0.5 * min(1.0, (1 + 0.5) / 2)
    assert effect.age_months == 2
    assert effect.deduction == pytest.approx(deduction)
    assert effect.offset == pytest.approx(offset)
    assert [f.ref for f in effect.feedback] == ["a1", "a2"]
    assert r1.raw_total == pytest.approx(r0.raw_total - deduction + offset)
    details = r1.details_json()
    assert details["events"][0]["feedback"][0]["url"] == "http://example.cn/a1"
    aspects = r1.aspects_json()
    assert aspects["A6"]["contribution"] == pytest.approx(-deduction, abs=1e-4)
    assert aspects["A7"]["contribution"] == pytest.approx(offset, abs=1e-4)


def test_events_outside_the_window_do_not_count():
    old = MajorEvent("e0", "old", "2023-06")  # 12 months before 2024-06: outside a 12-month window
    r = score_city(JS, CityMonthInputs("320281", MONTH, metrics=_crawled(), major_events=(old,)))
    assert r.events == () and r.window == ("2023-07", "2024-06")


def test_deductions_are_capped_and_trust_bonus_capped():
    many = tuple(MajorEvent(f"e{i}", "x", MONTH, homepage_count=15) for i in range(10))
    trust = tuple(TrustEvent(f"t{i}", "y", MONTH) for i in range(10))
    r = score_city(
        JS, CityMonthInputs("320281", MONTH, metrics=_crawled(), major_events=many, trust_events=trust)
    )
    assert sum(e.deduction for e in r.events) == pytest.approx(8.0)
    assert sum(t.bonus for t in r.trust_events) == pytest.approx(1.0)


def test_drilldown_reaches_evidence():
    from scoring.datatypes import Evidence

    ev = (Evidence("article", "17", "某地诚信典型", "http://example.cn/17", MONTH),)
    r = score_city(
        JS,
        CityMonthInputs(
            "320281", MONTH, metrics=_crawled(**{"articles.trust": 1}), evidence={"articles.trust": ev}
        ),
    )
    a1 = r.details_json()["indicators"]["A1"][0]
    trust_input = next(i for i in a1["inputs"] if i["metric"] == "articles.trust")
    assert trust_input["evidence"][0]["url"] == "http://example.cn/17" and trust_input["evidence_count"] == 1


def test_demo_city_veto_and_points():
    manual = {f"B{n}": 100.0 for n in range(1, 9)} | {"B2": 0.0, "B6": 85, "B7": 31, "B8": 50}
    manual |= {"B9.1": 92, "B9.2": 100, "B9.3": 100, "B9.4": 100, "B10.1": 100, "B10.2": 1, "B10.3": 37}
    manual |= {
        "G11.domains": 44,
        "G15.cases": 45,
        "G15.subjects": 100,
        "G17.evaluated": 1,
        "G17.coverage": 73,
    }
    ok = score_city(DEMO, CityMonthInputs("330800", MONTH, manual=manual))
    assert not ok.vetoed and ok.aspects_json()["B"]["passed"] is True
    assert ok.total == round2(1.0 + 2.25 + 2.5)
    failed = score_city(DEMO, CityMonthInputs("330800", MONTH, manual=manual | {"B7": 29.9}))
    assert failed.vetoed and failed.failed == ("B7",) and failed.total == 0.0
    assert failed.aspects_json()["G"]["points"] == pytest.approx(5.75)  # guided points still shown


def test_monitor2019_percent_of_attainable_points():
    manual = {"T19": 1, "T39": 1, "T42": 1, "T57": 1, "T58": 1}
    r = score_city(MON, CityMonthInputs("320281", MONTH, metrics=_crawled(), manual=manual))
    # 5 flags + crawled leaves with zero counts: T25–T30 (fewer is better → full), T31 (no major events → full).
    assert r.total == round2(100 * (5 + 7) / 64)


# --- properties -------------------------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=500)
months_back = st.integers(min_value=0, max_value=14)


def _month(back: int) -> str:
    from scoring.datatypes import month_index, month_of_index

    return month_of_index(month_index(MONTH) - back)


feedbacks = st.lists(
    st.builds(
        FeedbackItem,
        ref=st.text(min_size=1, max_size=4),
        label=st.just("fb"),
        month=months_back.map(_month),
        delay_hours=st.none() | st.floats(min_value=0, max_value=1000),
    ),
    max_size=4,
)
majors = st.builds(
    MajorEvent,
    ref=st.text(min_size=1, max_size=4),
    title=st.just("e"),
    month=months_back.map(_month),
    domain=st.sampled_from(["government", "business", "society", "judiciary"]),
    homepage_count=st.integers(min_value=3, max_value=15),
    feedback=feedbacks.map(tuple),
)
cities = st.builds(
    lambda t, d, de, i, dom, sub, ev, pb, le, man, trust: CityMonthInputs(
        "320281",
        MONTH,
        metrics=_crawled(
            **{
                "articles.trust": t,
                "articles.distrust": d,
                "events.distrust": de,
                "articles.institution": i,
                "institution.domains": dom,
                "institution.subdomains": sub,
                "events.institution": ev,
                "portal.blacklist": pb,
            }
        ),
        manual={"legal_entities": le, "A4.1": man, "A3.1": 1.0},
        major_events=tuple(trust[0]),
        trust_events=tuple(TrustEvent(str(k), "t", _month(k % 13)) for k in range(trust[1])),
    ),
    counts, counts, counts, counts, st.integers(0, 4), st.integers(0, 36), counts, counts,
    st.integers(1, 10**6), st.floats(0, 100), st.tuples(st.lists(majors, max_size=4), st.integers(0, 8)),
)  # fmt: skip
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(cities, st.integers(1, 20), majors)
def test_adding_distrust_never_raises_a_score(city, extra, major):
    before = score_city(JS, city)
    m = dict(city.metrics)
    m["articles.distrust"] += extra
    m["events.distrust"] += 1
    more = replace(city, metrics=m)
    after = score_city(JS, more)
    after_major = score_city(JS, replace(more, major_events=(*city.major_events, major)))
    assert after.raw_total <= before.raw_total + 1e-9
    assert after_major.raw_total <= after.raw_total + 1e-9
    # The same in the 2019 model, where major events count per domain.
    mm = dict(m)
    mm["events.major"] += 1
    mm[f"events.major.{major.domain}"] += 1
    assert score_city(MON, replace(city, metrics=mm)).raw_total <= score_city(MON, city).raw_total + 1e-9


@FAST
@given(cities, majors)
def test_feedback_never_turns_a_deduction_into_a_gain(city, major):
    without = replace(major, feedback=())
    r_none = score_city(JS, replace(city, major_events=(without,)))
    r_fb = score_city(JS, replace(city, major_events=(major,)))
    r_base = score_city(JS, replace(city, major_events=()))
    for e in r_fb.events:
        assert 0.0 <= e.offset <= e.deduction + 1e-12
        assert e.net <= 1e-12
    assert r_none.raw_total <= r_fb.raw_total + 1e-9  # feedback helps ...
    assert r_fb.raw_total <= r_base.raw_total + 1e-9  # ... but never beyond having had no event


@FAST
@given(cities)
def test_scores_are_bounded(city):
    r = score_city(JS, city)
    assert 72.0 - 1e-9 <= r.total <= 91.0 + 1e-9  # base 80 + span 10 + bonus 1; deductions at most 8
    for a in r.aspects:
        if a.role == "score":
            assert 0.0 <= a.points <= a.max_points + 1e-9
    assert 0.0 <= score_city(MON, city).total <= 100.0


@FAST
@given(st.lists(st.floats(min_value=70, max_value=95, allow_nan=False).map(round2), min_size=1, max_size=30))
def test_ranks_consistent_with_totals_and_ties_share_a_rank(totals):
    base = score_city(JS, CityMonthInputs("000000", MONTH, metrics=_crawled()))
    results = [replace(base, division_code=f"{i:06d}", total=t) for i, t in enumerate(totals)]
    ranked = rank_results(results)
    for a in ranked:
        assert a.rank == 1 + sum(1 for b in ranked if b.total > a.total)  # competition ranking
        assert a.peers == len(totals)
    for a, b in itertools.pairwise(ranked):
        # listed best first; within a tie, by division code
        assert a.total > b.total or (a.total == b.total and a.division_code < b.division_code)


def test_tie_rule_on_the_second_decimal():
    base = score_city(JS, CityMonthInputs("000000", MONTH, metrics=_crawled()))
    rows = [("330800", 86.35), ("450100", 86.35), ("340100", 86.715), ("350200", 86.708), ("110000", 87.88)]
    ranked = rank_results([replace(base, division_code=c, total=round2(t)) for c, t in rows])
    assert [(r.division_code, r.total, r.rank) for r in ranked] == [
        ("110000", 87.88, 1), ("340100", 86.72, 2), ("350200", 86.71, 3), ("330800", 86.35, 4), ("450100", 86.35, 4),
    ]  # fmt: skip


def test_score_month_ranks_peers():
    good = CityMonthInputs(
        "320500", MONTH, metrics=_crawled(**{"articles.trust": 50, "articles.institution": 30})
    )
    bad = CityMonthInputs("320281", MONTH, metrics=_crawled(), major_events=(MajorEvent("e", "x", MONTH),))
    out = score_month(JS, [bad, good])
    assert [(r.division_code, r.rank) for r in out] == [("320500", 1), ("320281", 2)]


@FAST
@given(st.data())
def test_demo_city_points_bounded_and_veto_zeroes(data):
    manual = {}
    for _aspect, _leaf, field in DEMO.manual_fields():
        if data.draw(st.booleans()):
            hi = field.max if field.max is not None else 1e6
            manual[field.code] = data.draw(
                st.floats(min_value=field.min or 0.0, max_value=hi, allow_nan=False)
            )
    r = score_city(DEMO, CityMonthInputs("330800", MONTH, manual=manual))
    guided = next(a for a in r.aspects if a.code == "G")
    assert 0.0 <= guided.points <= guided.max_points + 1e-9
    for ind in guided.indicators:
        assert 0.0 <= ind.points <= ind.max_points + 1e-9
    assert r.total == (0.0 if r.vetoed else round2(guided.points))
    assert r.vetoed == any(leaf.passed is False for leaf in r.aspects[0].indicators)
