"""The jobs the scheduler runs, against a seeded database chosen by settings (as `creditwatch serve` does). What a
job returns, or the reason it fails with, is shown to staff on the 运行状态 page: each is one line of Chinese."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from config.settings import get_settings
from crawlers.run import STORAGE_FAILED, CrawlSummary
from models import Alert, AlertStatus, IndexScore
from monitor import jobs
from monitor.web import create_app
from storage.db import make_engine
from tests.web.conftest import csrf_of, login


def _summary(spider: str, returncode: int = 0, responses: int = 5, storage_failures: int = 0) -> CrawlSummary:
    return CrawlSummary(
        spider=spider, run_id=f"{spider}-1", returncode=returncode, seconds=1.0, peak_rss_mb=50.0,
        stats={"downloader/response_count": responses}, sites={"people": {"items": 3}}, log_tail="tail of the log",
        storage_failures=storage_failures,
    )  # fmt: skip


def test_crawl_job_runs_the_crawler_and_fails_on_a_failed_crawl(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import crawlers.run

    calls: list[tuple[str, dict[str, Any]]] = []

    def fake(spider: str, **kw: Any) -> CrawlSummary:
        calls.append((spider, kw))
        return outcome[spider]

    monkeypatch.setattr(crawlers.run, "run_crawl", fake)
    outcome = {
        "homepage": _summary("homepage"),
        "ranking": _summary("ranking", responses=0),
        "articles": _summary("articles", responses=0),
    }
    assert jobs.crawl("homepage") == "首页 homepage-1：响应 5 个，条目 3 条，用时 1 秒"
    assert calls[0][1]["init_db"] is False and calls[0][1]["timeout"] == jobs.CRAWL_TIMEOUT_S
    with pytest.raises(jobs.JobFailed) as no_site:
        jobs.crawl("ranking")
    assert (
        str(no_site.value)
        == "排行榜 ranking-1：响应 0 个，条目 3 条，用时 1 秒；没有任何网站响应（网络是否中断？）"
    )
    # nothing new to fetch is a quiet run, not a failure
    assert jobs.crawl("articles") == "文章 articles-1：响应 0 个，条目 3 条，用时 1 秒"
    outcome["homepage"] = _summary("homepage", returncode=1)
    with caplog.at_level(logging.ERROR, logger="monitor.jobs"), pytest.raises(jobs.JobFailed) as crashed:
        jobs.crawl("homepage")
    assert str(crashed.value).endswith("；采集进程异常退出（退出码 1）")
    assert "tail of the log" not in str(crashed.value) and "tail of the log" in caplog.text  # the log has it
    outcome["homepage"] = _summary("homepage", returncode=STORAGE_FAILED, storage_failures=4)
    with pytest.raises(
        jobs.JobFailed, match=r"；数据库拒绝写入 4 次，采集结果已暂存，数据库恢复后可重新入库$"
    ):
        jobs.crawl("homepage")
    outcome["homepage"] = _summary("homepage", returncode=-15)
    with pytest.raises(jobs.JobFailed, match=r"；超过 45 分钟仍未结束，已终止$"):
        jobs.crawl("homepage")


def test_portal_job_names_each_portal_in_chinese(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CREDITWATCH_DATABASE_URL", "sqlite:///unused.db")
    get_settings.cache_clear()
    exits = {"portal_creditchina": 0, "portal_zxgk": 0, "portal_wenshu": 2, "portal_rmfygg": None}

    def fake_run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        name = cmd[3]
        if exits[name] is None:
            raise subprocess.TimeoutExpired(cmd, kw["timeout"])
        return subprocess.CompletedProcess(cmd, exits[name], "", "Traceback: portal answered 500")

    monkeypatch.setattr(jobs.subprocess, "run", fake_run)
    try:
        assert jobs.crawl_portals(["portal_creditchina", "portal_zxgk"]) == (
            "信用/法院平台 2 个已完成：信用中国、中国执行信息公开网"
        )
        with caplog.at_level(logging.ERROR, logger="monitor.jobs"), pytest.raises(jobs.JobFailed) as failed:
            jobs.crawl_portals(["portal_creditchina", "portal_wenshu", "portal_rmfygg"])
    finally:
        get_settings.cache_clear()
    assert str(failed.value) == (
        "信用/法院平台 1 个已完成：信用中国；2 个失败：中国裁判文书网（异常退出，退出码 2）；"
        "人民法院公告网（超过 45 分钟未结束，已终止）"
    )
    assert "portal answered 500" in caplog.text


def test_unexpected_failures_are_named_by_kind() -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError

    assert (
        jobs.failure_text(jobs.JobFailed("首页 homepage-1：没有任何网站响应"))
        == "首页 homepage-1：没有任何网站响应"
    )
    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
    assert jobs.failure_text(lost) == "数据库连接中断或数据库不可用（技术细节见服务日志）"
    assert (
        jobs.failure_text(IntegrityError("INSERT", {}, Exception("dup")))
        == "数据库操作出错（技术细节见服务日志）"
    )
    assert jobs.failure_text(OSError(28, "No space left on device")) == "磁盘空间不足（技术细节见服务日志）"
    assert jobs.failure_text(KeyError("classified")) == "程序内部错误（技术细节见服务日志）"


def test_processing_scoring_and_alert_jobs_on_the_configured_database(configured: Path) -> None:
    processed = jobs.process()
    # every step by its Chinese name with its count, never the counts' dict
    assert processed.startswith("分类：") and "{" not in processed and "classified" not in processed
    assert (
        "；聚类：" in processed
        and "；重大事件认定：新增 " in processed
        and processed.endswith("；告警排队：1 条")
    )
    assert jobs.score_recent().startswith("已计算 ")
    assert jobs.score_recent().endswith(" 的指数（模型 jiangsu2016 1.0.0）")
    eng = make_engine(get_settings().database_url)
    with Session(eng) as s:
        months = set(s.scalars(select(IndexScore.month)))
        assert len(months) >= 2  # the seeded October plus the month scored now
    # A test alert queued from the admin page goes out through the outbox on the next dispatch.
    app = create_app(eng, get_settings())
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as c:
        token = csrf_of(login(c, "admin").get("/admin").text)
        assert (
            c.post(
                "/admin/channels/%E6%9C%AC%E5%9C%B0%E5%8F%91%E4%BB%B6%E7%AE%B1/test",
                data={"csrf_token": token},
            ).status_code
            == 303
        )
    # Processing queued the seeded major event's alert for the channel too: both go out.
    assert jobs.dispatch_alerts() == "已发送 2 条，发送失败 0 条（将重试），放弃 0 条"
    with Session(eng) as s:
        sent = {(a.kind, a.status) for a in s.scalars(select(Alert))}
        assert sent == {("major", AlertStatus.SENT), ("test", AlertStatus.SENT)}
    written = list(configured.rglob("*"))
    assert any(p.is_file() and "测试告警" in p.read_text(encoding="utf-8") for p in written)
    eng.dispose()


def test_processing_summary_names_each_step() -> None:
    from monitor.pipeline import summary_text

    counts: dict[str, Any] = {
        "classified": 12, "institutions": 2, "model_version": "clf-0123456789ab-2026-10-01T00:00:00",
        "reclassified_changed": 3, "events_revoted": 1, "clustered": 12, "new_events": 4,
        "new_major": list(range(1, 13)), "feedback_links": 0,
    }  # fmt: skip
    assert summary_text(counts) == (
        "分类：12 篇，登记信用制度 2 项，类别改变 3 篇，重新表决事件 1 个；聚类：12 篇，新事件 4 个；"
        "重大事件认定：新增 12 个（#1、#2、#3、#4、#5、#6、#7、#8、#9、#10等）；政府反馈关联：0 条"
    )
