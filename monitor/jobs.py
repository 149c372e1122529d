"""The scheduler's jobs and the console's actions, each wired to the stage that does the work.

This module is the one place where the service calls into crawling, processing, alerts, scoring and reports;
the scheduler stores jobs by text reference (`monitor.jobs:crawl`), so these functions are the stable names
the persistent job store keeps across restarts and upgrades.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from config.settings import get_settings
from models import now
from storage.db import get_engine, session_scope


def _summary(value: Any) -> str:
    return str(value)[:500] if value is not None else "ok"


# --- crawling: each crawl runs in its own process (Scrapy's reactor cannot restart in one process) -------------

CRAWL_TIMEOUT_S = 45 * 60  # a crawl hung on a dead site must not hold its job (max_instances=1) for ever
PORTAL_SPIDERS = ("portal_creditchina", "portal_zxgk", "portal_rmfygg", "portal_wenshu", "portal_creditsite")


def crawl(spider: str) -> str:
    """One crawl of `spider` (homepage, ranking, articles) in a child process; a failed crawl fails the run."""
    from crawlers.run import run_crawl

    summary = run_crawl(spider, db_url=get_settings().database_url, timeout=CRAWL_TIMEOUT_S, init_db=False)
    line = f"{summary.spider} {summary.run_id}: {summary.responses} responses, {summary.items} items, {summary.seconds:.0f} s"
    if not summary.ok:
        raise RuntimeError(f"{line}; exit {summary.returncode}: {summary.log_tail[-300:]}")
    if spider in ("homepage", "ranking") and summary.responses == 0:
        # Scrapy exits 0 when every request failed; no homepage answering at all is an outage, not a quiet day.
        raise RuntimeError(f"{line}: no site answered (network down?)")
    return line


def crawl_portals(spiders: Sequence[str] = PORTAL_SPIDERS) -> str:
    """The court and credit portals, one child process each; a portal that needs a session skips itself."""
    url = get_settings().database_url
    done, failed = [], []
    for name in spiders:
        cmd = [sys.executable, "-m", "crawlers.portals.run", name, "--db", url, "-s", "LOG_LEVEL=WARNING"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CRAWL_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            failed.append(f"{name}: timed out")
            continue
        if proc.returncode == 0:
            done.append(name)
        else:
            failed.append(f"{name}: exit {proc.returncode}: {proc.stderr[-200:]}")
    if failed:
        raise RuntimeError(f"portals done: {', '.join(done) or 'none'}; failed: {'; '.join(failed)}")
    return "portals: " + ", ".join(done)


# --- processing, alerts, scoring, reports ------------------------------------------------------------------


def process() -> str:
    """Classify new articles, cluster them into events, detect major incidents, link feedback, queue alerts."""
    from monitor.pipeline import run_pipeline

    return _summary(run_pipeline(get_engine()))


def dispatch_alerts() -> str:
    """Send what is due in the alert outbox (retries, back-off and quiet hours are the dispatcher's business)."""
    from monitor.alerts import dispatch

    report = dispatch(get_engine())
    line = f"sent {report.sent}, failed {report.failed}, dead {report.dead}"
    return line + (f": {'; '.join(report.errors)[:300]}" if report.errors else "")


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
    return f"scored {', '.join(months)} with {model.name} {model.version}"


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
    return f"{month}: " + ", ".join(p.name for p in files)


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
