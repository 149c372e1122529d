"""Crawl and parser health, scheduler job runs, and the analysts' review queue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from config.settings import TZ
from models import (
    Article,
    CityAttribution,
    Classification,
    CrawlStat,
    Division,
    Event,
    FeedbackLink,
    FeedbackStatus,
    Institution,
    JobRun,
    Label,
    Site,
)
from monitor import jobs
from monitor.corrections import correct_article as correct_one
from monitor.health import crawl_flags
from monitor.scheduler import ScheduleConfig, default_jobs
from monitor.web.deps import Analyst, Db, PostAnalyst, Viewer, row_or_404
from monitor.web.params import FormCode, FormNext, FormNote, FormWord, Page, RowId
from monitor.web.queries import CODE_RE, division_names
from monitor.web.templating import DOMAIN_LABELS, KIND_LABELS, flash, render
from processing.classify import revote_events_of

router = APIRouter()
REVIEW_THRESHOLD = 0.6  # below this confidence an article waits for a person


def _scheduled_jobs(request: Request, db: Session, names: dict[str, str]) -> list[dict[str, Any]]:
    """Next runs: from the scheduler in this process, else read from the persistent job store table (which keeps
    no names: the jobs' Chinese names come from `names`)."""
    scheduler = request.app.state.scheduler
    if scheduler is not None:
        return [{"id": j.id, "name": j.name, "next": j.next_run_time} for j in scheduler.get_jobs()]
    if not inspect(db.get_bind()).has_table("apscheduler_jobs"):
        return []
    out = []
    for job_id, ts in db.execute(
        text("SELECT id, next_run_time FROM apscheduler_jobs ORDER BY next_run_time")
    ):
        nxt = datetime.fromtimestamp(ts, UTC).astimezone(TZ) if ts is not None else None
        out.append({"id": job_id, "name": names.get(job_id, job_id), "next": nxt})
    return out


@router.get("/status", response_class=HTMLResponse)
def status(request: Request, *, user: Viewer, db: Db) -> HTMLResponse:
    latest = (
        select(CrawlStat.spider, CrawlStat.site_key, func.max(CrawlStat.started_at).label("at"))
        .group_by(CrawlStat.spider, CrawlStat.site_key)
        .subquery()
    )
    stats = list(
        db.scalars(
            select(CrawlStat)
            .join(
                latest,
                (latest.c.spider == CrawlStat.spider)
                & (latest.c.site_key == CrawlStat.site_key)
                & (latest.c.at == CrawlStat.started_at),
            )
            .order_by(CrawlStat.spider, CrawlStat.site_key)
        )
    )
    runs = list(db.scalars(select(JobRun).order_by(JobRun.recorded_at.desc(), JobRun.id.desc()).limit(50)))
    problems = list(
        db.scalars(
            select(JobRun)
            .where(JobRun.outcome.in_(["error", "missed", "skipped"]))
            .order_by(JobRun.recorded_at.desc())
            .limit(20)
        )
    )
    job_names = {spec.id: spec.name for spec in default_jobs(ScheduleConfig())}
    return render(
        request,
        "status.html",
        {
            "stats": [(s, crawl_flags(s)) for s in stats],
            "runs": runs,
            "problems": problems,
            "scheduled": _scheduled_jobs(request, db, job_names),
            "job_names": job_names,
            # staff know the sites by name (人民网), not by the registry's key (people)
            "site_names": {key: name for key, name in db.execute(select(Site.key, Site.name))},
        },
    )


@router.get("/review", response_class=HTMLResponse)
def review_queue(request: Request, *, page: Page = 1, user: Analyst, db: Db) -> HTMLResponse:
    labelled = select(Label.article_id)
    rows = list(
        db.execute(
            select(Article, Classification, Site.name)
            .join(Classification, Classification.article_id == Article.id)
            .outerjoin(Site, Site.id == Article.site_id)
            .where(
                Classification.is_current.is_(True),
                Classification.confidence < REVIEW_THRESHOLD,
                Article.id.not_in(labelled),
            )
            .order_by(Classification.confidence, Article.id.desc())
            .limit(30)
            .offset((max(page, 1) - 1) * 30)
        )
    )
    ids = [a.id for a, _, _ in rows]
    cities: dict[int, list[str]] = {}
    for ca in db.scalars(select(CityAttribution).where(CityAttribution.article_id.in_(ids))):
        cities.setdefault(ca.article_id, []).append(ca.division_code)
    names = division_names(db, (c for cs in cities.values() for c in cs))
    links = list(
        db.execute(
            select(FeedbackLink, Event, Article, Institution)
            .join(Event, Event.id == FeedbackLink.event_id)
            .outerjoin(Article, Article.id == FeedbackLink.article_id)
            .outerjoin(Institution, Institution.id == FeedbackLink.institution_id)
            .where(FeedbackLink.status == FeedbackStatus.PROPOSED)
            .order_by(FeedbackLink.score.desc(), FeedbackLink.id)
            .limit(50)
        )
    )
    recent = list(
        db.execute(
            select(Label, Article.title)
            .join(Article, Article.id == Label.article_id)
            .order_by(Label.created_at.desc())
            .limit(10)
        )
    )
    return render(
        request,
        "review.html",
        {
            "rows": rows,
            "cities": cities,
            "names": names,
            "links": links,
            "recent": recent,
            "page": max(page, 1),
            "threshold": REVIEW_THRESHOLD,
        },
    )


def _back(target: str, fallback: str) -> str:
    """Where a form returns to: a same-site path from the form, never another host."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


@router.post("/review/articles/{article_id}")
def correct_article(
    request: Request,
    *,
    article_id: RowId,
    kind: FormWord,
    domain: FormWord = "",
    subdomain: FormWord = "",
    city: FormCode = "",
    note: FormNote = "",
    back: FormNext = "",
    user: PostAnalyst,
    db: Db,
) -> Response:
    """A person's correction: a training label, the current classification ('manual'), a manual city."""
    article = row_or_404(db, Article, article_id)
    back = _back(back, "/review")
    errors = []
    if kind not in KIND_LABELS:
        errors.append("类别无效")
    dom = domain or None
    if dom is not None and dom not in DOMAIN_LABELS:
        errors.append("领域无效")
    if kind == "other":
        dom = None  # 'other' has no domain by definition
    elif dom is None and kind in KIND_LABELS:
        errors.append("请选择领域")
    code = city.strip() or None
    division = None
    if code is not None:
        division = db.get(Division, code) if CODE_RE.match(code) else None
        if division is None:
            errors.append("城市代码不存在")
    if errors:
        flash(request, "；".join(errors), "error")
        return RedirectResponse(back, status_code=303)
    sub = subdomain.strip()[:32] or None
    correct_one(db, article_id, user.username, kind, dom, sub, division, note=note.strip()[:1000] or None)
    db.flush()
    # The article's events follow their articles' kind, domain and city.
    revote_events_of(db, [article_id])
    db.commit()
    flash(request, f"已更正：{article.title[:40]}")
    return RedirectResponse(back, status_code=303)


@router.post("/review/feedback/{link_id}")
def review_feedback(
    request: Request,
    *,
    link_id: RowId,
    decision: FormWord,
    back: FormNext = "",
    user: PostAnalyst,
    db: Db,
) -> Response:
    link = row_or_404(db, FeedbackLink, link_id)
    back = _back(back, f"/events/{link.event_id}")
    if decision == "confirm":
        jobs.confirm_feedback(db, link_id, user.username)
        flash(request, "已确认该政府反馈")
    elif decision == "reject":
        jobs.reject_feedback(db, link_id, user.username)
        flash(request, "已驳回该反馈关联")
    else:
        flash(request, "无效操作", "error")
    db.commit()
    return RedirectResponse(back, status_code=303)
