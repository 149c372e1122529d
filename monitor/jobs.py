"""The scheduler's jobs and the console's actions, each wired to the stage that does the work.

This module is the one place where the service calls into crawling, processing, alerts, scoring and reports;
the scheduler stores jobs by text reference (`monitor.jobs:crawl`), so these functions are the stable names
the persistent job store keeps across restarts and upgrades.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from config.settings import get_settings
from models import now
from storage.db import get_engine, session_scope

log = logging.getLogger(__name__)


class JobUnavailable(RuntimeError):
    """The stage a job calls is not installed in this build; the run fails with this message."""


def _resolve(*candidates: str) -> Callable[..., Any]:
    """The first importable `module:attribute` of `candidates`."""
    errors = []
    for ref in candidates:
        module_name, attr = ref.split(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            errors.append(f"{ref} ({exc})")
            continue
        fn = getattr(module, attr, None)
        if callable(fn):
            return fn
        errors.append(f"{ref} (no such function)")
    raise JobUnavailable("not available: " + "; ".join(errors))


def _summary(value: Any) -> str:
    return str(value)[:500] if value is not None else "ok"


# --- crawling: each crawl runs in its own process (Scrapy's reactor cannot restart in one process) -------------


def crawl(spider: str) -> str:
    """One crawl of `spider` (homepage, ranking, article, portal) in a child process."""
    run_crawl = _resolve("crawlers.run:run_crawl")
    result = run_crawl(spider)
    return _summary(result)


# --- processing, alerts, scoring, reports ------------------------------------------------------------------


def process() -> str:
    """Classify new articles, cluster them into events, detect major incidents, propose feedback links."""
    run = _resolve("nlp.stage:process")
    with session_scope(get_engine()) as session:
        result = run(session)
    return _summary(result)


def dispatch_alerts() -> str:
    """Send what is due in the alert outbox (retries and quiet hours are the dispatcher's business)."""
    dispatch = _resolve("monitor.alerts:dispatch_pending", "monitor.alerts.dispatch:dispatch_pending")
    with session_scope(get_engine()) as session:
        result = dispatch(session)
    return _summary(result)


def score_recent() -> str:
    """Score the current month so far, and during the first days also the month just closed."""
    settings = get_settings()
    score = _resolve("scoring.store:score_and_store", "scoring:score_and_store")
    today = now()
    months = [today.strftime("%Y-%m")]
    if today.day <= 5:
        months.insert(0, (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"))
    done = []
    for month in months:
        with session_scope(get_engine()) as session:
            score(session, month, settings.index_model)
        done.append(month)
    return "scored " + ", ".join(done)


def write_reports(
    session: Session, month: str, city_code: str, formats: Sequence[str], out_dir: Path
) -> list[Path]:
    """The monthly report of `city_code` in `formats`, written into `out_dir`; returns the files."""
    write = _resolve("monitor.reports:write_reports")
    out_dir.mkdir(parents=True, exist_ok=True)
    result = write(session, month, city_code, list(formats), out_dir)
    return [Path(p) for p in (result.values() if isinstance(result, dict) else result)]


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
    _resolve("nlp.feedback:confirm")(session, link_id, reviewer)


def reject_feedback(session: Session, link_id: int, reviewer: str) -> None:
    _resolve("nlp.feedback:reject")(session, link_id, reviewer)


def feedback_prompt_hours(model_name: str) -> float:
    """Hours after an event turns major within which feedback counts fully (the index model's assumption)."""
    from scoring.model import load_model

    return load_model(model_name).events.feedback_offset.prompt_hours.value
