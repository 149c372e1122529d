"""The scheduler on a real (SQLite file) job store: on-time runs, skipped overlaps, errors, misses, persistence."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from config.settings import TZ
from models import JobRun
from monitor import scheduler as sched
from storage.db import make_engine
from tests.web import sched_jobs

REF = "tests.web.sched_jobs"


@pytest.fixture
def job_engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def running() -> Iterator[list[BackgroundScheduler]]:
    sched_jobs.reset()
    started: list[BackgroundScheduler] = []
    yield started
    for s in started:
        sched.stop(s, wait=True)


def every(seconds: float) -> IntervalTrigger:
    return IntervalTrigger(seconds=seconds, timezone=TZ)


def runs(engine: Engine, job_id: str | None = None) -> list[JobRun]:
    with Session(engine) as s:
        stmt = select(JobRun).order_by(JobRun.id)
        if job_id:
            stmt = stmt.where(JobRun.job_id == job_id)
        return list(s.scalars(stmt))


def wait_for(predicate, timeout: float = 8.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


CFG = sched.ScheduleConfig(misfire_grace_seconds=30, workers=4)


def test_job_defaults_and_time_zone_are_explicit(
    job_engine: Engine, running: list[BackgroundScheduler]
) -> None:
    s = sched.start(job_engine, CFG, [sched.JobSpec("tick", "tick", f"{REF}:quick", every(60), ("x",))])
    running.append(s)
    job = s.get_job("tick")
    assert str(s.timezone) == "Asia/Shanghai"
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 30)


def test_job_fires_on_time_and_each_run_is_recorded(
    job_engine: Engine, running: list[BackgroundScheduler]
) -> None:
    s = sched.start(job_engine, CFG, [sched.JobSpec("tick", "tick", f"{REF}:quick", every(1), ("tick",))])
    running.append(s)
    wait_for(lambda: len(runs(job_engine, "tick")) >= 2)
    recorded = runs(job_engine, "tick")[:2]
    assert [r.outcome for r in recorded] == ["executed", "executed"]
    for r in recorded:
        assert r.scheduled_at is not None and r.scheduled_at.tzinfo is not None
        lateness = (r.recorded_at - r.scheduled_at).total_seconds()
        assert 0 <= lateness < 0.8, f"ran {lateness:.2f} s late"
        assert r.detail == "tick done"
    gap = (recorded[1].scheduled_at - recorded[0].scheduled_at).total_seconds()  # type: ignore[operator]
    assert gap == pytest.approx(1.0, abs=0.01)


def test_overlapping_run_is_skipped_and_recorded(
    job_engine: Engine, running: list[BackgroundScheduler]
) -> None:
    s = sched.start(job_engine, CFG, [sched.JobSpec("slow", "slow", f"{REF}:slow", every(0.5), (1.6,))])
    running.append(s)
    wait_for(lambda: any(r.outcome == "skipped" for r in runs(job_engine, "slow")))
    skipped = [r for r in runs(job_engine, "slow") if r.outcome == "skipped"]
    assert "上次运行尚未结束" in (skipped[0].detail or "")
    assert sched_jobs.MAX_CONCURRENT == 1  # max_instances=1: never two at once


def test_failed_run_is_recorded_with_its_error(
    job_engine: Engine, running: list[BackgroundScheduler]
) -> None:
    s = sched.start(job_engine, CFG, [sched.JobSpec("boom", "boom", f"{REF}:boom", every(0.5))])
    running.append(s)
    wait_for(lambda: bool(runs(job_engine, "boom")))
    run = runs(job_engine, "boom")[0]
    # staff read the row: the reason in Chinese, the exception itself only in the log
    assert run.outcome == "error" and run.detail == "程序内部错误（技术细节见服务日志）"


def test_run_beyond_the_grace_time_is_recorded_as_missed(
    job_engine: Engine, running: list[BackgroundScheduler]
) -> None:
    cfg = sched.ScheduleConfig(misfire_grace_seconds=1)
    long_ago = datetime.now(TZ) - timedelta(seconds=30)
    s = sched.start(
        job_engine,
        cfg,
        [sched.JobSpec("late", "late", f"{REF}:quick", DateTrigger(long_ago, timezone=TZ), ("late",))],
    )
    running.append(s)
    wait_for(lambda: bool(runs(job_engine, "late")))
    assert [r.outcome for r in runs(job_engine, "late")] == ["missed"]
    assert sched_jobs.CALLS == []


def test_a_crawl_brings_processing_forward(job_engine: Engine, running: list[BackgroundScheduler]) -> None:
    specs = [
        sched.JobSpec("crawl-homepage", "crawl", f"{REF}:quick", every(1), ("crawl",)),
        sched.JobSpec("process", "process", f"{REF}:quick", every(3600), ("process",)),
    ]
    s = sched.start(job_engine, CFG, specs)
    running.append(s)
    wait_for(lambda: any(tag == "process" for tag, _ in sched_jobs.CALLS))
    crawl_at = next(at for tag, at in sched_jobs.CALLS if tag == "crawl")
    process_at = next(at for tag, at in sched_jobs.CALLS if tag == "process")
    assert timedelta(0) <= process_at - crawl_at < timedelta(seconds=1)


def test_stored_jobs_survive_a_restart_and_follow_config_changes(job_engine: Engine) -> None:
    spec = sched.JobSpec("daily", "每日", f"{REF}:quick", every(3600), ("d",))
    first = sched.start(
        job_engine, CFG, [spec, sched.JobSpec("old", "old", f"{REF}:quick", every(60), ("o",))]
    )
    next_run = first.get_job("daily").next_run_time
    sched.stop(first)
    time.sleep(0.05)
    scheduler = sched.build_scheduler(job_engine, CFG)
    scheduler.start(paused=True)
    try:
        assert sched.sync_jobs(scheduler, [spec]) == {"old": "removed", "daily": "kept"}
        assert scheduler.get_job("daily").next_run_time == next_run  # not recomputed: a due run is not lost
        changed = sched.JobSpec("daily", "每日", f"{REF}:quick", every(1800), ("d",))
        assert sched.sync_jobs(scheduler, [changed]) == {"daily": "replaced"}
        assert scheduler.get_job("daily").trigger.interval == timedelta(minutes=30)
    finally:
        sched.stop(scheduler)


def test_default_jobs_cover_every_stage() -> None:
    specs = {s.id: s for s in sched.default_jobs(sched.ScheduleConfig())}
    assert set(specs) == {
        "crawl-homepage",
        "crawl-ranking",
        "crawl-article",
        "crawl-portal",
        "process",
        "alerts",
        "scoring",
        "reports",
        "evidence-sweep",
    }
    assert specs["crawl-homepage"].trigger.interval == timedelta(minutes=10)
    assert specs["crawl-ranking"].trigger.interval == timedelta(minutes=30)
    assert specs["crawl-article"].args == ("articles",)
    assert specs["alerts"].trigger.interval == timedelta(minutes=1)
    assert specs["reports"].func == "monitor.jobs:monthly_reports"
    assert specs["evidence-sweep"].func == "monitor.jobs:sweep_evidence"
    after = datetime(2026, 11, 23, 12, 0, tzinfo=TZ)
    assert specs["reports"].trigger.get_next_fire_time(None, after) == datetime(2026, 12, 1, 6, 0, tzinfo=TZ)
    assert specs["scoring"].trigger.get_next_fire_time(None, after) == datetime(
        2026, 11, 24, 1, 15, tzinfo=TZ
    )
    # Every referenced function exists (the job store would fail only when the job first runs).
    import importlib

    for s in specs.values():
        module, name = s.func.split(":")
        assert callable(getattr(importlib.import_module(module), name))


def test_intervals_come_from_toml_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg_file = tmp_path / "creditwatch.toml"
    cfg_file.write_text('[schedule]\nhomepage_minutes = 15\nreports_at = "07:30"\n', encoding="utf-8")
    monkeypatch.setenv("CREDITWATCH_CONFIG", str(cfg_file))
    monkeypatch.setenv("CREDITWATCH_SCHEDULE_RANKING_MINUTES", "45")
    cfg = sched.ScheduleConfig()
    assert (cfg.homepage_minutes, cfg.ranking_minutes, cfg.reports_at) == (15, 45, "07:30")
    monkeypatch.setenv("CREDITWATCH_SCHEDULE_PORTAL_AT", "3pm")
    with pytest.raises(ValueError):
        sched.ScheduleConfig()


def test_console_shows_next_runs_of_a_scheduler_in_another_process(engine: Engine, web_settings) -> None:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from monitor.web import create_app
    from tests.web.conftest import login

    s = sched.start(
        engine, CFG, [sched.JobSpec("crawl-ranking", "采集：排行榜", f"{REF}:quick", every(3600), ("r",))]
    )
    next_run = s.get_job("crawl-ranking").next_run_time
    sched.stop(s)
    # The console has no scheduler of its own: it reads the persistent job store.
    with TestClient(
        create_app(engine, web_settings), base_url="http://127.0.0.1", follow_redirects=False
    ) as c:
        html = login(c, "viewer").get("/status").text
    assert "crawl-ranking" in html and next_run.strftime("%Y-%m-%d %H:%M") in html
    assert "调度器未运行" not in html


def test_crawl_during_processing_queues_one_more_run_instead_of_a_skip(
    job_engine: Engine, running: list[BackgroundScheduler]
) -> None:
    specs = [
        sched.JobSpec("crawl-homepage", "crawl", f"{REF}:quick", every(0.3), ("crawl",)),
        sched.JobSpec("process", "process", f"{REF}:slow", every(3600), (0.8,)),
    ]
    s = sched.start(job_engine, CFG, specs)
    running.append(s)
    wait_for(lambda: len(runs(job_engine, "process")) >= 2)
    assert [r.outcome for r in runs(job_engine, "process")][:2] == ["executed", "executed"]
    assert sched_jobs.MAX_CONCURRENT == 1
    assert not [r for r in runs(job_engine, "process") if r.outcome == "skipped"]


def test_failed_run_alerts_the_administrators(
    job_engine: Engine, running: list[BackgroundScheduler], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from config.settings import get_settings

    outbox = tmp_path / "outbox"
    monkeypatch.setenv("CREDITWATCH_ALERT_OUTBOX_DIR", str(outbox))
    monkeypatch.setenv(
        "CREDITWATCH_ALERT_CHANNELS",
        json.dumps(
            [{"name": "值班", "kind": "file"}, {"name": "领导群", "kind": "file", "url": str(tmp_path / "x")}]
        ),
    )
    monkeypatch.setenv("CREDITWATCH_OPS_ALERT_CHANNELS", json.dumps(["值班"]))
    get_settings.cache_clear()
    try:
        s = sched.start(job_engine, CFG, [sched.JobSpec("boom", "采集：文章", f"{REF}:boom", every(0.5))])
        running.append(s)
        wait_for(lambda: outbox.exists() and any(outbox.glob("job-failed-boom-*.json")))
    finally:
        get_settings.cache_clear()
    sent = json.loads(next(outbox.glob("job-failed-boom-*.json")).read_text(encoding="utf-8"))
    assert sent["subject"] == "【信用监测】定时任务失败：采集：文章"
    assert "错误：程序内部错误（技术细节见服务日志）" in sent["lines"]
    assert (
        "技术细节：RuntimeError: boom: the stage failed" in sent["lines"]
    )  # for whoever the admins hand it to
    assert sent["lines"][-1] == "详见控制台“运行状态”页。"  # no crawl results to re-ingest after this job
    assert not (tmp_path / "x").exists()  # only the operational channel, not the leaders' group
    assert runs(job_engine, "boom")[0].outcome == "error"


def test_only_a_failed_crawl_tells_the_administrators_about_spooled_results() -> None:
    from monitor.alerts.operations import job_failure_message

    crawl = job_failure_message("crawl-article", "采集：文章", None, "磁盘空间不足（技术细节见服务日志）")
    report = job_failure_message("reports", "月度报告", None, "程序内部错误（技术细节见服务日志）")
    assert "crawl-reingest" in crawl.lines[-1] and report.lines[-1] == "详见控制台“运行状态”页。"
