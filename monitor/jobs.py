"""The scheduler's jobs and the console's actions, each wired to the stage that does the work.

This module is the one place where the service calls into crawling, processing, alerts, scoring and reports;
the scheduler stores jobs by text reference (`monitor.jobs:crawl`), so these functions are the stable names
the persistent job store keeps across restarts and upgrades.

A job's return value and the message of a failed run are stored in `job_runs` and shown on the console's 运行状态
page, which staff read: both are one line of Chinese. The technical detail (a crawl's log tail, a portal's stderr,
a channel's error) goes to the service log, where the engineer looks.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from config.settings import get_settings
from models import Division, now
from models.vocabulary import PORTAL_LABELS, SPIDER_LABELS
from storage.db import get_engine, session_scope

if TYPE_CHECKING:
    from crawlers.run import CrawlSummary

log = logging.getLogger(__name__)


class JobFailed(RuntimeError):
    """A run that failed for a reason staff can read: the message is Chinese, the detail is in the log."""


def failure_text(exc: BaseException) -> str:
    """What the 运行状态 page says about a run that raised `exc`: our own reason as it is, anything else by its
    kind in Chinese (the exception itself is logged with its traceback by the scheduler)."""
    if isinstance(exc, JobFailed):
        return str(exc)
    from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError

    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError):
        reason = "数据库连接中断或数据库不可用"
    elif isinstance(exc, SQLAlchemyError):
        reason = "数据库操作出错"
    elif isinstance(exc, TimeoutError | subprocess.TimeoutExpired):
        reason = "运行超时"
    elif isinstance(exc, MemoryError):
        reason = "内存不足"
    elif isinstance(exc, FileNotFoundError):
        reason = "所需的文件不存在"
    elif isinstance(exc, PermissionError):
        reason = "没有读写文件的权限"
    elif isinstance(exc, ConnectionError):
        reason = "网络连接失败"
    elif isinstance(exc, OSError):
        reason = "磁盘空间不足" if exc.errno == 28 else "磁盘或网络读写出错"  # 28: ENOSPC
    else:
        reason = "程序内部错误"
    return f"{reason}（技术细节见服务日志）"


# --- crawling: each crawl runs in its own process (Scrapy's reactor cannot restart in one process) -------------

CRAWL_TIMEOUT_S = 45 * 60  # a crawl hung on a dead site must not hold its job (max_instances=1) for ever
PORTAL_SPIDERS = ("portal_creditchina", "portal_zxgk", "portal_rmfygg", "portal_wenshu", "portal_creditsite")


def crawl_line(summary: CrawlSummary) -> str:
    """One crawl in Chinese: the spider's name, its run id (to find its log), responses, items and time."""
    name = SPIDER_LABELS.get(summary.spider, summary.spider)
    return (
        f"{name} {summary.run_id}：响应 {summary.responses} 个，条目 {summary.items} 条，"
        f"用时 {summary.seconds:.0f} 秒"
    )


def _crawl_failure(summary: CrawlSummary) -> str:
    from crawlers.run import STORAGE_FAILED

    if summary.returncode == STORAGE_FAILED:
        return f"数据库拒绝写入 {summary.storage_failures} 次，采集结果已暂存，数据库恢复后可重新入库"
    if summary.returncode == -15:
        return f"超过 {CRAWL_TIMEOUT_S // 60} 分钟仍未结束，已终止"
    return f"采集进程异常退出（退出码 {summary.returncode}）"


def crawl(spider: str) -> str:
    """One crawl of `spider` (homepage, ranking, articles) in a child process; a failed crawl fails the run."""
    from crawlers.run import run_crawl

    summary = run_crawl(spider, db_url=get_settings().database_url, timeout=CRAWL_TIMEOUT_S, init_db=False)
    line = crawl_line(summary)
    if not summary.ok:
        log.error(
            "crawl %s exited %s; log tail:\n%s", summary.run_id, summary.returncode, summary.log_tail[-2000:]
        )
        raise JobFailed(f"{line}；{_crawl_failure(summary)}")
    if spider in ("homepage", "ranking") and summary.responses == 0:
        # Scrapy exits 0 when every request failed; no homepage answering at all is an outage, not a quiet day.
        raise JobFailed(f"{line}；没有任何网站响应（网络是否中断？）")
    return line


def crawl_portals(spiders: Sequence[str] = PORTAL_SPIDERS) -> str:
    """The court and credit portals, one child process each; a portal that needs a session skips itself."""
    url = get_settings().database_url
    done, failed = [], []
    for name in spiders:
        label = PORTAL_LABELS.get(name, name)
        cmd = [sys.executable, "-m", "crawlers.portals.run", name, "--db", url, "-s", "LOG_LEVEL=WARNING"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CRAWL_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            log.error("portal crawl %s timed out after %s s", name, CRAWL_TIMEOUT_S)
            failed.append(f"{label}（超过 {CRAWL_TIMEOUT_S // 60} 分钟未结束，已终止）")
            continue
        if proc.returncode == 0:
            done.append(label)
        else:
            log.error("portal crawl %s exited %s:\n%s", name, proc.returncode, proc.stderr[-2000:])
            failed.append(f"{label}（异常退出，退出码 {proc.returncode}）")
    finished = f"信用/法院平台 {len(done)} 个已完成" + (f"：{'、'.join(done)}" if done else "")
    if failed:
        raise JobFailed(f"{finished}；{len(failed)} 个失败：{'；'.join(failed)}")
    return finished


# --- processing, alerts, scoring, reports ------------------------------------------------------------------


def process() -> str:
    """Classify new articles, cluster them into events, detect major incidents, link feedback, queue alerts."""
    from monitor.pipeline import run_pipeline, summary_text

    return summary_text(run_pipeline(get_engine()))


def dispatch_alerts() -> str:
    """Send what is due in the alert outbox (retries, back-off and quiet hours are the dispatcher's business)."""
    from monitor.alerts import dispatch

    report = dispatch(get_engine())
    line = f"已发送 {report.sent} 条，发送失败 {report.failed} 条（将重试），放弃 {report.dead} 条"
    for error in report.errors:
        log.warning("alert delivery failed: %s", error)
    if report.failed_channels:
        line += f"；未能送达的渠道：{'、'.join(dict.fromkeys(report.failed_channels))}"
    return line


def score_recent() -> str:
    """Score the current month so far, and during the first days also the month just closed."""
    from scoring.model import load_model
    from scoring.store import compute_month, configured_cities, store_results

    model = load_model(get_settings().index_model)
    today = now()
    months = [today.strftime("%Y-%m")]
    if today.day <= 5:
        months.insert(0, (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"))
    for month in months:
        with session_scope(get_engine()) as session:
            store_results(session, compute_month(session, model, month, configured_cities()))
    return f"已计算 {'、'.join(months)} 的指数（模型 {model.name} {model.version}）"


def write_reports(
    session: Session, month: str, city_code: str, formats: Sequence[str], out_dir: Path
) -> list[Path]:
    """The monthly report of `city_code` in `formats`, written into `out_dir`; returns the files."""
    from monitor.reports import write_reports as write

    return write(session, month, city_code, list(formats), out_dir)


def monthly_reports() -> str:
    """On the 1st: last month's report for the office's own city, in every format."""
    settings = get_settings()
    month = (now().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    out_dir = Path(settings.data_dir) / "reports" / month
    with session_scope(get_engine()) as session:
        files = write_reports(session, month, settings.home_city, ["html", "pdf", "xlsx", "docx"], out_dir)
        division = session.get(Division, settings.home_city)
    city = division.name if division is not None else settings.home_city
    formats = "、".join(p.suffix.lstrip(".").upper() for p in files)
    return f"已生成{city} {month} 月度报告 {len(files)} 份：{formats}"


def sweep_evidence() -> str:
    """Remove the evidence files no row references any more; one younger than an hour may be an upload whose row
    is not committed yet, and stays."""
    from monitor.evidence_files import sweep_orphans

    r = sweep_orphans(get_engine(), Path(get_settings().data_dir))
    line = f"清理无引用的证据文件 {len(r.removed)} 个（释放 {r.freed_bytes / 1024:.1f} KB），在用 {r.kept} 个"
    if r.young:
        line += f"，未满 1 小时暂留 {r.young} 个"
    if r.temp_removed:
        line += f"；清除中断的上传 {r.temp_removed} 个"
    return line


# --- review actions of the console -------------------------------------------------------------------------


def confirm_feedback(session: Session, link_id: int, reviewer: str) -> None:
    from processing.feedback import confirm_feedback as confirm

    confirm(session, link_id, reviewer)


def reject_feedback(session: Session, link_id: int, reviewer: str) -> None:
    from processing.feedback import reject_feedback as reject

    reject(session, link_id, reviewer)


def feedback_prompt_hours(model_name: str) -> float:
    """Hours after an event turns major within which feedback counts fully (the index model's assumption)."""
    from scoring.model import load_model

    events = load_model(model_name).events
    if events is None:  # a model without event rules (e.g. the demo-city indicators): no feedback window
        return 0.0
    return events.feedback_offset.prompt_hours.value
