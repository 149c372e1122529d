"""End-to-end: the console in headless Chromium (Debian's chromium, driven by Playwright) against uvicorn on
127.0.0.1. Set CREDITWATCH_SCREENSHOTS=DIR to keep screenshots of the feed and the event page."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from config.settings import Settings
from models import FeedbackLink, FeedbackStatus, Label
from monitor.web import create_app
from tests.web.browser_kit import browser, open_page, serve, shot, sign_in
from tests.web.seed import XSS_TITLE, Seeded, seeded_score

__all__ = ["browser"]  # the module-scoped Chromium fixture, shared with the demo-database tests

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(engine: Engine, web_settings: Settings, seeded: Seeded) -> Iterator[str]:
    """uvicorn in a thread on a random port, serving a private copy of the seeded database."""
    with serve(create_app(engine, web_settings)) as url:
        yield url


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    with open_page(browser, live_server) as pg:
        yield pg


def test_log_in_filter_the_feed_and_script_title_stays_inert(page: Any, tmp_path: Path) -> None:
    sign_in(page, "analyst")
    assert page.locator("h1").inner_text().startswith("信用事件")
    page.select_option("select[name=city]", "320281")
    page.select_option("select[name=kind]", "distrust")
    page.click("button:has-text('筛选')")
    page.wait_for_url("**/events?*kind=distrust*")
    titles = page.locator("table.feed td.title a").all_inner_texts()
    assert titles == [XSS_TITLE, "江阴一食品厂使用过期原料被查处"]
    # The crawled <script> shows as text, runs nothing, and is not even an element of the page.
    assert page.get_by_text(XSS_TITLE, exact=True).count() == 1
    assert page.locator("script").count() == 0 and page.locator("img").count() == 0
    shot(page, "events-feed", tmp_path)
    page.click(f"a:text-is('{XSS_TITLE}')")
    page.wait_for_url("**/events/*")
    assert page.locator("h1.event-title").inner_text() == XSS_TITLE
    assert page.locator("script").count() == 0
    assert page.dialogs == []


def test_event_page_confirm_feedback(page: Any, engine: Engine, seeded: Seeded, tmp_path: Path) -> None:
    sign_in(page, "analyst")
    page.fill("input[name=q]", "过期原料")
    page.click("button:has-text('筛选')")
    page.click("a:text-is('江阴一食品厂使用过期原料被查处')")
    page.wait_for_url(f"**/events/{seeded.major_event}")
    assert "3 个网站首页" in page.locator("h2:has-text('首页证据')").inner_text()
    assert page.get_by_text("新闻排行·24小时点击").count() == 1
    shot(page, "event-page", tmp_path)
    page.click("button:has-text('确认')")
    page.wait_for_url(f"**/events/{seeded.major_event}")
    assert page.locator(".flash.ok").inner_text() == "已确认该政府反馈"
    assert page.locator(".badge.s-confirmed").count() == 1
    with Session(engine) as s:
        link = s.get(FeedbackLink, seeded.feedback_link)
        assert link is not None and link.status == FeedbackStatus.CONFIRMED and link.reviewed_by == "analyst"


def test_correct_a_label_in_the_review_queue(page: Any, engine: Engine, seeded: Seeded) -> None:
    sign_in(page, "analyst")
    page.click("nav a:text-is('审核')")
    form = page.locator(f"form#article-{seeded.review_article}")
    form.locator("select[name=kind]").select_option("distrust")
    form.locator("select[name=domain]").select_option("business")
    form.locator("input[name=subdomain]").fill("旅游")
    form.locator("input[name=city]").fill("320281")
    form.locator("button:has-text('保存更正')").click()
    page.wait_for_url("**/review")
    assert page.locator(".flash.ok").inner_text().startswith("已更正")
    with Session(engine) as s:
        label = s.scalars(select(Label)).one()
        assert (label.article_id, label.kind, label.domain, label.division_code) == (
            seeded.review_article,
            "distrust",
            "business",
            "320281",
        )


def test_generate_and_download_a_report(page: Any, tmp_path: Path) -> None:
    sign_in(page, "analyst")
    page.goto("/reports")
    page.fill("input[name=month]", "2026-10")
    page.click("button:has-text('生成报告')")
    page.wait_for_url("**/reports", timeout=60_000)  # the report itself is written in the background
    assert page.locator(".flash.ok").inner_text().startswith("已提交")
    # The request's row says 已完成 (and links the file) once the background write has been recorded; the file
    # list may show the file a moment earlier, as soon as it is in place.
    done = page.locator("tr:has(.badge:text-is('已完成'))")
    deadline = time.monotonic() + 60
    while done.count() == 0:
        assert time.monotonic() < deadline, "the report was not done within 60 s"
        page.wait_for_timeout(100)
        page.reload()
    link = done.locator("a:text-is('creditwatch-report-320281-2026-10.html')")
    with page.expect_download() as info:
        link.first.click()
    download = info.value
    assert download.suggested_filename == "creditwatch-report-320281-2026-10.html"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert "江阴" in saved.read_text(encoding="utf-8")


def test_viewer_cannot_reach_admin(page: Any) -> None:
    sign_in(page, "viewer")
    assert page.locator("nav a:text-is('管理')").count() == 0
    response = page.goto("/admin")
    assert response is not None and response.status == 403
    assert "管理员" in page.locator("main").inner_text()


def test_dashboard_fits_one_screen_with_its_charts(page: Any, seeded: Seeded, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # (the browser's own favicon request is not the page's: failed loads are counted from responses instead)
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    sign_in(page, "viewer")
    page.goto("/")
    page.wait_for_url("**/dashboard")
    page.goto("/dashboard?at=2026-10-10")  # the evening of the day the seeded event became major
    assert page.locator("#kpi-major-24h").inner_text() == "1"
    assert page.locator("#kpi-rank").inner_text().startswith("第1位")
    # ECharts drew both charts (SVG renderer), with Chinese labels
    page.wait_for_timeout(500)
    assert errors == [], "\n".join(errors)
    page.wait_for_selector("#chart-trend svg")
    page.wait_for_selector("#chart-health svg")
    assert "综合指数" in page.locator("#chart-trend").inner_text()
    assert "异常" in page.locator("#chart-health").inner_text()
    # the countdown script replaced the server's text with hours and minutes
    countdown = page.locator("#panel-feedback .countdown").first.inner_text()
    # counted from the page's moment (the evening of the 10th) to the deadline (13th, 09:00): 57 h 0 min
    assert countdown == "剩余 57 小时 0 分", countdown
    assert page.get_by_text("江阴一食品厂使用过期原料被查处").count() >= 1
    # one screen: nothing to scroll at 1920×1080
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 1080, height
    assert page.dialogs == []
    folder = Path(os.environ.get("CREDITWATCH_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "dashboard.png"))


def test_correct_an_events_city_by_chinese_name_moves_the_index(
    page: Any, engine: Engine, seeded: Seeded, tmp_path: Path
) -> None:

    def jiangyin() -> tuple[float, int | None]:
        row = seeded_score(engine)
        return row.total, row.rank

    total_before, _ = jiangyin()
    sign_in(page, "analyst")
    page.goto(f"/events/{seeded.suqian_event}")
    page.click("summary:has-text('更正本事件')")
    page.fill("input[name=city]", "江阴")
    page.check("input[name=major]")
    page.click("button:has-text('保存更正')")
    page.wait_for_url(f"**/events/{seeded.suqian_event}")
    assert "已更正 2 项，指数已重新计算" in page.locator(".flash").inner_text()
    assert "江阴市" in page.locator("dl.facts").inner_text()
    rows = page.locator("#corrections tbody tr").all_inner_texts()
    assert any("城市" in r and "宿迁市" in r and "江阴市" in r and "analyst" in r for r in rows)
    total_after, rank_after = jiangyin()
    assert total_after < total_before and rank_after == 1  # alone among the county-level units
    page.goto("/cities/320281?month=2026-10")
    assert f"{total_after:.2f}" in page.locator("dl.facts").inner_text()
    shot(page, "event-corrected", tmp_path)


def test_enter_a_statistical_input(page: Any, engine: Engine, seeded: Seeded) -> None:
    from models import ManualInput

    sign_in(page, "analyst")
    page.click("nav a:has-text('数据录入')")
    page.wait_for_url("**/entry/inputs")
    page.fill("input[name=city]", "江阴")
    page.fill("input[name=month]", "2026-10")
    page.select_option("select[name=code]", "A4.1")
    page.fill("input[name=value]", "92%")
    page.fill("input[name=source]", "市发改委 2026 年度任务台账")
    page.click("button:has-text('保存')")
    page.wait_for_url("**/entry/inputs")
    assert "已录入 江阴市 (无锡) 2026-10 A4.1 = 92" in page.locator(".flash").inner_text()
    assert "市发改委 2026 年度任务台账" in page.locator("#recent-inputs").inner_text()
    with Session(engine) as s:
        assert s.scalars(select(ManualInput.value).where(ManualInput.division_code == "320281")).one() == 92


def test_enter_a_feedback_record_and_the_countdown_ends(page: Any, engine: Engine, seeded: Seeded) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    sign_in(page, "analyst")
    page.goto("/dashboard?at=2026-10-10")
    assert page.locator("#kpi-feedback").inner_text() == "1"
    page.goto(f"/events/{seeded.major_event}")
    page.click("summary:has-text('录入政府反馈')")
    page.fill("input[name=at]", "2026-10-10T20:00")
    page.select_option("select[name=channel]", "新闻发布会")
    page.fill("input[name=title]", "江阴市政府新闻发布会通报食品厂过期原料处置情况")
    page.click("button:has-text('保存反馈')")
    page.wait_for_url(f"**/events/{seeded.major_event}")
    assert "已记录政府反馈（首次发现后 11 小时），抵扣已重新计算" in page.locator(".flash").inner_text()
    page.goto("/dashboard?at=2026-10-10")
    assert page.locator("#kpi-feedback").inner_text() == "0"
    assert page.locator("#panel-feedback .countdown").count() == 0
    page.goto("/cities/320281?month=2026-10")
    assert "政府反馈" in page.locator("body").inner_text()
