"""The service's scheduler: APScheduler 3.x with its jobs persisted in the configured database.

Jobs are stored by text reference (`monitor.jobs:crawl`), so a restart finds them with their next run times: a
monthly report due while the service was down still runs within the misfire grace time. Every run outcome
(executed, error, missed, skipped because the previous run is still going) is logged and kept in `job_runs`.

Intervals come from `[schedule]` in the creditwatch TOML file, overridden by `CREDITWATCH_SCHEDULE_*` variables.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobExecutionEvent,
    JobSubmissionEvent,
    SchedulerEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy import Engine

from config.settings import TZ
from models import JobRun, now
from monitor.jobs import failure_text
from storage.db import session_scope

log = logging.getLogger(__name__)
JOBSTORE_TABLE = "apscheduler_jobs"
CRAWL_JOBS = ("crawl-homepage", "crawl-ranking", "crawl-article", "crawl-portal")


class ScheduleConfig(BaseSettings):
    """Job timing. Minutes for interval jobs, "HH:MM" (Asia/Shanghai) for daily ones."""

    model_config = SettingsConfigDict(env_prefix="CREDITWATCH_SCHEDULE_", extra="ignore")

    homepage_minutes: Annotated[float, Field(gt=0)] = 10
    ranking_minutes: Annotated[float, Field(gt=0)] = 30
    article_minutes: Annotated[float, Field(gt=0)] = 5
    portal_at: Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")] = "03:30"
    # Processing also runs right after every crawl; this interval only catches what a failed trigger missed.
    process_minutes: Annotated[float, Field(gt=0)] = 30
    alerts_minutes: Annotated[float, Field(gt=0)] = 1
    scoring_at: Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")] = "01:15"
    reports_day: Annotated[int, Field(ge=1, le=28)] = 1
    reports_at: Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")] = "06:00"
    evidence_sweep_at: Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")] = "04:40"
    misfire_grace_seconds: Annotated[int, Field(gt=0)] = (
        900  # late runs within this window still run (once: coalesce)
    )
    workers: Annotated[int, Field(ge=1)] = 6

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _ScheduleToml(settings_cls))


class _ScheduleToml(PydanticBaseSettingsSource):
    """The `[schedule]` table of the same TOML file the main settings read."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = Path(os.environ.get("CREDITWATCH_CONFIG", "creditwatch.toml"))
        if not path.is_file():
            return {}
        with path.open("rb") as fh:
            table = tomllib.load(fh).get("schedule", {})
        return table if isinstance(table, dict) else {}


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: `func` is a text reference so the persistent store survives code reloads."""

    id: str
    name: str
    func: str
    trigger: IntervalTrigger | CronTrigger
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


def _daily(at: str, **extra: Any) -> CronTrigger:
    hour, minute = at.split(":")
    return CronTrigger(hour=int(hour), minute=int(minute), timezone=TZ, **extra)


def default_jobs(cfg: ScheduleConfig) -> list[JobSpec]:
    def every(minutes: float) -> IntervalTrigger:
        return IntervalTrigger(seconds=int(minutes * 60), timezone=TZ)

    return [
        JobSpec(
            "crawl-homepage", "采集：首页", "monitor.jobs:crawl", every(cfg.homepage_minutes), ("homepage",)
        ),
        JobSpec(
            "crawl-ranking", "采集：排行榜", "monitor.jobs:crawl", every(cfg.ranking_minutes), ("ranking",)
        ),
        JobSpec(
            "crawl-article", "采集：文章", "monitor.jobs:crawl", every(cfg.article_minutes), ("articles",)
        ),
        JobSpec("crawl-portal", "采集：信用/法院平台", "monitor.jobs:crawl_portals", _daily(cfg.portal_at)),
        JobSpec("process", "处理：分类、聚类、重大事件", "monitor.jobs:process", every(cfg.process_minutes)),
        JobSpec("alerts", "告警发送", "monitor.jobs:dispatch_alerts", every(cfg.alerts_minutes)),
        JobSpec("scoring", "指数计算", "monitor.jobs:score_recent", _daily(cfg.scoring_at)),
        JobSpec(
            "reports", "月度报告", "monitor.jobs:monthly_reports", _daily(cfg.reports_at, day=cfg.reports_day)
        ),
        JobSpec(
            "evidence-sweep",
            "维护：清理无引用的证据文件",
            "monitor.jobs:sweep_evidence",
            _daily(cfg.evidence_sweep_at),
        ),
    ]


class RunRecorder:
    """Scheduler listener: logs every outcome and stores it in `job_runs` (the console's job-run table)."""

    def __init__(self, engine: Engine, scheduler: BackgroundScheduler | None = None) -> None:
        self.engine = engine
        self.scheduler = scheduler
        self._started: dict[tuple[str, datetime], float] = {}  # submitted, not yet finished
        self._finished_early: set[tuple[str, datetime]] = set()
        self._process_again = False  # a crawl finished while processing was running
        self._lock = threading.Lock()

    def __call__(self, event: SchedulerEvent) -> None:
        try:
            self._handle(event)
        except Exception:  # a listener that raises would hide the job's own outcome; log and go on
            log.exception("could not record scheduler event %s", event)

    def _handle(self, event: SchedulerEvent) -> None:
        if event.code == EVENT_JOB_SUBMITTED:
            assert isinstance(event, JobSubmissionEvent)
            with self._lock:
                for t in event.scheduled_run_times:
                    key = (event.job_id, t)
                    if key in self._finished_early:
                        self._finished_early.discard(key)
                    else:
                        self._started[key] = time.monotonic()
            return
        if event.code == EVENT_JOB_MAX_INSTANCES:
            assert isinstance(event, JobSubmissionEvent)
            log.warning("job %s skipped: its previous run is still going (max_instances=1)", event.job_id)
            for t in event.scheduled_run_times:
                self._store(event.job_id, "skipped", t, None, "上次运行尚未结束，本次跳过")
            return
        assert isinstance(event, JobExecutionEvent)
        scheduled = event.scheduled_run_time
        with self._lock:
            started = self._started.pop((event.job_id, scheduled), None)
            if started is None and event.code != EVENT_JOB_MISSED:
                # The run ended before its submission was reported: don't let that report mark it running.
                self._finished_early.add((event.job_id, scheduled))
        # A very short job can finish before its submission is reported: then measure from the scheduled time.
        duration = (
            time.monotonic() - started
            if started is not None
            else max((datetime.now(TZ) - scheduled).total_seconds(), 0.0)
            if scheduled
            else None
        )
        if event.code == EVENT_JOB_MISSED:
            log.warning(
                "job %s missed its run at %s (beyond the misfire grace time)", event.job_id, scheduled
            )
            self._store(event.job_id, "missed", scheduled, None, "超过容许延迟，未运行")
        elif event.code == EVENT_JOB_ERROR:
            log.error("job %s failed: %r", event.job_id, event.exception, exc_info=event.exception)
            # The row is read by staff on the 运行状态 page: the reason in Chinese. The administrators' alert
            # also carries the exception itself, for whoever they hand it to.
            detail = failure_text(event.exception)
            technical = f"{type(event.exception).__name__}: {event.exception}"
            self._store(event.job_id, "error", scheduled, duration, detail)
            self._tell_admins(event.job_id, scheduled, detail, technical)
        elif event.code == EVENT_JOB_EXECUTED:
            log.info("job %s done in %.1fs: %s", event.job_id, duration or 0.0, event.retval)
            self._store(
                event.job_id,
                "executed",
                scheduled,
                duration,
                None if event.retval is None else str(event.retval),
            )
        crawled = event.job_id in CRAWL_JOBS and event.code == EVENT_JOB_EXECUTED
        processed = event.job_id == "process" and event.code in (EVENT_JOB_EXECUTED, EVENT_JOB_ERROR)
        if crawled or (processed and self._process_again):
            self._process_now()

    def _tell_admins(self, job_id: str, scheduled: datetime | None, detail: str, technical: str) -> None:
        """A failed run is an alert to the administrators, not only a row in job_runs (nothing fails silently).

        Sent from a thread of its own: this listener runs while the scheduler holds its job-store lock (looking the
        job's name up here would deadlock), and a slow mail server must not hold up the next runs."""

        def send() -> None:
            from monitor.alerts.operations import job_failure_message, notify_admins

            try:
                job = self.scheduler.get_job(job_id) if self.scheduler is not None else None
                name = job.name if job is not None and job.name else job_id
                notify_admins(job_failure_message(job_id, name, scheduled, detail, technical))
            except Exception:  # the job's failure is already recorded; a broken channel must not hide it
                log.exception("could not send the failure alert of job %s", job_id)

        threading.Thread(target=send, name=f"alert-{job_id}", daemon=True).start()

    def _process_now(self) -> None:
        """After a crawl, bring the processing job forward instead of waiting for its interval. If processing is
        running, ask for one more run when it ends (bringing it forward now would only be skipped)."""
        if self.scheduler is None or self.scheduler.get_job("process") is None:
            return
        with self._lock:
            if any(job_id == "process" for job_id, _ in self._started):
                self._process_again = True
                return
            self._process_again = False
        self.scheduler.modify_job("process", next_run_time=datetime.now(TZ))

    def _store(
        self,
        job_id: str,
        outcome: str,
        scheduled: datetime | None,
        duration: float | None,
        detail: str | None,
    ) -> None:
        with session_scope(self.engine) as s:
            s.add(
                JobRun(
                    job_id=job_id[:64],
                    outcome=outcome,
                    scheduled_at=scheduled.astimezone(TZ) if scheduled else None,
                    recorded_at=now(),
                    duration_s=duration,
                    detail=detail[:2000] if detail else None,
                )
            )


def build_scheduler(engine: Engine, cfg: ScheduleConfig | None = None) -> BackgroundScheduler:
    """A scheduler with the persistent job store on `engine`, explicit defaults and the run recorder attached."""
    cfg = cfg or ScheduleConfig()
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)},
        executors={"default": ThreadPoolExecutor(cfg.workers)},
        job_defaults={
            "coalesce": True,  # after downtime, run once rather than once per missed slot
            "max_instances": 1,  # a crawl still running when its next slot comes is skipped, not doubled
            "misfire_grace_time": cfg.misfire_grace_seconds,  # the default (1 s) silently drops late runs
        },
        timezone=TZ,
    )
    scheduler.add_listener(
        RunRecorder(engine, scheduler),
        EVENT_JOB_SUBMITTED
        | EVENT_JOB_MAX_INSTANCES
        | EVENT_JOB_MISSED
        | EVENT_JOB_ERROR
        | EVENT_JOB_EXECUTED,
    )
    return scheduler


def _same(job: Any, spec: JobSpec) -> bool:
    return (
        job.func_ref == spec.func
        and tuple(job.args) == spec.args
        and dict(job.kwargs) == spec.kwargs
        and str(job.trigger) == str(spec.trigger)
        and job.name == spec.name
    )


def sync_jobs(scheduler: BackgroundScheduler, specs: list[JobSpec]) -> dict[str, str]:
    """Make the stored jobs match `specs`: unchanged jobs keep their stored next run time (so a run that fell due
    while the service was down still fires), changed ones are replaced, unknown ones removed."""
    wanted = {s.id: s for s in specs}
    actions: dict[str, str] = {}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            scheduler.remove_job(job.id)
            actions[job.id] = "removed"
    for spec in specs:
        job = scheduler.get_job(spec.id)
        if job is not None and _same(job, spec):
            actions[spec.id] = "kept"
            continue
        scheduler.add_job(
            spec.func,
            trigger=spec.trigger,
            args=spec.args,
            kwargs=spec.kwargs,
            id=spec.id,
            name=spec.name,
            replace_existing=True,
        )
        actions[spec.id] = "replaced" if job is not None else "added"
    return actions


def start(
    engine: Engine, cfg: ScheduleConfig | None = None, specs: list[JobSpec] | None = None
) -> BackgroundScheduler:
    """Build, reconcile the stored jobs while paused (so nothing fires half-configured), then run."""
    cfg = cfg or ScheduleConfig()
    scheduler = build_scheduler(engine, cfg)
    scheduler.start(paused=True)
    actions = sync_jobs(scheduler, specs if specs is not None else default_jobs(cfg))
    log.info("scheduler jobs: %s", ", ".join(f"{k}={v}" for k, v in sorted(actions.items())))
    scheduler.resume()
    return scheduler


def stop(scheduler: BackgroundScheduler, wait: bool = True) -> None:
    """Stop taking new runs; with `wait`, let running jobs (and their crawl processes) finish first."""
    if scheduler.running:
        scheduler.shutdown(wait=wait)
