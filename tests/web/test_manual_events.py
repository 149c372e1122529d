"""Manual events (人工录入), cluster membership (detach, merge) and the feedback owner, on the console: each is
audited and the index follows at once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models import (
    Article,
    Event,
    EventArticle,
    EventCorrection,
    EventStatus,
    EvidenceFile,
    FeedbackLink,
)
from monitor.dashboard import build_dashboard
from tests.web.conftest import csrf_of
from tests.web.evidence_samples import pdf_bytes
from tests.web.seed import XSS_TITLE, Seeded, at, seeded_score


def _manual(client: TestClient, **fields: str) -> tuple[str, str]:
    """Submit the manual-event form; returns where it redirected and that page."""
    page = client.get("/entry/event").text
    data = {
        "csrf_token": csrf_of(page),
        "title": "江阴一商场消防通道被堵遭群众举报",
        "day": "2026-10-15",
        "city": "江阴",
        "kind": "distrust",
        "domain": "business",
        "subdomain": "消防",
        "major": "1",
        "note": "市民热线转来，尚无网络报道。\n第二行备注",
    }
    data.update(fields)
    r = client.post(
        "/entry/event", data=data, files={"evidence": ("热线记录.pdf", pdf_bytes(), "application/pdf")}
    )
    assert r.status_code == 303, r.text
    return r.headers["location"], client.get(r.headers["location"]).text


def test_a_manual_event_counts_at_once_and_shows_who_entered_it(
    as_analyst: TestClient, engine: Engine, seeded: Seeded
) -> None:
    before = seeded_score(engine)
    page = as_analyst.get("/entry/event").text
    assert 'list="city-options"' in page and "江阴市 (无锡)" in page
    location, html = _manual(as_analyst)
    event_id = int(location.rsplit("/", 1)[1])
    assert f"已录入事件 #{event_id}，指数已重新计算" in html
    assert "人工录入" in html and "analyst" in html and "市民热线转来" in html and "热线记录.pdf" in html
    with Session(engine) as s:
        ev = s.get(Event, event_id)
        assert ev is not None and ev.entered_by == "analyst" and ev.division_code == "320281"
        assert (ev.kind, ev.domain, ev.subdomain, ev.status) == (
            "distrust",
            "business",
            "消防",
            EventStatus.MAJOR,
        )
        assert ev.first_seen.strftime("%Y-%m-%d %H:%M") == "2026-10-15 12:00"
        assert ev.signature["reps"]  # crawled reprints of the story can join it
        doc = s.scalars(select(Article).join(EventArticle).where(EventArticle.event_id == event_id)).one()
        assert (
            doc.site_id is None
            and doc.extractor == "console.manual"
            and doc.url.startswith("urn:creditwatch:")
        )
        assert (
            s.scalars(select(EvidenceFile).where(EvidenceFile.event_id == event_id)).one().uploaded_by
            == "analyst"
        )
        audit = {
            c.field: (c.after, c.corrected_by)
            for c in s.scalars(select(EventCorrection).where(EventCorrection.event_id == event_id))
        }
        assert audit["created"] == ("人工录入", "analyst") and set(audit) == {"created", "evidence"}
        assert (audit["evidence"][0] or "").startswith("热线记录.pdf（SHA-256 ")
    after = seeded_score(engine)
    # a second major distrust event in October for 江阴: the index falls before any nightly run
    assert after.total < before.total and str(event_id) in {e["ref"] for e in after.details["events"]}
    # listed on the form's page and marked in the feed, and corrected like any event
    assert f"/events/{event_id}" in as_analyst.get("/entry/event").text
    feed = as_analyst.get("/events", params={"q": "消防通道"}).text
    assert f"/events/{event_id}" in feed and 'class="badge manual"' in feed
    page = as_analyst.get(f"/events/{event_id}").text
    as_analyst.post(
        f"/events/{event_id}/correct",
        data={
            "csrf_token": csrf_of(page),
            "kind": "distrust",
            "domain": "business",
            "city": "江阴",
            "major": "",
        },
    )
    assert seeded_score(engine).total > after.total


def test_manual_events_are_checked_and_need_an_analyst(as_analyst: TestClient, engine: Engine) -> None:
    _, html = _manual(as_analyst, city="火星")
    assert "没有名为「火星」的城市" in html
    _, html = _manual(as_analyst, day="2099-01-01")
    assert "事件日期不能晚于今天" in html
    _, html = _manual(as_analyst, url="javascript:alert(1)")
    assert "链接须以 http" in html
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Event).where(Event.entered_by.is_not(None))) == 0
        assert s.scalars(select(EvidenceFile)).first() is None


def test_viewers_have_no_manual_event_form(as_viewer: TestClient) -> None:
    assert as_viewer.get("/entry/event").status_code == 403


def test_merge_moves_articles_and_feedback_and_is_audited(
    as_analyst: TestClient, engine: Engine, seeded: Seeded
) -> None:
    before = seeded_score(engine)
    page = as_analyst.get(f"/events/{seeded.xss_event}").text
    assert 'id="merge-event"' in page
    r = as_analyst.post(
        f"/events/{seeded.xss_event}/merge",
        data={"csrf_token": csrf_of(page), "target": str(seeded.major_event)},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/events/{seeded.major_event}"
    html = as_analyst.get(r.headers["location"]).text
    assert f"事件 #{seeded.xss_event} 已并入本事件" in html and "合并事件" in html
    assert "<script>alert" not in html  # the merged title is shown escaped in the audit
    assert as_analyst.get(f"/events/{seeded.xss_event}").status_code == 404
    with Session(engine) as s:
        members = s.scalars(select(EventArticle).where(EventArticle.event_id == seeded.major_event)).all()
        assert len(members) == 4
        audit = s.scalars(select(EventCorrection).where(EventCorrection.field == "merge")).one()
        assert audit.event_id == seeded.major_event and XSS_TITLE[:20] in (audit.before or "")
        assert s.scalars(select(FeedbackLink).where(FeedbackLink.event_id == seeded.major_event)).first()
    after = seeded_score(engine)
    # one distrust event fewer for 江阴 in October
    assert after.computed_at > before.computed_at and after.total > before.total
    assert str(seeded.xss_event) not in {e["ref"] for e in after.details.get("events", [])}


def test_merge_refuses_itself_and_unknown_events(as_analyst: TestClient, seeded: Seeded) -> None:
    page = as_analyst.get(f"/events/{seeded.xss_event}").text
    as_analyst.post(
        f"/events/{seeded.xss_event}/merge", data={"csrf_token": csrf_of(page), "target": "999999"}
    )
    assert "没有编号为 999999 的事件" in as_analyst.get(f"/events/{seeded.xss_event}").text
    as_analyst.post(
        f"/events/{seeded.xss_event}/merge",
        data={"csrf_token": csrf_of(page), "target": str(seeded.xss_event)},
    )
    assert "不能把事件合并到它自己" in as_analyst.get(f"/events/{seeded.xss_event}").text
    bad = as_analyst.post(
        f"/events/{seeded.xss_event}/merge", data={"csrf_token": csrf_of(page), "target": "x"}
    )
    assert bad.status_code == 400 and "应为整数" in bad.text


def test_detach_makes_an_event_of_its_own(as_analyst: TestClient, engine: Engine, seeded: Seeded) -> None:
    with Session(engine) as s:
        article_id = s.scalars(
            select(Article.id).join(EventArticle).where(EventArticle.event_id == seeded.major_event)
            .order_by(Article.id.desc())
        ).first()  # fmt: skip
    page = as_analyst.get(f"/events/{seeded.major_event}").text
    assert "拆分为新事件" in page
    before = seeded_score(engine)
    r = as_analyst.post(
        f"/events/{seeded.major_event}/detach",
        data={"csrf_token": csrf_of(page), "article_id": str(article_id)},
    )
    assert r.status_code == 303
    html = as_analyst.get(f"/events/{seeded.major_event}").text
    assert "已将文章拆分为事件 #" in html and "拆分文章" in html
    with Session(engine) as s:
        holder = s.scalars(select(EventArticle.event_id).where(EventArticle.article_id == article_id)).one()
        assert holder != seeded.major_event
        new = s.get(Event, holder)
        assert new is not None and new.kind == "distrust" and new.division_code == "320281"
        assert new.status == EventStatus.NORMAL and new.signature["reps"]
        fields = {(c.event_id, c.field) for c in s.scalars(select(EventCorrection))}
        assert fields == {(seeded.major_event, "detach"), (holder, "detach")}
    # a new distrust event for 江阴 in October
    assert seeded_score(engine).total < before.total
    # the last article cannot be detached: there would be nothing left
    page = as_analyst.get(f"/events/{holder}").text
    as_analyst.post(
        f"/events/{holder}/detach", data={"csrf_token": csrf_of(page), "article_id": str(article_id)}
    )
    assert "本事件只有这一篇文章，无需拆分" in as_analyst.get(f"/events/{holder}").text
    # an article of another event is refused
    page = as_analyst.get(f"/events/{seeded.trust_event}").text
    as_analyst.post(
        f"/events/{seeded.trust_event}/detach",
        data={"csrf_token": csrf_of(page), "article_id": str(article_id)},
    )
    assert "该文章不属于本事件" in as_analyst.get(f"/events/{seeded.trust_event}").text


def test_the_feedback_owner_is_set_on_the_event_and_shown_on_the_dashboard(
    as_analyst: TestClient, engine: Engine, seeded: Seeded
) -> None:
    page = as_analyst.get(f"/events/{seeded.major_event}").text
    as_analyst.post(
        f"/events/{seeded.major_event}/owner", data={"csrf_token": csrf_of(page), "owner": "viewer"}
    )
    assert "负责人应为在用的分析员或管理员账号" in as_analyst.get(f"/events/{seeded.major_event}").text
    as_analyst.post(
        f"/events/{seeded.major_event}/owner", data={"csrf_token": csrf_of(page), "owner": "admin"}
    )
    html = as_analyst.get(f"/events/{seeded.major_event}").text
    assert "反馈负责人已设为 admin" in html
    with Session(engine) as s:
        [open_item] = build_dashboard(s, at(12), "320281", "jiangsu2016").feedback
        assert open_item.owner == "admin"
        audit = s.scalars(select(EventCorrection).where(EventCorrection.field == "owner")).one()
        assert (audit.before, audit.after, audit.corrected_by) == (None, "admin", "analyst")
