"""Every console page a member of staff reads is Chinese: no English phrase in the visible text (identifiers such as
codes, the product and model names aside, see tests/staff_text.py), including the forms added for manual events,
evidence, cluster membership and the feedback owner, and the 运行状态 page after the scheduler's real jobs ran."""

from __future__ import annotations

import errno
import html
import json
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from apscheduler.triggers.date import DateTrigger
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from config.settings import TZ, AlertChannel, SmtpSettings, get_settings
from crawlers.run import CrawlSummary
from models import Alert, AlertStatus, JobRun, ReportRequest, ReportState, User
from monitor import jobs
from monitor import scheduler as sched
from monitor.alerts.channels import Message as AlertMessage
from monitor.alerts.channels import error_parts, send
from monitor.alerts.outbox import AlertPolicy, dispatch, queue_alerts
from tests.local_http import JsonPostHandler, serving
from tests.staff_text import english_phrases, visible_text
from tests.web.conftest import csrf_of, login
from tests.web.evidence_samples import pdf_bytes
from tests.web.seed import XSS_TITLE, Seeded

# `creditwatch serve` on the status page is a command to type, for the engineer who runs the service. The runs'
# summaries and errors beside it are read by staff, and checked with the rest.
ENGINEERS = re.compile(r"<code>.*?</code>", re.S)
# What the pages show as it is: account names, a crawled title, the configured alert address and channel names.
DATA = ("admin", "analyst", "viewer", XSS_TITLE, "duty@example.org", "通报.pdf")
_HAN = re.compile(r"[\u4e00-\u9fff]")


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


# --- alerts that could not be delivered ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _RefusingRelay:
    """An SMTP server that takes the connection and refuses the recipient, as a relay that does not know us."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        return f"550 5.7.1 <{address}>: Relay access denied"


@pytest.fixture
def refusing_smtp() -> Iterator[int]:
    port = _free_port()
    controller = Controller(_RefusingRelay(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


@pytest.fixture
def robots() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A robot server: /broken answers 500, /guarded answers 200 with DingTalk's keyword refusal; each request's
    body is kept (what the robot was asked to post)."""
    received: list[dict[str, Any]] = []

    class Handler(JsonPostHandler):
        def do_POST(self) -> None:
            received.append(self.posted())
            if self.path.startswith("/broken"):
                self.answer(500, b"Internal Server Error")
            else:
                self.answer(
                    200, json.dumps({"errcode": 310000, "errmsg": "keywords not in content"}).encode()
                )

    with serving(Handler) as url:
        yield url, received


# Stored by the dispatcher before delivery errors had a reason staff read: shown as it was stored.
OLD_ERROR = "SMTP 127.0.0.1:25: [Errno 111] Connection refused"


def test_undelivered_alerts_read_in_chinese(
    engine: Engine,
    seeded: Seeded,
    client: TestClient,
    refusing_smtp: int,
    robots: tuple[str, list[dict[str, Any]]],
    tmp_path: Path,
) -> None:
    """The major event's alert goes to four channels that each fail for real: a mail server refusing the
    recipient, one not listening, a robot server answering 500 and a robot refusing the message. The rows, the
    admin page (reason, then the server's words apart), the event page, the dashboard and the messages the robots
    were asked to post are Chinese; an admin's test alert is labelled 测试 and names its channel's kind in
    Chinese."""
    base, received = robots
    channels = [
        AlertChannel(name="值班邮箱", kind="email", recipients=["duty@example.org"]),
        AlertChannel(name="备用邮箱", kind="email", recipients=["duty@example.org"]),
        AlertChannel(name="钉钉群", kind="dingtalk", url=f"{base}/broken?access_token=SECRET123"),
        AlertChannel(name="企业微信群", kind="wecom", url=f"{base}/guarded?key=k"),
    ]
    relay = SmtpSettings(host="127.0.0.1", port=refusing_smtp, timeout=5)
    closed = SmtpSettings(host="127.0.0.1", port=_free_port(), timeout=5)

    def sender(ch: AlertChannel, msg: AlertMessage) -> None:
        send(ch, msg, closed if ch.name == "备用邮箱" else relay, tmp_path / "outbox")

    policy = AlertPolicy(backoff_base=timedelta(seconds=0))
    with Session(engine) as s:
        assert len(queue_alerts(s, channels, policy, watched_cities=[])) == 4
        s.add(
            Alert(
                dedup_key="major:0:旧渠道",
                channel="旧渠道",
                kind="major",
                subject="【重大失信事件】江阴市：旧告警",
                payload={},
                status=AlertStatus.DEAD,
                attempts=8,
                last_error=OLD_ERROR,
                created_at=datetime(2026, 10, 1, 9, tzinfo=TZ),
            )
        )
        s.commit()
    as_admin = login(client, "admin")
    page = as_admin.get("/admin").text
    as_admin.post("/admin/channels/钉钉群/test", data={"csrf_token": csrf_of(page)})
    report = dispatch(engine, channels, policy, sender=sender)
    assert (report.sent, report.failed) == (0, 5)

    with Session(engine) as s:
        rows = {(a.channel, a.kind): a for a in s.scalars(select(Alert).where(Alert.channel != "旧渠道"))}
    parts = {key: error_parts(row.last_error) for key, row in rows.items()}
    port = refusing_smtp
    expected = {
        ("值班邮箱", "major"): (
            f"邮件服务器（127.0.0.1:{port}）拒收收件地址 duty@example.org",
            "Relay access denied",
        ),
        ("备用邮箱", "major"): (
            "（对方拒绝连接）：邮件服务可能未运行，或地址、端口有误",
            "Connection refused",
        ),
        ("钉钉群", "major"): ("钉钉机器人服务器出错（状态码 500）：多为对方暂时故障", "HTTP 500"),
        ("钉钉群", "test"): ("钉钉机器人服务器出错（状态码 500）", "HTTP 500"),
        ("企业微信群", "major"): ("企业微信机器人拒收了消息（错误码 310000）", "keywords not in content"),
    }
    assert set(parts) == set(expected)
    for key, (reason, technical) in expected.items():
        assert reason in parts[key][0] and technical in parts[key][1], (key, parts[key])
        assert english_phrases(parts[key][0], DATA) == [], (key, parts[key][0])
    assert "SECRET123" not in "".join(row.last_error or "" for row in rows.values())

    # The administrator reads each reason, with the server's own words apart in a technical line.
    page = as_admin.get("/admin").text
    assert "Relay access denied" in page and "技术细节：<code>" in page and OLD_ERROR in page
    assert page.count("测试") >= 2  # the test alert's kind and its button
    assert english_phrases(visible_text(ENGINEERS.sub(" ", page)), (*DATA, OLD_ERROR)) == []
    # Staff read the reasons (not the server's words) by the event and on the dashboard.
    as_viewer = login(TestClient(client.app, base_url="http://127.0.0.1", follow_redirects=False), "viewer")
    for viewer_page in (f"/events/{seeded.major_event}", "/dashboard"):
        text = as_viewer.get(viewer_page).text
        assert "拒收收件地址 duty@example.org" in text and "状态码 500" in text, viewer_page
        assert "Relay access denied" not in text and "技术细节：" not in text, viewer_page
        assert english_phrases(visible_text(text), (*DATA, OLD_ERROR)) == [], viewer_page
    assert "渠道「钉钉群」有 2 条告警未能送达" in as_viewer.get("/dashboard").text

    # What the robots were asked to post: the event alert and the test alert, in Chinese.
    posted = [body["markdown"].get("text") or body["markdown"].get("content") for body in received]
    assert len(posted) == 3 and any("渠道 钉钉群（钉钉）" in text for text in posted)
    for text in posted:
        assert english_phrases(text.replace("\\", ""), DATA) == [], text


# --- reports that could not be written --------------------------------------------------------------------------


def test_failed_reports_read_in_chinese(
    as_analyst: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three requests on the reports page fail: a city code the gazetteer does not know (the report code's own
    refusal), a full disk and a missing CJK font. The page says each in Chinese, with what to do."""
    from monitor.reports.charts import ChartFontError

    real = jobs.write_reports

    def failing(session: Session, month: str, city: str, formats: list[str], out_dir: Path) -> list[Path]:
        if formats == ["xlsx"]:
            raise OSError(errno.ENOSPC, "No space left on device", str(out_dir))
        if formats == ["pdf"]:
            raise ChartFontError("no CJK font for the PDF report: install Noto Sans CJK")
        return real(session, month, city, formats, out_dir)

    monkeypatch.setattr(jobs, "write_reports", failing)
    for city, formats in (("999999", ["html"]), ("320281", ["xlsx"]), ("320281", ["pdf"])):
        page = as_analyst.get("/reports").text
        data = {"csrf_token": csrf_of(page), "month": "2026-10", "city": city, "formats": formats}
        assert as_analyst.post("/reports/generate", data=data).status_code == 303
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with Session(engine) as s:
            states = [r.state for r in s.scalars(select(ReportRequest))]
        if len(states) == 3 and all(state is ReportState.FAILED for state in states):
            break
        time.sleep(0.05)
    page = as_analyst.get("/reports").text
    for text in (
        "报告无法生成：行政区划表中没有代码为 999999 的城市",
        "报告未生成：磁盘空间不足（技术细节见服务日志）。可稍后重新提交；仍然失败请联系管理员",
        "服务器缺少中文字体，无法绘制图表或排版 PDF。请联系管理员安装中文字体后重新提交",
    ):
        assert text in page, text
    assert "No space left" not in page and "Noto" not in page
    assert english_phrases(visible_text(page), DATA) == []


# --- refusals, error pages and one-time messages --------------------------------------------------------------


def test_error_pages_and_refusals_are_chinese(
    app: FastAPI, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An address no route serves, a method a route does not take, a form missing its fields, a failure inside a
    page, an over-large upload and a Host the console does not serve: each answer is Chinese."""
    import monitor.web.views_reports

    def broken(*_: Any) -> list[Any]:
        raise RuntimeError("boom: the reports query failed")

    monkeypatch.setattr(monitor.web.views_reports.report_requests, "recent", broken)
    with TestClient(
        app, base_url="http://127.0.0.1", follow_redirects=False, raise_server_exceptions=False
    ) as c:
        login(c, "admin")
        token = csrf_of(c.get("/entry/event").text)
        answers = {
            "unknown address": c.get("/no-such-page"),
            "unknown static file": c.get("/static/missing.css"),
            "wrong method": c.delete("/events"),
            "form without its fields": c.post("/entry/event", data={"csrf_token": token}),
            "user form without its action": c.post("/admin/users/1", data={"csrf_token": token}),
            "id that is not a number": c.get("/events/abc"),
            "failure inside a page": c.get("/reports"),
            "upload too large": c.post(
                "/entry/event", content=b"x", headers={"content-length": str(50 * 1024 * 1024)}
            ),
            "unknown host": c.get("/events", headers={"host": "10.0.0.8"}),
        }
        statuses = {name: r.status_code for name, r in answers.items()}
        assert statuses == {
            "unknown address": 404,
            "unknown static file": 404,
            "wrong method": 405,
            "form without its fields": 400,
            "user form without its action": 400,
            "id that is not a number": 400,
            "failure inside a page": 500,
            "upload too large": 413,
            "unknown host": 400,
        }
        texts = {name: visible_text(r.text) for name, r in answers.items()}
        assert "参数有误：标题缺失；日期缺失；城市缺失；类别缺失" in texts["form without its fields"]
        assert "事件编号应为整数" in texts["id that is not a number"]
        assert (
            "服务器内部出错" in texts["failure inside a page"]
            and "boom" not in texts["failure inside a page"]
        )
        assert "页面或记录不存在" in texts["unknown address"]
        found = {name: english_phrases(ENGINEERS.sub(" ", t), DATA) for name, t in texts.items()}
        assert {name: phrases for name, phrases in found.items() if phrases} == {}


def test_every_route_parameter_has_a_chinese_name() -> None:
    """A refused parameter is named in Chinese on the 400 page: every route's parameters have a label."""
    from monitor.web.app import view_modules
    from monitor.web.params import _FIELD_LABELS

    def names(dependant: Any) -> set[str]:
        own = {p.alias for p in [*dependant.query_params, *dependant.path_params, *dependant.body_params]}
        return own.union(*(names(d) for d in dependant.dependencies))

    routes = [r for m in view_modules() for r in m.router.routes]
    used = set().union(*(names(r.dependant) for r in routes if isinstance(r, APIRoute)))
    assert used - {"csrf_token"} - set(_FIELD_LABELS) == set()
    assert all(_HAN.search(label) for label in _FIELD_LABELS.values())


def test_one_time_messages_are_chinese(as_admin: TestClient, engine: Engine) -> None:
    """What a form says after it was applied (a role changed, a test alert queued, a report requested) or
    refused (a month written another way)."""
    with Session(engine) as s:
        viewer = s.scalars(select(User.id).where(User.username == "viewer")).one()
    page = as_admin.get("/admin").text
    said: list[str] = []
    for path, data in (
        (f"/admin/users/{viewer}", {"action": "role", "role": "analyst"}),
        ("/admin/channels/值班邮箱/test", {}),
        ("/reports/generate", {"month": "2026-10", "city": "320281", "formats": ["html"]}),
        ("/reports/generate", {"month": "10/2026", "city": "320281"}),
    ):
        back = as_admin.post(path, data={"csrf_token": csrf_of(page), **data})
        assert back.status_code == 303, path
        page = as_admin.get(back.headers["location"]).text
        said += [html.unescape(m) for m in re.findall(r'<p class="flash \w+">(.*?)</p>', page)]
    assert said[0] == "viewer 的角色已改为「分析员」" and len(said) == 4, said
    # Only the account named is data here: a role is never shown by its code (which is also a user's name).
    assert [m for m in said if english_phrases(m, ("viewer",))] == []
