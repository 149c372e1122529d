"""The data layer: every figure of `MonthlyReport` is the stored score or a count of stored rows."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitor.reports import ReportError
from monitor.reports.data import MonthlyReport, build_report, resolve_city, shift_month
from tests.reports import fixture_db
from tests.reports.conftest import Rendered


@pytest.fixture(scope="module")
def report(report_engine: tuple[Engine, fixture_db.Fixture]) -> MonthlyReport:
    with Session(report_engine[0]) as s:
        return build_report(s, fixture_db.MONTH, "江阴")


def test_headline_figures_are_the_stored_score(report: MonthlyReport, rendered: Rendered) -> None:
    assert report.city_code == "320281" and report.city_name == "江阴市"
    assert report.total == rendered.score.total
    assert report.rank == rendered.score.rank
    # 江阴 is ranked among the county-level cities only (江阴, 宜兴, 常熟), never among the prefectures.
    assert report.peer_count == 3 and report.peer_set_label == "江苏省县（市、区）"
    assert report.previous_total == rendered.previous.total
    assert report.change == round(rendered.score.total - rendered.previous.total, 2)
    assert report.model_version == rendered.score.model_version
    assert report.window == (rendered.score.details["window"]["from"], rendered.score.details["window"]["to"])


def test_trend_is_twelve_months_ending_with_the_month(report: MonthlyReport, rendered: Rendered) -> None:
    assert [p.month for p in report.trend] == rendered.fixture.months[1:]
    assert report.trend[-1].total == rendered.score.total
    assert report.trend[-2].total == rendered.previous.total
    assert all(p.total is not None for p in report.trend)


def test_aspects_and_their_change(report: MonthlyReport, rendered: Rendered) -> None:
    stored = rendered.score.aspects
    assert [a.code for a in report.aspects] == list(stored)
    for a in report.aspects:
        assert a.points == stored[a.code]["points"]
        assert a.contribution == stored[a.code]["contribution"]
        prev = rendered.previous.aspects[a.code]["contribution"]
        assert a.change == pytest.approx(stored[a.code]["contribution"] - prev, abs=1e-4)


def test_major_events_carry_evidence_deduction_and_feedback(
    report: MonthlyReport, rendered: Rendered
) -> None:
    assert [e.ref for e in report.major_events] == [
        str(rendered.fixture.major_id),
        str(rendered.fixture.formula_id),
    ]
    major = report.major_events[0]
    scored = {e["ref"]: e for e in rendered.score.details["events"]}[major.ref]
    assert major.title == fixture_db.SCRIPT_TITLE
    assert major.deduction == scored["deduction"] and major.offset == scored["offset"]
    assert major.offset and major.offset > 0
    assert major.sites == ("人民网", "新华网", "新浪网")
    assert {s.site for s in major.homepages} == {"人民网", "新华网", "新浪网"}
    assert [(s.site, s.position) for s in major.rankings] == [("新浪网", 2)]
    assert [f.label for f in major.feedback] == ["江阴市市场监管局通报食品厂事件调查处理情况"]
    assert major.feedback[0].confirmed and major.feedback[0].delay_hours == 20.0
    assert report.major_events[1].feedback == ()


def test_events_by_domain_count_only_this_city_and_month(report: MonthlyReport) -> None:
    counts = {(d.domain, d.subdomain): (d.distrust, d.trust) for d in report.domain_counts}
    assert counts == {
        ("business", "生产"): (2, 0),
        ("business", "工程建设"): (1, 0),
        ("society", "劳动用工"): (1, 0),
        ("society", "医药卫生"): (1, 0),
        ("government", "守信践诺"): (0, 2),
        ("judiciary", "法院"): (0, 1),
    }
    assert (report.distrust_events, report.trust_events) == (5, 3)


def test_blacklist_figures_and_masked_person(report: MonthlyReport) -> None:
    figures = {f.kind: (f.active, f.new, f.exited) for f in report.lists}
    assert figures["blacklist"] == (1, 1, 1)
    assert figures["dishonest-debtor"] == (2, 1, 0)
    assert report.gov_dishonest == 1
    names = [e.name for e in report.new_entries]
    assert fixture_db.COMPANY in names
    assert "张**" in names
    assert all(fixture_db.PERSON not in (e.name + (e.reason or "")) for e in report.new_entries)


def test_missing_manual_input_and_assumptions(report: MonthlyReport, rendered: Rendered) -> None:
    manual = [m for m in report.missing_inputs if m.source == "manual"]
    assert [m.code for m in manual] == ["A3.1"]
    assert manual[0].aspect.startswith("A3")
    assert len(report.assumptions) == len(rendered.score.assumptions) > 10
    assert all(a.note for a in report.assumptions)


def test_peer_table_is_the_stored_ranking(report: MonthlyReport, rendered: Rendered) -> None:
    stored = sorted(rendered.peers, key=lambda s: (s.rank, s.division_code))
    assert [(p.code, p.total, p.rank) for p in report.peers] == [
        (s.division_code, s.total, s.rank) for s in stored
    ]
    assert [p.code for p in report.peers if p.is_subject] == ["320281"]
    assert {p.code for p in report.peers} == {"320281", "320282", "320581"}


def test_ties_are_shown_as_ties(report: MonthlyReport) -> None:
    twins = [p for p in report.peers if p.code in ("320282", "320581")]
    assert twins[0].total == twins[1].total and twins[0].rank == twins[1].rank
    assert all(p.tied and p.rank_label == f"并列第{p.rank}位" for p in twins)
    (home,) = [p for p in report.peers if p.is_subject]
    assert not home.tied and home.rank_label == f"第{home.rank}位"
    # competition ranking: after a tie the next rank skips
    assert sorted(p.rank or 0 for p in report.peers) in ([1, 1, 3], [1, 2, 2])


def test_base_and_contributions_add_up_to_the_index(report: MonthlyReport) -> None:
    lines = report.reconciliation
    assert lines[0].code == "BASE" and lines[0].value == 80.0 == report.base
    assert [line.code for line in lines[1:]] == [a.code for a in report.aspects]
    assert round(sum(line.value for line in lines), 2) == report.total
    # no part is moved by more than a cent to make the sum exact
    for line, a in zip(lines[1:], report.aspects, strict=True):
        assert abs(line.value - a.contribution) <= 0.01 + 1e-9


def test_a_rank_moves_only_within_the_same_peer_set(report: MonthlyReport) -> None:
    assert report.rank is not None and report.previous_rank is not None
    assert report.rank_change == report.previous_rank - report.rank


def test_a_prefecture_report_counts_its_counties(report_engine: tuple[Engine, fixture_db.Fixture]) -> None:
    with Session(report_engine[0]) as s:
        wuxi = build_report(s, fixture_db.MONTH, "320200")
    # 江阴 is a county-level city of 无锡: its events count for 无锡, plus 无锡's own one.
    assert (wuxi.distrust_events, wuxi.trust_events) == (6, 3)
    assert len(wuxi.major_events) == 2


def test_empty_database_gives_no_data_not_a_crash(db_session: Session) -> None:
    r = build_report(db_session, "2024-01", "320281")
    assert r.total is None and r.rank is None and r.change is None
    assert len(r.trend) == 12 and all(p.total is None for p in r.trend)
    assert r.aspects == () and r.peers == () and r.major_events == () and r.lists == ()
    assert any("尚无" in n for n in r.notes)
    assert r.assumptions  # the model file's assumptions, even before anything was scored


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("320281", ("320281", "江阴市")),
        ("江阴", ("320281", "江阴市")),
        ("江阴市", ("320281", "江阴市")),
        ("宿迁", ("321300", "宿迁市")),
        ("宿州", ("341300", "宿州市")),  # not 宿迁
    ],
)
def test_resolve_city(text: str, expected: tuple[str, str]) -> None:
    assert resolve_city(text) == expected


@pytest.mark.parametrize("text", ["999999", "不存在市", "朝阳区"])
def test_resolve_city_errors(text: str) -> None:
    with pytest.raises(ReportError):
        resolve_city(text)


@pytest.mark.parametrize("month", ["2024-13", "2024-1", "24-01", "", "2024/01"])
def test_bad_month(db_session: Session, month: str) -> None:
    with pytest.raises(ReportError, match="年-月"):
        build_report(db_session, month, "320281")


def test_shift_month() -> None:
    assert shift_month("2026-01", -1) == "2025-12"
    assert shift_month("2025-12", 1) == "2026-01"
    assert shift_month("2026-10", -12) == "2025-10"


def test_unknown_model_is_an_error(db_session: Session) -> None:
    with pytest.raises(ReportError, match="指数模型「nosuchmodel」既没有模型文件"):
        build_report(db_session, "2024-01", "320281", model="nosuchmodel")


def test_important_trust_events_with_their_bonus(report: MonthlyReport, rendered: Rendered) -> None:
    stored = rendered.score.details["trust_events"]
    assert [(t.title, t.month, t.bonus) for t in report.trust_highlights] == [
        (t["title"], t["month"], t["bonus"]) for t in stored
    ]
    assert report.trust_highlights[0].title == fixture_db.TRUST_TITLE
    assert (report.trust_highlights[0].bonus or 0) > 0
