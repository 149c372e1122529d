"""The console in headless Chromium on the demo database, built the way `creditwatch demo` builds it (the bundled
recording crawled, processed, scored; the 江阴 food-safety scenario flagged major with a proposed answer): a member
of staff signs in, reads the dashboard, corrects a city by its Chinese name, records a government response with
its evidence file, enters a statistical input, records an event learnt of elsewhere, splits and merges clusters,
and downloads the month's report. Set CREDITWATCH_SCREENSHOTS=DIR to keep the screenshots (docs/ uses them)."""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from config.settings import Settings, get_settings
from models import (
    Article,
    Event,
    EventArticle,
    EventCorrection,
    EvidenceFile,
    FeedbackLink,
    FeedbackStatus,
    IndexScore,
    ManualInput,
    Role,
    User,
)
from monitor.demo import DEMO_MONTH, run_demo
from monitor.web import create_app
from storage.db import make_engine
from tests.demo.environment import demo_environment
from tests.web.browser_kit import browser, open_page, serve, shot, sign_in
from tests.web.conftest import CHEAP_HASHER
from tests.web.evidence_samples import pdf_bytes
from tests.web.seed import PASSWORD

__all__ = ["browser"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAJOR_DAY = "2024-05-21"  # the demo event reached its third homepage that morning


@dataclass(frozen=True)
class DemoDb:
    path: Path
    settings: Settings
    major_event: int


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoDb:
    """`creditwatch demo` run once for the module (about 20 s), plus the office's three accounts."""
    out = tmp_path_factory.mktemp("demo")
    with demo_environment():
        summary = run_demo(out, console=Console(file=io.StringIO()))
        settings = get_settings()
    (major,) = summary.major_events
    engine = make_engine(summary.database_url)
    try:
        with Session(engine) as s:
            for name, role in (("viewer", Role.VIEWER), ("analyst", Role.ANALYST), ("admin", Role.ADMIN)):
                s.add(User(username=name, password_hash=CHEAP_HASHER.hash(PASSWORD), role=role, active=True))
            s.commit()
            # the demo's own engine may still hold the file open: fold the WAL in so a plain copy is complete
            s.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    finally:
        engine.dispose()
    return DemoDb(out / "creditwatch.db", settings, int(major["id"]))


@dataclass(frozen=True)
class Demo:
    engine: Engine
    major_event: int
    data_dir: Path


@pytest.fixture
def demo(demo_template: DemoDb, tmp_path: Path) -> Iterator[Demo]:
    """A private copy of the demo database for one test, with its own data folder."""
    db_file = tmp_path / "creditwatch.db"
    shutil.copyfile(demo_template.path, db_file)
    # The demo's data folder as `make serve-demo` uses it: the reports `creditwatch demo` wrote come along.
    shutil.copytree(demo_template.path.parent / "reports", tmp_path / "var" / "reports")
    engine = make_engine(f"sqlite:///{db_file}")
    yield Demo(engine, demo_template.major_event, tmp_path / "var")
    engine.dispose()


@pytest.fixture
def page(browser: Any, demo: Demo, demo_template: DemoDb) -> Iterator[Any]:
    settings = demo_template.settings.model_copy(
        update={
            "database_url": str(demo.engine.url),
            "data_dir": demo.data_dir,
            "secret_key": "test-only-signing-key-0123456789abcdef",
        }
    )
    with serve(create_app(demo.engine, settings)) as url, open_page(browser, url) as pg:
        yield pg


def jiangyin(demo: Demo, month: str = DEMO_MONTH) -> tuple[float, int | None]:
    with Session(demo.engine) as s:
        row = s.scalars(
            select(IndexScore).where(IndexScore.division_code == "320281", IndexScore.month == month)
        ).one()
        return row.total, row.rank


def test_dashboard_then_correct_the_city_by_chinese_name(page: Any, demo: Demo, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    sign_in(page, "analyst")
    page.goto(f"/dashboard?at={MAJOR_DAY}")
    # the demo's data: the 江阴 food-safety event, major since that morning, its answer still unconfirmed
    assert page.locator("#kpi-major-24h").inner_text() == "1"
    assert page.locator("#kpi-feedback").inner_text() == "1"
    assert "江阴一食品企业使用过期原料生产糕点被立案调查" in page.locator("#panel-majors").inner_text()
    total, rank = jiangyin(demo)
    assert page.locator("#kpi-index").inner_text() == f"{total:.2f}"
    assert page.locator("#kpi-rank").inner_text().startswith(f"第{rank}位")
    page.wait_for_selector("#chart-trend svg")
    shot(page, "demo-dashboard", tmp_path, full_page=False)

    page.goto(f"/events/{demo.major_event}")
    page.click("summary:has-text('更正本事件')")
    page.fill("input[name=city]", "宜兴")  # the story was, say, about a factory in 宜兴
    page.click("#correct-event button:has-text('保存更正')")
    page.wait_for_url(f"**/events/{demo.major_event}")
    assert "已更正 1 项，指数已重新计算" in page.locator(".flash").inner_text()
    assert "宜兴市" in page.locator("dl.facts").inner_text()
    after, rank_after = jiangyin(demo)
    # 江阴 no longer carries the major event: back to the default score, tied first with its peers
    assert after > total and rank_after == 1 and rank is not None and rank > 1
    page.goto(f"/dashboard?at={MAJOR_DAY}")
    assert page.locator("#kpi-index").inner_text() == f"{after:.2f}"
    assert page.locator("#kpi-rank").inner_text().startswith("并列第1位")


def test_record_a_response_with_its_evidence(page: Any, demo: Demo, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    sign_in(page, "analyst")
    page.goto(f"/dashboard?at={MAJOR_DAY}")
    assert page.locator("#kpi-feedback").inner_text() == "1"
    assert page.locator("#panel-feedback .countdown").count() == 1
    before, _ = jiangyin(demo)
    page.goto(f"/events/{demo.major_event}")
    page.select_option("#set-owner select[name=owner]", "analyst")
    page.click("#set-owner button")
    page.wait_for_url(f"**/events/{demo.major_event}")
    page.click("summary:has-text('录入政府反馈')")
    page.fill("input[name=at]", f"{MAJOR_DAY}T10:00")
    page.select_option("select[name=channel]", "政府网站")
    page.fill("input[name=title]", "江阴市市场监管局关于糕点企业使用过期原料的处置通报")
    evidence = tmp_path / "处置通报.pdf"
    evidence.write_bytes(pdf_bytes())
    page.set_input_files("#record-feedback input[name=evidence]", str(evidence))
    page.click("button:has-text('保存反馈')")
    page.wait_for_url(f"**/events/{demo.major_event}")
    assert "已记录政府反馈（首次发现后 25.5 小时），抵扣已重新计算" in page.locator(".flash").inner_text()
    assert "处置通报.pdf" in page.locator("#evidence-files").inner_text()
    with page.expect_download() as info:
        page.click("#evidence-files a:text-is('处置通报.pdf')")
    saved = tmp_path / "downloaded.pdf"
    info.value.save_as(saved)
    assert saved.read_bytes() == pdf_bytes()
    after, _ = jiangyin(demo)
    assert after > before  # the offset for an answer within 72 hours applies at once
    page.goto(f"/events/{demo.major_event}")
    shot(page, "demo-event-page", tmp_path)
    page.goto(f"/dashboard?at={MAJOR_DAY}")
    assert page.locator("#kpi-feedback").inner_text() == "0"
    assert page.locator("#panel-feedback .countdown").count() == 0
    with Session(demo.engine) as s:
        f = s.scalars(select(EvidenceFile)).one()
        link = s.get(FeedbackLink, f.feedback_link_id)
        assert link is not None and link.status == FeedbackStatus.CONFIRMED and f.uploaded_by == "analyst"
        assert s.get(Event, demo.major_event).feedback_owner == "analyst"  # type: ignore[union-attr]


def test_the_owner_shows_with_the_countdown(page: Any, demo: Demo) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    sign_in(page, "analyst")
    page.goto(f"/events/{demo.major_event}")
    page.select_option("#set-owner select[name=owner]", "admin")
    page.click("#set-owner button")
    page.wait_for_url(f"**/events/{demo.major_event}")
    assert page.locator("#feedback-owner").inner_text() == "admin"
    page.goto(f"/dashboard?at={MAJOR_DAY}")
    assert "admin" in page.locator("#panel-feedback").inner_text()


def test_enter_a_statistical_input(page: Any, demo: Demo) -> None:
    sign_in(page, "analyst")
    page.click("nav a:has-text('数据录入')")
    page.wait_for_url("**/entry/inputs")
    page.fill("input[name=city]", "江阴")
    page.fill("input[name=month]", DEMO_MONTH)
    code = "A4.1"  # a percentage of the model's statistical inputs
    page.select_option("select[name=code]", code)
    page.fill("input[name=value]", "92%")
    page.fill("input[name=source]", "市发改委年度任务台账")
    page.click("#entry-inputs button:has-text('保存')")
    page.wait_for_url("**/entry/inputs")
    assert f"已录入 江阴市 (无锡) {DEMO_MONTH} {code} = 92" in page.locator(".flash").inner_text()
    with Session(demo.engine) as s:
        row = s.scalars(select(ManualInput).where(ManualInput.division_code == "320281")).one()
        assert (row.indicator_code, row.value, row.month) == (code, 92, DEMO_MONTH)


def test_download_the_months_report(page: Any, tmp_path: Path, demo: Demo) -> None:
    sign_in(page, "analyst")
    page.goto("/reports")
    name = f"creditwatch-report-320281-{DEMO_MONTH}.html"
    # The report `creditwatch demo` wrote is listed before anything is generated here.
    with page.expect_download() as info:
        page.locator(f"a:text-is('{name}')").first.click()
    assert "江阴" in Path(info.value.path()).read_text(encoding="utf-8")
    page.fill("input[name=month]", DEMO_MONTH)
    page.click("button:has-text('生成报告')")
    page.wait_for_url("**/reports", timeout=60_000)
    done = page.locator("tr:has(.badge:text-is('已完成'))")
    deadline = time.monotonic() + 90
    while done.count() == 0:
        assert time.monotonic() < deadline, "the report was not done within 90 s"
        page.wait_for_timeout(200)
        page.reload()
    with page.expect_download() as info:
        done.locator(f"a:text-is('{name}')").first.click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    html = saved.read_text(encoding="utf-8")
    total, _ = jiangyin(demo)
    assert "江阴一食品企业使用过期原料生产糕点被立案调查" in html and f"{total:.2f}" in html


def test_record_an_event_learnt_of_elsewhere(page: Any, demo: Demo, tmp_path: Path) -> None:
    before, _ = jiangyin(demo)
    sign_in(page, "analyst")
    page.goto("/entry/event")
    page.fill("input[name=title]", "江阴一商场消防通道被堵遭群众举报")
    page.fill("input[name=day]", "2024-05-22")
    page.fill("input[name=city]", "江阴")
    page.select_option("select[name=kind]", "distrust")
    page.select_option("select[name=domain]", "business")
    page.check("input[name=major]")
    page.fill("textarea[name=note]", "12345 热线转来，尚无网络报道")
    photo = tmp_path / "现场照片.pdf"
    photo.write_bytes(pdf_bytes())
    page.set_input_files("#manual-event input[name=evidence]", str(photo))
    page.click("button:has-text('保存事件')")
    page.wait_for_url("**/events/*")
    assert "指数已重新计算" in page.locator(".flash").inner_text()
    facts = page.locator("dl.facts").inner_text()
    assert "人工录入" in facts and "analyst" in facts and "江阴市" in facts
    assert "现场照片.pdf" in page.locator("#evidence-files").inner_text()
    after, _ = jiangyin(demo)
    assert after < before  # a second major distrust event in May, counted at once
    event_id = int(page.url.rsplit("/", 1)[1])
    page.goto("/events?q=消防通道")
    assert page.locator(f"a[href='/events/{event_id}']").count() >= 1


def test_detach_an_article_then_merge_it_back(page: Any, demo: Demo) -> None:
    before, _ = jiangyin(demo)
    with Session(demo.engine) as s:
        last = s.scalars(
            select(Article.id)
            .join(EventArticle, EventArticle.article_id == Article.id)
            .where(EventArticle.event_id == demo.major_event)
            .order_by(Article.published_at.desc())
        ).first()
    sign_in(page, "analyst")
    page.goto(f"/events/{demo.major_event}")
    assert page.locator("button:has-text('拆分为新事件')").count() == 3
    page.locator(f"form:has(input[name=article_id][value='{last}']) button").click()
    page.wait_for_url(f"**/events/{demo.major_event}")
    flash = page.locator(".flash").inner_text()
    assert "已将文章拆分为事件 #" in flash
    new_id = int(flash.split("#", 1)[1].split("，", 1)[0])
    assert page.locator("button:has-text('拆分为新事件')").count() == 2
    split, _ = jiangyin(demo)
    assert split < before  # one more distrust event for 江阴 in May
    page.goto(f"/events/{new_id}")
    # the correction panel opens by itself on an event with a correction history (the split is one)
    assert page.locator("#merge-event").is_visible()
    page.fill("#merge-event input[name=target]", str(demo.major_event))
    page.click("#merge-event button")
    page.wait_for_url(f"**/events/{demo.major_event}")
    assert f"事件 #{new_id} 已并入本事件" in page.locator(".flash").inner_text()
    assert page.locator("button:has-text('拆分为新事件')").count() == 3
    rows = page.locator("#corrections tbody").inner_text()
    assert "拆分文章" in rows and "合并事件" in rows
    merged, _ = jiangyin(demo)
    assert merged == pytest.approx(before)
    with Session(demo.engine) as s:
        assert s.get(Event, new_id) is None
        fields = sorted(c.field for c in s.scalars(select(EventCorrection)))
        # the split event's own history moved with it into the event it was merged into
        assert fields == ["detach", "detach", "merge"]
