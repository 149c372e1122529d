"""Every console page a member of staff reads is Chinese: no English phrase in the visible text (identifiers such as
codes, the product and model names aside, see tests/staff_text.py), including the forms added for manual events,
evidence, cluster membership and the feedback owner, and the 运行状态 page after the scheduler's real jobs ran."""

from __future__ import annotations

import errno
import json
import re
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.date import DateTrigger
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from config.settings import TZ, get_settings
from crawlers.run import CrawlSummary
from models import JobRun
from monitor import jobs
from monitor import scheduler as sched
from tests.staff_text import english_phrases, visible_text
from tests.web.conftest import csrf_of
from tests.web.evidence_samples import pdf_bytes
from tests.web.seed import XSS_TITLE, Seeded

# `creditwatch serve` on the status page is a command to type, for the engineer who runs the service. The runs'
# summaries and errors beside it are read by staff, and checked with the rest.
ENGINEERS = re.compile(r"<code>.*?</code>", re.S)
# What the pages show as it is: account names, a crawled title, the configured alert address and channel names.
DATA = ("admin", "analyst", "viewer", XSS_TITLE, "duty@example.org", "通报.pdf")


def _pages(seeded: Seeded) -> list[str]:
    return [
        "/dashboard",
        "/dashboard?at=2026-10-10",
        "/events",
        f"/events/{seeded.major_event}",
        f"/events/{seeded.trust_event}",
        f"/events/{seeded.suqian_event}",
        "/incidents",
        "/cities",
        "/cities/320281?month=2026-10",
        "/reports",
        "/status",
        "/review",
        "/entry/inputs",
        "/entry/event",
        "/admin",
    ]


@pytest.mark.parametrize("role_client", ["as_admin", "as_viewer"])
def test_console_pages_have_no_english(
    role_client: str, request: pytest.FixtureRequest, seeded: Seeded
) -> None:
    client: TestClient = request.getfixturevalue(role_client)
    found: dict[str, list[str]] = {}
    for path in _pages(seeded):
        r = client.get(path)
        if r.status_code == 403:
            continue  # a viewer's refusal page is checked like any other page below
        assert r.status_code == 200, (path, r.status_code)
        phrases = english_phrases(visible_text(ENGINEERS.sub(" ", r.text)), DATA)
        if phrases:
            found[path] = phrases
    assert found == {}


def test_the_entries_record_chinese_history(as_admin: TestClient, seeded: Seeded) -> None:
    """After a manual event, an evidence file, an owner and a split, the event pages still read in Chinese."""
    page = as_admin.get("/entry/event").text
    r = as_admin.post(
        "/entry/event",
        data={
            "csrf_token": csrf_of(page),
            "title": "江阴一商场消防通道被堵",
            "day": "2026-10-15",
            "city": "江阴",
            "kind": "distrust",
            "domain": "business",
            "major": "1",
        },
        files={"evidence": ("通报.pdf", pdf_bytes(), "application/pdf")},
    )
    manual = r.headers["location"]
    page = as_admin.get(f"/events/{seeded.major_event}").text
    as_admin.post(f"/events/{seeded.major_event}/owner", data={"csrf_token": csrf_of(page), "owner": "admin"})
    article = page.split('name="article_id" value="', 1)[1].split('"', 1)[0]
    as_admin.post(
        f"/events/{seeded.major_event}/detach", data={"csrf_token": csrf_of(page), "article_id": article}
    )
    for path in (manual, f"/events/{seeded.major_event}", "/entry/event", "/dashboard?at=2026-10-10"):
        assert english_phrases(visible_text(as_admin.get(path).text), DATA) == [], path


def _crawled(spider: str, responses: int) -> CrawlSummary:
    return CrawlSummary(
        spider=spider, run_id=f"{spider}-20261204T101500-a1b2c3", returncode=0, seconds=12.0, peak_rss_mb=80.0,
        stats={"downloader/response_count": responses}, sites={"people": {"items": 4}}, log_tail="INFO: Spider closed",
    )  # fmt: skip


def _runs(engine: Engine) -> dict[str, JobRun]:
    with Session(engine) as s:
        return {r.job_id: r for r in s.scalars(select(JobRun).where(JobRun.recorded_at > STARTED[0]))}


STARTED: list[datetime] = []


def _run_now(scheduler: Any, engine: Engine, job_ids: list[str], timeout: float = 90.0) -> dict[str, JobRun]:
    """Add the real jobs `job_ids` (their production function, arguments and Chinese name) to fire at once and wait
    until the recorder has stored each one's outcome."""
    specs = {spec.id: spec for spec in sched.default_jobs(sched.ScheduleConfig())}
    for job_id in job_ids:
        spec = specs[job_id]
        when = DateTrigger(datetime.now(TZ) + timedelta(milliseconds=200), timezone=TZ)
        scheduler.add_job(spec.func, trigger=when, args=spec.args, id=spec.id, name=spec.name)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = _runs(engine)
        if all(j in runs for j in job_ids):
            return runs
        time.sleep(0.1)
    raise AssertionError(f"jobs not recorded in time: {sorted(set(job_ids) - set(_runs(engine)))}")


def test_status_page_after_real_job_runs_has_no_english(
    configured: Path, engine: Engine, as_admin: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduler runs the production jobs (crawls and portal crawls with their child processes stood in for,
    processing, alert dispatch with one channel that cannot deliver, scoring, the monthly report); the status page
    then shows their summaries and errors in Chinese. An old row stored in English is shown as it was stored."""
    import crawlers.run

    channels = [
        {"name": "本地发件箱", "kind": "file"},
        {"name": "值班邮箱", "kind": "email"},
    ]  # no recipients
    monkeypatch.setenv("CREDITWATCH_ALERT_CHANNELS", json.dumps(channels, ensure_ascii=False))
    get_settings.cache_clear()

    def crawl(spider: str, **_: Any) -> CrawlSummary:
        if spider == "articles":
            raise OSError(errno.ENOSPC, "No space left on device")
        return _crawled(spider, responses=0 if spider == "ranking" else 6)

    real_run = subprocess.run

    def portal(cmd: list[str], **kw: Any) -> Any:
        if cmd[1:3] != ["-m", "crawlers.portals.run"]:
            return real_run(cmd, **kw)
        failed = cmd[3] == "portal_wenshu"
        return subprocess.CompletedProcess(cmd, 1 if failed else 0, "", "Error: SESSION cookie rejected")

    monkeypatch.setattr(crawlers.run, "run_crawl", crawl)
    monkeypatch.setattr(jobs.subprocess, "run", portal)
    old = "sent 2, failed 0, dead 0"  # what the alert job stored before its summaries were Chinese
    with Session(engine) as s:
        s.add(
            JobRun(
                job_id="alerts",
                outcome="executed",
                recorded_at=datetime(2026, 10, 14, 9, tzinfo=TZ),
                detail=old,
            )
        )
        s.commit()
    STARTED[:] = [datetime.now(TZ)]
    scheduler = sched.start(engine, sched.ScheduleConfig(misfire_grace_seconds=60, workers=2), [])
    try:
        _run_now(
            scheduler, engine, ["crawl-homepage", "crawl-ranking", "crawl-article", "crawl-portal", "process"]
        )
        runs = _run_now(scheduler, engine, ["alerts", "scoring", "reports"])
    finally:
        sched.stop(scheduler, wait=True)
        get_settings.cache_clear()

    outcomes = {job_id: run.outcome for job_id, run in runs.items()}
    assert outcomes == {
        "crawl-homepage": "executed",
        "crawl-ranking": "error",
        "crawl-article": "error",
        "crawl-portal": "error",
        "process": "executed",
        "alerts": "executed",
        "scoring": "executed",
        "reports": "executed",
    }
    page = as_admin.get("/status").text
    expected = [
        "首页 homepage-20261204T101500-a1b2c3：响应 6 个，条目 4 条，用时 12 秒",
        "排行榜 ranking-20261204T101500-a1b2c3：响应 0 个，条目 4 条，用时 12 秒；没有任何网站响应（网络是否中断？）",
        "磁盘空间不足（技术细节见服务日志）",
        "信用/法院平台 4 个已完成：信用中国、中国执行信息公开网、人民法院公告网、省市信用网站；"
        "1 个失败：中国裁判文书网（异常退出，退出码 1）",
        "分类：",
        "；告警排队：",
        "未能送达的渠道：值班邮箱",
        "的指数（模型 jiangsu2016 1.0.0）",
        "已生成江阴市 ",
        "月度报告 4 份：HTML、PDF、XLSX、DOCX",
        old,  # history is not rewritten
    ]
    assert [text for text in expected if text not in page] == []
    assert english_phrases(visible_text(ENGINEERS.sub(" ", page)), (*DATA, old)) == []
