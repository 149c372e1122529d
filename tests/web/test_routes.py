"""Route tests of the console with FastAPI's TestClient on a fresh, seeded SQLite database."""

from __future__ import annotations

import stat
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from config.settings import Settings
from models import (
    Alert,
    Article,
    CityAttribution,
    Classification,
    Event,
    FeedbackLink,
    FeedbackStatus,
    Label,
    User,
)
from monitor.web import create_app
from monitor.web.security import load_secret_key
from tests.web.conftest import csrf_of, login
from tests.web.seed import FILLER, PASSWORD, Seeded

PAGES = [
    "/events",
    "/events/1",
    "/incidents",
    "/cities",
    "/cities/320281",
    "/reports",
    "/status",
    "/review",
    "/admin",
]


# --- sessions, log-in, headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_page_but_login_needs_a_session(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


def test_login_page_is_public_and_sends_security_headers(client: TestClient) -> None:
    r = client.get("/login")
    assert r.status_code == 200
    assert "登录" in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_wrong_password_is_refused(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": "admin", "password": "nope-nope", "csrf_token": token})
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text
    assert client.get("/events").status_code == 303


def test_login_without_csrf_token_is_403(client: TestClient) -> None:
    client.get("/login")
    r = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert r.status_code == 403
    assert client.get("/events").status_code == 303


def test_repeated_failures_lock_the_name_for_a_while(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    for _ in range(5):
        client.post("/login", data={"username": "analyst", "password": "bad-guess-1", "csrf_token": token})
    r = client.post("/login", data={"username": "analyst", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429


def test_login_redirect_stays_on_this_site(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": "viewer", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/events"


def test_tampered_session_cookie_is_ignored(as_viewer: TestClient) -> None:
    cookie = as_viewer.cookies.get("cw_session")
    assert cookie
    # One character early in the signature: every bit of it counts (the last character of a base64 HMAC has
    # unused bits), and the jar is cleared so only the tampered cookie is sent.
    i = cookie.rindex(".") + 2
    tampered = cookie[:i] + ("A" if cookie[i] != "A" else "B") + cookie[i + 1 :]
    as_viewer.cookies.clear()
    as_viewer.cookies.set("cw_session", tampered)
    assert as_viewer.get("/events").status_code == 303
    as_viewer.cookies.clear()
    as_viewer.cookies.set("cw_session", cookie)  # the untouched cookie still logs in: the check is the tamper
    assert as_viewer.get("/events").status_code == 200


def test_logout_ends_the_session(as_viewer: TestClient) -> None:
    token = csrf_of(as_viewer.get("/events").text)
    assert as_viewer.post("/logout", data={"csrf_token": token}).status_code == 303
    assert as_viewer.get("/events").status_code == 303


def test_secret_key_is_generated_once_into_the_data_dir(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = load_secret_key(None, tmp_path)
    assert len(first) >= 48
    assert load_secret_key(None, tmp_path) == first
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert load_secret_key("configured", tmp_path) == "configured"


# --- roles -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin", "/review"])
def test_viewer_cannot_reach_analyst_or_admin_pages(as_viewer: TestClient, path: str) -> None:
    assert as_viewer.get(path).status_code == 403


def test_analyst_cannot_reach_admin(as_analyst: TestClient) -> None:
    assert as_analyst.get("/review").status_code == 200
    assert as_analyst.get("/admin").status_code == 403


def test_viewer_cannot_post_a_review(as_viewer: TestClient, engine: Engine, seeded: Seeded) -> None:
    token = csrf_of(as_viewer.get("/events").text)
    r = as_viewer.post(
        f"/review/feedback/{seeded.feedback_link}", data={"csrf_token": token, "decision": "confirm"}
    )
    assert r.status_code == 403
    with Session(engine) as s:
        link = s.get(FeedbackLink, seeded.feedback_link)
        assert link is not None and link.status == FeedbackStatus.PROPOSED


def test_viewer_is_not_offered_review_or_admin_links(as_viewer: TestClient) -> None:
    html = as_viewer.get("/events").text
    assert 'href="/review"' not in html and 'href="/admin"' not in html


def test_post_without_csrf_token_is_403_and_changes_nothing(
    as_analyst: TestClient, engine: Engine, seeded: Seeded
) -> None:
    r = as_analyst.post(
        f"/review/articles/{seeded.review_article}", data={"kind": "distrust", "domain": "business"}
    )
    assert r.status_code == 403
    r = as_analyst.post(
        f"/review/articles/{seeded.review_article}",
        data={"kind": "distrust", "domain": "business", "csrf_token": "forged"},
    )
    assert r.status_code == 403
    with Session(engine) as s:
        assert s.scalars(select(Label)).first() is None


# --- events feed and event page ---------------------------------------------------------------------------------


def _titles(html: str) -> list[str]:
    import re

    return re.findall(r'<a href="/events/\d+">([^<]*)</a>', html)


def test_feed_lists_newest_first_and_paginates(as_viewer: TestClient) -> None:
    html = as_viewer.get("/events").text
    assert f"共 {FILLER + 4} 条" in html
    assert len(_titles(html)) == 30
    assert "第 1 / 2 页" in html and "下一页" in html
    page2 = as_viewer.get("/events?page=2").text
    assert len(_titles(page2)) == FILLER + 4 - 30


def test_feed_filters(as_viewer: TestClient) -> None:
    assert _titles(as_viewer.get("/events?kind=trust").text) == ["江阴获评全国诚信建设示范城市"]
    jiangyin = _titles(as_viewer.get("/events?city=320281").text)
    assert len(jiangyin) == 3 and "宿迁一建筑公司拖欠农民工工资" not in jiangyin
    # A prefecture includes its counties; a province everything under it.
    assert f"共 {FILLER + 3} 条" in as_viewer.get("/events?city=320200").text
    assert f"共 {FILLER + 4} 条" in as_viewer.get("/events?city=320000").text
    assert _titles(as_viewer.get("/events?domain=society&city=321300").text) == [
        "宿迁一建筑公司拖欠农民工工资"
    ]
    on_sina = _titles(as_viewer.get("/events?site=sina").text)
    assert "江阴一食品厂使用过期原料被查处" in on_sina and "江阴获评全国诚信建设示范城市" not in on_sina
    assert _titles(as_viewer.get("/events?date_from=2026-10-12&date_to=2026-10-12").text) == [
        "江阴获评全国诚信建设示范城市"
    ]
    assert _titles(as_viewer.get("/events?major=1").text) == ["江阴一食品厂使用过期原料被查处"]


def test_search_matches_event_and_article_titles_and_treats_wildcards_literally(
    as_viewer: TestClient,
) -> None:
    # "责令停产" is only in one article's title, not in the event title.
    assert _titles(as_viewer.get("/events?q=责令停产").text) == ["江阴一食品厂使用过期原料被查处"]
    assert "没有符合条件的事件" in as_viewer.get("/events?q=%25").text
    assert "没有符合条件的事件" in as_viewer.get("/events?q=' OR 1=1 --").text


def test_bad_filter_values_are_reported_not_crashing(as_viewer: TestClient) -> None:
    r = as_viewer.get("/events?date_from=2026-13-45&city=abc&kind=<b>")
    assert r.status_code == 200
    assert "起始日期格式应为“年-月-日”" in r.text and "城市应为 6 位行政区划代码" in r.text


def test_event_page_shows_articles_evidence_and_feedback(as_viewer: TestClient, seeded: Seeded) -> None:
    html = as_viewer.get(f"/events/{seeded.major_event}").text
    assert "江阴过期原料食品厂被责令停产" in html  # an article
    assert "3 个网站首页" in html  # homepage evidence
    assert "新闻排行·24小时点击" in html and "52311" in html  # ranking evidence
    assert "江阴市市场监管局通报食品厂过期原料事件处置情况" in html and "待审核" in html  # feedback link
    assert as_viewer.get("/events/99999").status_code == 404


def test_viewer_sees_no_review_buttons_on_event_page(as_viewer: TestClient, seeded: Seeded) -> None:
    assert "/review/feedback/" not in as_viewer.get(f"/events/{seeded.major_event}").text


def test_crawled_script_title_is_escaped(as_viewer: TestClient, seeded: Seeded) -> None:
    for path in ("/events", f"/events/{seeded.xss_event}"):
        html = as_viewer.get(path).text
        assert "<script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in html


def test_javascript_urls_from_crawls_are_not_linked(
    as_viewer: TestClient, engine: Engine, seeded: Seeded
) -> None:
    with Session(engine) as s:
        a = s.get(Article, seeded.review_article)
        assert a is not None
        a.url = "javascript:alert(1)"
        s.commit()
    with Session(engine) as s:
        event = s.scalars(select(Event).where(Event.id == seeded.trust_event)).one()
        from models import EventArticle

        s.add(EventArticle(event_id=event.id, article_id=seeded.review_article))
        s.commit()
    html = as_viewer.get(f"/events/{seeded.trust_event}").text
    assert "javascript:" not in html and 'href="#"' in html


# --- review: corrections and feedback ---------------------------------------------------------------------------


def test_analyst_correction_is_a_label_and_a_manual_classification(
    as_analyst: TestClient, engine: Engine, seeded: Seeded
) -> None:
    html = as_analyst.get("/review").text
    assert "江阴某景区门票价格引发游客投诉" in html
    r = as_analyst.post(
        f"/review/articles/{seeded.review_article}",
        data={
            "csrf_token": csrf_of(html),
            "kind": "distrust",
            "domain": "business",
            "subdomain": "旅游",
            "city": "320281",
            "note": "景区价格投诉",
            "back": "/review",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/review"
    with Session(engine) as s:
        label = s.scalars(select(Label)).one()
        assert (label.kind, label.domain, label.subdomain, label.division_code, label.labelled_by) == (
            "distrust",
            "business",
            "旅游",
            "320281",
            "analyst",
        )
        current = s.scalars(
            select(Classification).where(
                Classification.article_id == seeded.review_article, Classification.is_current.is_(True)
            )
        ).all()
        assert [(c.model_version, c.kind, c.confidence) for c in current] == [("manual", "distrust", 1.0)]
        manual_city = s.scalars(
            select(CityAttribution).where(
                CityAttribution.article_id == seeded.review_article, CityAttribution.method == "manual"
            )
        ).one()
        assert manual_city.division_code == "320281" and manual_city.level == "county"
        # the matcher's guess (无锡市) is replaced, and named in the evidence
        assert manual_city.evidence == "人工更正（analyst），替换自动归属 320200"
        codes = s.scalars(
            select(CityAttribution.division_code).where(CityAttribution.article_id == seeded.review_article)
        ).all()
        assert codes == ["320281"]
    # Labelled articles leave the queue.
    queue = as_analyst.get("/review").text.split("低置信度分类")[1].split("最近的人工标注")[0]
    assert "江阴某景区门票价格引发游客投诉" not in queue and "没有待审核的分类" in queue


def test_correction_revotes_the_articles_event(
    as_analyst: TestClient, engine: Engine, seeded: Seeded
) -> None:
    with Session(engine) as s:
        article_id = s.scalars(
            select(Article.id).where(Article.title == "宿迁一建筑公司拖欠农民工工资")
        ).one()
    r = as_analyst.post(
        f"/review/articles/{article_id}",
        data={
            "csrf_token": csrf_of(as_analyst.get("/review").text),
            "kind": "distrust",
            "domain": "government",
            "subdomain": "政府采购",
            "city": "320281",
        },
    )
    assert r.status_code == 303
    with Session(engine) as s:
        ev = s.get(Event, seeded.suqian_event)
        assert ev is not None
        assert (ev.kind, ev.domain, ev.subdomain, ev.division_code) == (
            "distrust",
            "government",
            "政府采购",
            "320281",
        )


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"kind": "bogus", "domain": "business"}, "类别无效"),
        ({"kind": "distrust", "domain": ""}, "请选择领域"),
        ({"kind": "distrust", "domain": "business", "city": "999999"}, "城市代码不存在"),
    ],
)
def test_invalid_corrections_are_refused(
    as_analyst: TestClient, engine: Engine, seeded: Seeded, form: dict[str, str], message: str
) -> None:
    token = csrf_of(as_analyst.get("/review").text)
    r = as_analyst.post(f"/review/articles/{seeded.review_article}", data={"csrf_token": token, **form})
    assert r.status_code == 303
    assert message in as_analyst.get("/review").text
    with Session(engine) as s:
        assert s.scalars(select(Label)).first() is None


def test_other_kind_has_no_domain(as_analyst: TestClient, engine: Engine, seeded: Seeded) -> None:
    token = csrf_of(as_analyst.get("/review").text)
    as_analyst.post(
        f"/review/articles/{seeded.review_article}",
        data={"csrf_token": token, "kind": "other", "domain": "society"},
    )
    with Session(engine) as s:
        label = s.scalars(select(Label)).one()
        assert label.kind == "other" and label.domain is None


def test_analyst_confirms_and_rejects_feedback(
    as_analyst: TestClient, engine: Engine, seeded: Seeded
) -> None:
    token = csrf_of(as_analyst.get(f"/events/{seeded.major_event}").text)
    r = as_analyst.post(
        f"/review/feedback/{seeded.feedback_link}",
        data={"csrf_token": token, "decision": "confirm", "back": f"/events/{seeded.major_event}"},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/events/{seeded.major_event}"
    with Session(engine) as s:
        link = s.get(FeedbackLink, seeded.feedback_link)
        assert link is not None and link.status == FeedbackStatus.CONFIRMED and link.reviewed_by == "analyst"
        assert link.reviewed_at is not None
    assert "已确认" in as_analyst.get(f"/events/{seeded.major_event}").text
    as_analyst.post(
        f"/review/feedback/{seeded.feedback_link}", data={"csrf_token": token, "decision": "reject"}
    )
    with Session(engine) as s:
        link = s.get(FeedbackLink, seeded.feedback_link)
        assert link is not None and link.status == FeedbackStatus.REJECTED


# --- incidents, cities, status ----------------------------------------------------------------------------------


def test_incident_board_shows_deadline_and_feedback(
    as_viewer: TestClient, engine: Engine, seeded: Seeded
) -> None:
    html = as_viewer.get("/incidents").text
    assert "江阴一食品厂使用过期原料被查处" in html
    with Session(engine) as s:
        event = s.get(Event, seeded.major_event)
        assert event is not None and event.major_since is not None
        # the score's rule: within 72 h of the first sighting (not of the moment it became major)
        deadline = event.first_seen.replace(tzinfo=event.major_since.tzinfo) + timedelta(hours=72)
    assert deadline.strftime("%Y-%m-%d %H:%M") in html
    assert "已超时" in html  # October 2026 is long past
    assert "0 / 1" in html  # confirmed / proposed
    assert "宿迁一建筑公司" not in html


def test_city_index_and_drill_down(as_viewer: TestClient) -> None:
    html = as_viewer.get("/cities").text
    assert "江阴市" in html and "宿迁市" in html and "2026-10" in html
    # two peer sets, each ranked on its own: 江阴 first among the county-level units, not among prefectures
    assert (
        html.index("江苏省设区市")
        < html.index("无锡市")
        < html.index("江苏省县（市、区）")
        < html.index("江阴市")
    )
    city = as_viewer.get("/cities/320281?month=2026-10").text
    assert "第1位（江苏省县（市、区）共 1 个）" in city
    assert "综合指数" in city and "信用事件发生情况" in city and "重大失信事件" in city
    assert "假设参数" in city
    assert as_viewer.get("/cities/999999").status_code == 404
    assert as_viewer.get("/cities/abc").status_code == 404


def test_status_page_flags_parser_health_and_skipped_runs(as_viewer: TestClient) -> None:
    html = as_viewer.get("/status").text
    assert "正文缺失" in html  # sina: 12 of 20 items without a body
    assert "跳过" in html and "采集：文章" in html
    assert "调度器未运行" in html


# --- reports -----------------------------------------------------------------------------------------------------


def test_report_download_cannot_leave_the_reports_folder(
    as_viewer: TestClient, web_settings: Settings
) -> None:
    (web_settings.data_dir / "reports" / "2026-10").mkdir(parents=True)
    for path in (
        "/reports/file/2026-10/..%2Fsecret_key",
        "/reports/file/2026-10/secret_key",
        "/reports/file/..%2F..%2Fetc/passwd.html",
        "/reports/file/2026-10/missing.html",
    ):
        assert as_viewer.get(path).status_code == 404, path


def test_viewer_cannot_generate_reports(as_viewer: TestClient) -> None:
    token = csrf_of(as_viewer.get("/reports").text)
    assert "生成报告" not in as_viewer.get("/reports").text
    r = as_viewer.post("/reports/generate", data={"csrf_token": token, "month": "2026-10", "city": "320281"})
    assert r.status_code == 403


# --- admin -------------------------------------------------------------------------------------------------------


def test_admin_adds_user_who_can_log_in(as_admin: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(as_admin.get("/admin").text)
    r = as_admin.post(
        "/admin/users",
        data={"csrf_token": token, "username": "王科长", "password": "long-enough-1", "role": "analyst"},
    )
    assert r.status_code == 303
    assert "已添加用户 王科长" in as_admin.get("/admin").text
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as other:
        login(other, "王科长", "long-enough-1")
        assert other.get("/review").status_code == 200


def test_short_password_and_duplicate_name_are_refused(as_admin: TestClient) -> None:
    token = csrf_of(as_admin.get("/admin").text)
    as_admin.post(
        "/admin/users",
        data={"csrf_token": token, "username": "newbie", "password": "short", "role": "viewer"},
    )
    assert "密码至少 8 位" in as_admin.get("/admin").text
    as_admin.post(
        "/admin/users", data={"csrf_token": token, "username": "viewer", "password": "long-enough-1"}
    )
    assert "用户 viewer 已存在" in as_admin.get("/admin").text


def test_role_change_and_deactivation_end_that_users_session(
    as_admin: TestClient,
    app,
    engine: Engine,  # type: ignore[no-untyped-def]
) -> None:
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as analyst:
        login(analyst, "analyst")
        assert analyst.get("/review").status_code == 200
        with Session(engine) as s:
            uid = s.scalars(select(User.id).where(User.username == "analyst")).one()
        token = csrf_of(as_admin.get("/admin").text)
        as_admin.post(f"/admin/users/{uid}", data={"csrf_token": token, "action": "role", "role": "viewer"})
        assert analyst.get("/review").status_code == 303  # old session no longer valid
        login(analyst, "analyst")
        assert analyst.get("/review").status_code == 403  # now a viewer
        as_admin.post(f"/admin/users/{uid}", data={"csrf_token": token, "action": "deactivate"})
        assert analyst.get("/events").status_code == 303
        token2 = csrf_of(analyst.get("/login").text)
        r = analyst.post("/login", data={"username": "analyst", "password": PASSWORD, "csrf_token": token2})
        assert r.status_code == 401


def test_admin_cannot_lock_themselves_out(as_admin: TestClient, engine: Engine) -> None:
    with Session(engine) as s:
        uid = s.scalars(select(User.id).where(User.username == "admin")).one()
    token = csrf_of(as_admin.get("/admin").text)
    as_admin.post(f"/admin/users/{uid}", data={"csrf_token": token, "action": "role", "role": "viewer"})
    assert "不能修改自己的角色或停用自己" in as_admin.get("/admin").text
    assert as_admin.get("/admin").status_code == 200


def test_alert_channels_listed_without_secrets_and_test_alert_queued(
    as_admin: TestClient, engine: Engine
) -> None:
    html = as_admin.get("/admin").text
    assert "值班邮箱" in html and "duty@example.org" in html and "钉钉群" in html
    assert "SECRET123" not in html and "https://oapi.dingtalk.com/…" in html
    token = csrf_of(html)
    r = as_admin.post("/admin/channels/%E9%92%89%E9%92%89%E7%BE%A4/test", data={"csrf_token": token})
    assert r.status_code == 303
    with Session(engine) as s:
        alert = s.scalars(select(Alert)).one()
        assert (alert.channel, alert.kind, alert.status.value) == ("钉钉群", "test", "pending")
    assert as_admin.post("/admin/channels/nope/test", data={"csrf_token": token}).status_code == 404


def test_console_uses_configured_database_only_through_create_app(
    engine: Engine, web_settings: Settings, seeded: Seeded
) -> None:
    # Two apps on one database share users; a fresh secret per data dir does not break log-in.
    app = create_app(engine, web_settings.model_copy(update={"secret_key": None}))
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as c:
        login(c, "admin")
        assert c.get("/admin").status_code == 200
    assert (web_settings.data_dir / "secret_key").is_file()


def test_no_route_handler_runs_on_the_event_loop() -> None:
    """Every handler reads the database (the log-in also hashes): as `async def` it would run on the event loop and
    stall every other request; as a plain `def` FastAPI runs it in its threadpool."""
    import inspect

    from fastapi.routing import APIRoute

    from monitor.web import views_admin, views_auth, views_events, views_index, views_ops, views_reports

    modules = (views_admin, views_auth, views_events, views_index, views_ops, views_reports)
    handlers = [r for m in modules for r in m.router.routes if isinstance(r, APIRoute)]
    assert len(handlers) >= 20
    assert [r.path for r in handlers if inspect.iscoroutinefunction(r.endpoint)] == []
