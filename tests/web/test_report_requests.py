"""Reports requested in the console: written in the background by the real report code on the seeded data, their
outcome shown on the reports page; failures, duplicates, stale entries and shutdown."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from config.settings import Settings
from models import ReportRequest, ReportState, now
from monitor import jobs
from monitor.reports import ReportError
from monitor.web.report_runner import ReportRunner
from storage.db import session_factory
from tests.web.conftest import csrf_of
from tests.web.seed import XSS_TITLE

T = TypeVar("T")
HTML_NAME = "creditwatch-report-320281-2026-10.html"
XLSX_NAME = "creditwatch-report-320281-2026-10.xlsx"


def wait_for(check: Callable[[], T], timeout: float = 120.0) -> T:
    """Poll `check` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s")
        time.sleep(0.05)
    return value


def requests_in(engine: Engine) -> list[ReportRequest]:
    with Session(engine) as s:
        return list(s.scalars(select(ReportRequest).order_by(ReportRequest.id)))


def settled(engine: Engine, count: int) -> list[ReportRequest]:
    """Wait until `count` requests exist and none is queued or running."""

    def check() -> list[ReportRequest]:
        rows = requests_in(engine)
        done = len(rows) == count and all(
            r.state not in (ReportState.QUEUED, ReportState.RUNNING) for r in rows
        )
        return rows if done else []

    return wait_for(check)


def generate(client: TestClient, month: str = "2026-10", city: str = "320281", *formats: str) -> Any:
    token = csrf_of(client.get("/reports").text)
    return client.post(
        "/reports/generate",
        data={"csrf_token": token, "month": month, "city": city, "formats": list(formats or ("html",))},
    )


@dataclass
class Gate:
    """Holds each report write until released, then runs the real one; records what it was asked to write."""

    opened: threading.Event = field(default_factory=threading.Event)
    entered: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    calls: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def wait_entered(self) -> None:
        assert self.entered.acquire(timeout=60), "no report write started"


@pytest.fixture
def gate(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    """After `client`, so it is opened before the client's shutdown waits for the running reports."""
    g = Gate()
    real = jobs.write_reports

    def gated(session: Session, month: str, city: str, formats: list[str], out_dir: Path) -> list[Path]:
        g.calls.append((month, city, list(formats)))
        g.entered.release()
        assert g.opened.wait(60), "gate never opened"
        return real(session, month, city, formats, out_dir)

    monkeypatch.setattr(jobs, "write_reports", gated)
    yield g
    g.opened.set()


def test_post_redirects_at_once_and_the_files_appear_when_done(
    as_analyst: TestClient, gate: Gate, engine: Engine, web_settings: Settings
) -> None:
    r = generate(as_analyst, "2026-10", "320281", "xlsx", "html")
    # The write is held at the gate, so this redirect cannot have waited for it.
    assert r.status_code == 303 and r.headers["location"] == "/reports"
    gate.wait_entered()
    page = as_analyst.get("/reports").text
    assert "已提交 2026-10 江阴市 报告（HTML、XLSX）" in page
    assert "生成中" in page and HTML_NAME not in page
    assert gate.calls == [("2026-10", "320281", ["html", "xlsx"])]

    gate.opened.set()
    [done] = settled(engine, 1)
    assert done.state is ReportState.DONE and done.files == [HTML_NAME, XLSX_NAME] and done.error is None
    assert done.requested_by == "analyst" and done.active_key is None and done.finished_at is not None
    page = as_analyst.get("/reports").text
    assert "已完成" in page and f'href="/reports/file/2026-10/{XLSX_NAME}"' in page
    got = as_analyst.get(f"/reports/file/2026-10/{HTML_NAME}")
    assert got.status_code == 200 and "江阴" in got.text
    assert got.content == (web_settings.data_dir / "reports" / "2026-10" / HTML_NAME).read_bytes()


def test_a_real_failure_is_shown_and_the_console_stays_up(as_analyst: TestClient, engine: Engine) -> None:
    assert generate(as_analyst, "2026-10", "999999").status_code == 303  # a well-formed code of no city
    [failed] = settled(engine, 1)
    assert failed.state is ReportState.FAILED and "999999" in (failed.error or "")
    page = as_analyst.get("/reports").text
    assert "失败" in page and "报告无法生成：行政区划表中没有代码为 999999 的城市" in page
    # The same request may be made again at once: a failed one is not in flight.
    assert generate(as_analyst, "2026-10", "320281").status_code == 303
    assert [r.state for r in settled(engine, 2)] == [ReportState.FAILED, ReportState.DONE]
    assert as_analyst.get("/events").status_code == 200


def test_an_error_message_quoting_crawled_text_is_escaped(
    as_analyst: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*_args: Any) -> list[Path]:
        raise ReportError(f"无法排版事件「{XSS_TITLE}」")

    monkeypatch.setattr(jobs, "write_reports", failing)
    generate(as_analyst)
    settled(engine, 1)
    page = as_analyst.get("/reports").text
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;江阴某公司拖欠工资&lt;img" in page
    assert "<script>" not in page and "<img src=x" not in page


def test_the_same_request_in_flight_starts_once(as_analyst: TestClient, gate: Gate, engine: Engine) -> None:
    generate(as_analyst, "2026-10", "320281", "html", "xlsx")
    gate.wait_entered()
    generate(as_analyst, "2026-10", "320281", "xlsx", "html")  # the same set of formats
    page = as_analyst.get("/reports").text
    assert "已在生成中，未重复提交" in page
    generate(as_analyst, "2026-10", "320281", "html")  # another set: a request of its own
    gate.wait_entered()
    gate.opened.set()
    rows = settled(engine, 2)
    assert [(r.formats, r.state) for r in rows] == [
        ("html,xlsx", ReportState.DONE),
        ("html", ReportState.DONE),
    ]
    assert sorted(c[2] for c in gate.calls) == [["html"], ["html", "xlsx"]]


def test_simultaneous_requests_start_once(app: FastAPI, gate: Gate, engine: Engine) -> None:
    """Threads racing past the in-flight check: the unique key in the database lets one through."""
    runner: ReportRunner = app.state.report_runner
    start = threading.Barrier(4)
    results: list[bool] = []

    def submit() -> None:
        start.wait()
        results.append(runner.submit("2026-10", "320281", ["html"], "analyst").started)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == [False, False, False, True]
    gate.opened.set()
    assert [r.state for r in settled(engine, 1)] == [ReportState.DONE]
    assert len(gate.calls) == 1


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _add(engine: Engine, *, started_minutes_ago: float, worker: str, formats: str = "html") -> int:
    at = now()
    with session_factory(engine)() as s:
        row = ReportRequest(
            month="2026-10",
            city_code="320281",
            formats=formats,
            requested_by="analyst",
            state=ReportState.RUNNING,
            active_key=f"2026-10/320281/{formats}",
            worker=worker,
            requested_at=at - timedelta(minutes=started_minutes_ago + 1),
            started_at=at - timedelta(minutes=started_minutes_ago),
        )
        s.add(row)
        s.commit()
        return row.id


def test_stale_running_entries_are_shown_abandoned(as_analyst: TestClient, engine: Engine) -> None:
    old = _add(engine, started_minutes_ago=90, worker="report-host-elsewhere:4242:1")
    dead = _add(
        engine, started_minutes_ago=1, worker=f"{socket.gethostname()}:{_dead_pid()}:1", formats="pdf"
    )
    # A restarted container often gets its old pid back: the incarnation tells the two apart.
    earlier = _add(
        engine, started_minutes_ago=1, worker=f"{socket.gethostname()}:{os.getpid()}:0", formats="xlsx"
    )
    fresh = _add(engine, started_minutes_ago=1, worker="report-host-elsewhere:4243:1", formats="docx")
    page = as_analyst.get("/reports").text
    assert page.count(">已放弃</span>") == 3 and "超过 30 分钟仍未完成" in page and "服务进程已退出" in page
    states = {r.id: r.state for r in requests_in(engine)}
    assert states == {
        old: ReportState.ABANDONED,
        dead: ReportState.ABANDONED,
        earlier: ReportState.ABANDONED,
        fresh: ReportState.RUNNING,
    }
    # The abandoned one no longer blocks the same request.
    generate(as_analyst, "2026-10", "320281", "html")
    assert "已提交" in as_analyst.get("/reports").text


def test_startup_abandons_what_a_dead_process_left_running(app: FastAPI, engine: Engine) -> None:
    dead = _add(engine, started_minutes_ago=1, worker=f"{socket.gethostname()}:{_dead_pid()}:1")
    with TestClient(app, base_url="http://127.0.0.1"):
        [row] = requests_in(engine)
        assert row.id == dead and row.state is ReportState.ABANDONED and row.active_key is None


def test_stopping_lets_the_running_report_finish_and_abandons_the_waiting_ones(
    engine: Engine, web_settings: Settings, seeded: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate()
    real = jobs.write_reports

    def gated(session: Session, month: str, city: str, formats: list[str], out_dir: Path) -> list[Path]:
        gate.entered.release()
        assert gate.opened.wait(60)
        return real(session, month, city, formats, out_dir)

    monkeypatch.setattr(jobs, "write_reports", gated)
    runner = ReportRunner(session_factory(engine), web_settings.data_dir / "reports", workers=1)
    assert runner.submit("2026-10", "320281", ["html"], "analyst").started
    gate.wait_entered()
    waiting_id = runner.submit("2026-10", "320281", ["xlsx"], "analyst").request_id  # waits for the worker
    assert waiting_id is not None
    waiting_run = runner._futures[waiting_id]
    closing = threading.Thread(target=runner.close)
    closing.start()
    # close() cancels the waiting request first, then waits for the running one.
    wait_for(waiting_run.cancelled)
    gate.opened.set()
    closing.join(120)
    assert not closing.is_alive()
    running, waiting = requests_in(engine)
    assert running.state is ReportState.DONE and running.files == [HTML_NAME]
    assert waiting.state is ReportState.ABANDONED and waiting.error == "控制台停止时尚未开始生成"
    assert waiting.active_key is None
