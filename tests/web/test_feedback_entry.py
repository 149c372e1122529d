"""A government response recorded by hand on the event page: the offset and the countdown follow at once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import Article, FeedbackLink, FeedbackStatus
from monitor.dashboard import build_dashboard
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded, at, seeded_score


def _offset(engine: Engine) -> float:
    return float(seeded_score(engine).aspects["A7"]["contribution"])


def _post(client: TestClient, event: int, **fields: str) -> str:
    page = client.get(f"/events/{event}").text
    data = {
        "at": "2026-10-11T10:00",
        "channel": "政府网站",
        "title": "江阴市市场监管局关于食品厂过期原料的处置通报",
    }
    data.update(fields)
    r = client.post(f"/events/{event}/feedback", data={"csrf_token": csrf_of(page), **data})
    assert r.status_code == 303, r.text
    return client.get(f"/events/{event}").text


def test_recorded_feedback_offsets_the_deduction_and_ends_the_countdown(
    as_analyst: TestClient, engine: Engine, seeded: Seeded
) -> None:
    with Session(engine) as s:
        assert [f.id for f in build_dashboard(s, at(12), "320281", "jiangsu2016").feedback] == [
            seeded.major_event
        ]
    before = _offset(engine)
    html = _post(as_analyst, seeded.major_event, url="https://www.jiangyin.gov.cn/notice/1.html")
    assert "已记录政府反馈（首次发现后 25 小时），抵扣已重新计算" in html
    assert _offset(engine) > before  # answered within 72 h: the offset rule applies at once
    with Session(engine) as s:
        link = s.scalars(
            select(FeedbackLink).where(
                FeedbackLink.status == FeedbackStatus.CONFIRMED, FeedbackLink.reviewed_by == "analyst"
            )
        ).one()
        doc = s.get(Article, link.article_id)
        assert doc is not None and doc.source == "政府网站" and doc.site_id is None and link.delay_hours == 25
        # the dashboard's open feedback no longer lists the event
        assert build_dashboard(s, at(12), "320281", "jiangsu2016").feedback == ()
    # the same document twice is refused
    again = _post(as_analyst, seeded.major_event, url="https://www.jiangyin.gov.cn/notice/1.html")
    assert "这份反馈已记录在本事件下" in again


def test_feedback_records_are_checked(as_analyst: TestClient, engine: Engine, seeded: Seeded) -> None:
    assert "反馈时间早于事件首次发现时间" in _post(as_analyst, seeded.major_event, at="2026-10-01T08:00")
    assert "发布渠道无效" in _post(as_analyst, seeded.major_event, channel="传闻")
    assert "链接须以 http" in _post(as_analyst, seeded.major_event, url="javascript:alert(1)")
    assert "反馈时间不能晚于现在" in _post(as_analyst, seeded.major_event, at="2099-01-01T08:00")
    with Session(engine) as s:
        assert s.scalars(select(FeedbackLink).where(FeedbackLink.reviewed_by == "analyst")).first() is None
