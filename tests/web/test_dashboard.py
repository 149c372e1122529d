"""The dashboard (the console's home page) on the seeded console database: what it counts and how it is served."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from monitor.dashboard import build_dashboard
from tests.web.conftest import Seeded
from tests.web.seed import at


def test_the_dashboard_counts_majors_open_feedback_index_and_health(engine, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        d = build_dashboard(s, at(11, 9), "320281", "jiangsu2016")  # 21 hours after the major event
        later = build_dashboard(s, at(20, 9), "320281", "jiangsu2016")
    (m,) = d.majors
    assert m.id == seeded.major_event and m.city == "江阴市" and m.recent and d.majors_24h == 1
    assert set(m.sites) >= {"人民网", "新华网", "新浪网"}
    assert any(p.startswith("人民网首页") for p in m.positions)
    # the proposed answer is not confirmed: the feedback is open, due 72 h after the first sighting (10th, 09:00)
    (f,) = d.feedback
    assert f.id == seeded.major_event and f.proposed == 1 and f.owner is None
    assert f.deadline is not None and f.deadline - at(10, 9) == timedelta(hours=72)
    assert f.hours_left == 48 and not f.overdue
    # nine days later the event has left the 7-day panel and the feedback is overdue
    assert later.majors == () and later.feedback[0].overdue and later.feedback[0].hours_left == -168
    # this month's index of 江阴, ranked among the county-level units only
    assert d.index.month == "2026-10" and d.index.total is not None
    assert (
        d.index.rank == 1 and d.index.rank_text == "第1位" and d.index.peer_set_label == "江苏省县（市、区）"
    )
    # health: sina lacks bodies, a site never crawled has no data: both 异常, never 正常
    by = {h.key: h for h in d.health}
    assert by["people"].state == "正常" and by["sina"].state == "异常" and "正文缺失" in by["sina"].flags
    assert by["xinhua"].flags == ("无数据",) and by["xinhua"].state == "异常"
    chart = d.chart_data()
    assert chart["health"] == {"正常": 1, "异常": 14} and chart["trend"]["totals"][-1] == d.index.total


def test_home_page_is_the_dashboard(as_viewer: TestClient) -> None:
    r = as_viewer.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    html = as_viewer.get("/dashboard").text
    assert "今日总览" in html and "待政府反馈" in html and "采集与解析健康度" in html
    assert '<script src="/static/echarts/echarts.min.js">' in html
    block = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)
    assert block is not None and json.loads(block.group(1))["health"]["异常"] >= 1
    # the crawled title carrying <script> is escaped in the majors and feedback tables
    assert "<script>alert" not in html
    js = as_viewer.get("/static/echarts/echarts.min.js")
    assert js.status_code == 200 and len(js.content) > 500_000


def test_the_dashboard_of_a_past_day_and_bad_days_refused(as_viewer: TestClient) -> None:
    html = as_viewer.get("/dashboard?at=2026-10-11").text
    assert "2026-10-11 总览" in html and "江阴一食品厂使用过期原料被查处" in html and "剩余" in html
    assert as_viewer.get("/dashboard?at=2026-13-01").status_code == 400
    assert as_viewer.get("/dashboard?at=2001-01-01").status_code == 400
    assert as_viewer.get("/dashboard?at=2999-01-01").status_code == 400
