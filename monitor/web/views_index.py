"""Major-incident board and city index with drill-down."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Event, EventStatus, FeedbackLink, FeedbackStatus, IndexScore, now
from monitor import jobs
from monitor.web.deps import Db, Viewer
from monitor.web.params import PathCode, QueryMonth
from monitor.web.queries import CODE_RE, MONTH_RE, division_names
from monitor.web.templating import render
from scoring.ranking import group_by_peer_set

router = APIRouter()


def _event_effects(db: Session, model_name: str) -> dict[str, dict[str, Any]]:
    """Deduction and offset per event ref from each city's latest stored score."""
    latest = (
        select(IndexScore.division_code, func.max(IndexScore.month).label("month"))
        .where(IndexScore.model_name == model_name)
        .group_by(IndexScore.division_code)
        .subquery()
    )
    effects: dict[str, dict[str, Any]] = {}
    rows = db.scalars(
        select(IndexScore)
        .join(
            latest,
            (latest.c.division_code == IndexScore.division_code) & (latest.c.month == IndexScore.month),
        )
        .where(IndexScore.model_name == model_name)
    )
    for score in rows:
        for e in (score.details or {}).get("events", []):
            effects[str(e.get("ref"))] = {**e, "score_month": score.month}
    return effects


def _effect_for(effects: dict[str, dict[str, Any]], event_id: int) -> dict[str, Any] | None:
    for ref in (str(event_id), f"event:{event_id}", f"event-{event_id}"):
        if ref in effects:
            return effects[ref]
    return None


@router.get("/incidents", response_class=HTMLResponse)
def incidents(request: Request, *, user: Viewer, db: Db) -> HTMLResponse:
    settings = request.app.state.settings
    prompt_hours = jobs.feedback_prompt_hours(settings.index_model)
    events = list(
        db.scalars(
            select(Event)
            .where(Event.status == EventStatus.MAJOR)
            .order_by(Event.major_since.desc().nulls_last(), Event.id.desc())
            .limit(200)
        )
    )
    ids = [e.id for e in events]
    counts: dict[tuple[int, str], int] = {}
    for event_id, status, n in db.execute(
        select(FeedbackLink.event_id, FeedbackLink.status, func.count())
        .where(FeedbackLink.event_id.in_(ids))
        .group_by(FeedbackLink.event_id, FeedbackLink.status)
    ):
        counts[(event_id, status.value)] = n
    effects = _event_effects(db, settings.index_model)
    names = division_names(db, (e.division_code for e in events))
    current = now()
    rows = []
    for e in events:
        since = e.major_since or e.first_seen
        # the model's rule (scoring.engine): feedback counts in full within prompt_hours of the FIRST sighting
        deadline = e.first_seen + timedelta(hours=prompt_hours)
        rows.append(
            {
                "event": e,
                "city": names.get(e.division_code or "", e.division_code or "—"),
                "since": since,
                "deadline": deadline,
                "hours_left": (deadline - current).total_seconds() / 3600,
                "confirmed": counts.get((e.id, FeedbackStatus.CONFIRMED.value), 0),
                "proposed": counts.get((e.id, FeedbackStatus.PROPOSED.value), 0),
                "effect": _effect_for(effects, e.id),
            }
        )
    return render(request, "incidents.html", {"rows": rows, "prompt_hours": prompt_hours})


@router.get("/cities", response_class=HTMLResponse)
def cities(request: Request, *, month: QueryMonth = None, user: Viewer, db: Db) -> HTMLResponse:
    model_name = request.app.state.settings.index_model
    months = list(
        db.scalars(
            select(IndexScore.month)
            .where(IndexScore.model_name == model_name)
            .distinct()
            .order_by(IndexScore.month.desc())
            .limit(24)
        )
    )
    month = month if month in months else (months[0] if months else None)
    scores = (
        list(
            db.scalars(
                select(IndexScore)
                .where(IndexScore.model_name == model_name, IndexScore.month == month)
                .order_by(IndexScore.rank.asc().nulls_last(), IndexScore.total.desc())
            )
        )
        if month
        else []
    )
    previous: dict[str, float] = {}
    if month and months.index(month) + 1 < len(months):
        prev_month = months[months.index(month) + 1]
        previous = dict(
            db.execute(  # type: ignore[arg-type]
                select(IndexScore.division_code, IndexScore.total).where(
                    IndexScore.model_name == model_name, IndexScore.month == prev_month
                )
            ).all()
        )
    return render(
        request,
        "cities.html",
        {
            "scores": scores,
            "groups": [
                (
                    next(
                        (s.details.get("peer_set_label") for s, _ in rows if isinstance(s.details, dict)),
                        None,
                    ),
                    rows,
                )
                for _, rows in group_by_peer_set(
                    scores,
                    lambda s: s.details.get("peer_set") if isinstance(s.details, dict) else None,
                    lambda s: s.rank,
                )
            ],
            "month": month,
            "months": months,
            "model_name": model_name,
            "previous": previous,
            "names": division_names(db, (s.division_code for s in scores)),
            "home": request.app.state.settings.home_city,
        },
    )


@router.get("/cities/{code}", response_class=HTMLResponse)
def city_page(
    request: Request,
    *,
    code: PathCode,
    month: QueryMonth = None,
    user: Viewer,
    db: Db,
) -> HTMLResponse:
    if not CODE_RE.match(code):
        raise HTTPException(404)
    model_name = request.app.state.settings.index_model
    stmt = select(IndexScore).where(IndexScore.model_name == model_name, IndexScore.division_code == code)
    if month and MONTH_RE.match(month):
        stmt = stmt.where(IndexScore.month == month)
    score = db.scalars(stmt.order_by(IndexScore.month.desc(), IndexScore.computed_at.desc())).first()
    if score is None:
        raise HTTPException(404)
    history = list(
        db.execute(
            select(IndexScore.month, IndexScore.total, IndexScore.rank)
            .where(IndexScore.model_name == model_name, IndexScore.division_code == code)
            .order_by(IndexScore.month.desc())
            .limit(12)
        )
    )
    details = score.details or {}
    return render(
        request,
        "city.html",
        {
            "score": score,
            "name": division_names(db, [code]).get(code, code),
            "aspects": score.aspects or {},
            "indicators": details.get("indicators", {}),
            "effects": details.get("events", []),
            "trust_events": details.get("trust_events", []),
            "details": details,
            "history": history,
        },
    )
