"""The events feed and the event page (articles, homepage and ranking evidence, feedback links)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from models import (
    Alert,
    Appearance,
    Article,
    CityAttribution,
    Classification,
    Event,
    EventArticle,
    EventStatusChange,
    FeedbackLink,
    HomepageSnapshot,
    Institution,
    RankingEntry,
    RankingSnapshot,
    Site,
)
from monitor.corrections import CorrectionError, correct_event, corrections_of
from monitor.corrections import city_choices as city_labels
from monitor.evidence_files import MAX_BYTES, EvidenceError, files_of, store_upload
from monitor.feedback_entry import CHANNELS, FeedbackEntryError, record_feedback
from monitor.web.deps import Db, PostAnalyst, Viewer, row_or_404
from monitor.web.params import NoControls, Page, QueryCode, QueryDate, QuerySearch, QueryWord, RowId
from monitor.web.queries import (
    CODE_RE,
    PAGE_SIZE,
    FeedFilters,
    city_choices,
    division_names,
    feed_page,
    site_choices,
)
from monitor.web.templating import DOMAIN_LABELS, KIND_LABELS, applied, refused, render
from monitor.web.views_manual import EvidenceUpload, read_upload, staff_names

router = APIRouter()


def _date(value: str | None, label: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"{label}格式应为“年-月-日”（如 2026-10-15）")
        return None


@router.get("/events", response_class=HTMLResponse)
def events_feed(
    request: Request,
    *,
    city: QueryCode = None,
    kind: QueryWord = None,
    domain: QueryWord = None,
    site: QueryWord = None,
    date_from: QueryDate = None,
    date_to: QueryDate = None,
    q: QuerySearch = None,
    major: QueryWord = None,
    page: Page = 1,
    user: Viewer,
    db: Db,
) -> HTMLResponse:
    errors: list[str] = []
    f = FeedFilters(
        city=city if city and CODE_RE.match(city) else None,
        kind=kind if kind in KIND_LABELS else None,
        domain=domain if domain in DOMAIN_LABELS else None,
        site=site[:32] if site else None,
        date_from=_date(date_from, "起始日期", errors),
        date_to=_date(date_to, "截止日期", errors),
        q=q.strip()[:100] if q and q.strip() else None,
        major=major == "1",
        errors=errors,
    )
    if city and not f.city:
        errors.append("城市应为 6 位行政区划代码")
    page = max(page, 1)
    rows, total = feed_page(db, f, page)
    settings = request.app.state.settings
    cities = city_choices(db, settings.scored_cities)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render(
        request,
        "events.html",
        {
            "rows": rows,
            "total": total,
            "f": f,
            "page": page,
            "pages": pages,
            "prev_qs": f.query_string(page - 1) if page > 1 else None,
            "next_qs": f.query_string(page + 1) if page < pages else None,
            "sites": site_choices(db),
            "cities": cities,
        },
    )


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(request: Request, *, event_id: RowId, user: Viewer, db: Db) -> HTMLResponse:
    event = row_or_404(db, Event, event_id)
    articles = list(
        db.execute(
            select(Article, EventArticle.similarity, Site.name)
            .join(EventArticle, EventArticle.article_id == Article.id)
            .outerjoin(Site, Site.id == Article.site_id)
            .where(EventArticle.event_id == event_id)
            .order_by(Article.published_at.asc().nulls_last(), Article.id)
        )
    )
    ids = [a.id for a, _, _ in articles]
    current = {
        c.article_id: c
        for c in db.scalars(
            select(Classification).where(
                Classification.article_id.in_(ids), Classification.is_current.is_(True)
            )
        )
    }
    attributions: dict[int, list[CityAttribution]] = {}
    for ca in db.scalars(select(CityAttribution).where(CityAttribution.article_id.in_(ids))):
        attributions.setdefault(ca.article_id, []).append(ca)
    homepage = list(
        db.execute(
            select(Appearance, HomepageSnapshot.captured_at, Site.name)
            .join(HomepageSnapshot, HomepageSnapshot.id == Appearance.snapshot_id)
            .join(Site, Site.id == HomepageSnapshot.site_id)
            .where(Appearance.article_id.in_(ids))
            .order_by(HomepageSnapshot.captured_at.desc(), Appearance.position)
            .limit(200)
        )
    )
    ranking = list(
        db.execute(
            select(RankingEntry, RankingSnapshot.list_name, RankingSnapshot.captured_at, Site.name)
            .join(RankingSnapshot, RankingSnapshot.id == RankingEntry.snapshot_id)
            .join(Site, Site.id == RankingSnapshot.site_id)
            .where(RankingEntry.article_id.in_(ids))
            .order_by(RankingSnapshot.captured_at.desc(), RankingEntry.rank)
            .limit(200)
        )
    )
    links = list(
        db.execute(
            select(FeedbackLink, Article, Institution)
            .outerjoin(Article, Article.id == FeedbackLink.article_id)
            .outerjoin(Institution, Institution.id == FeedbackLink.institution_id)
            .where(FeedbackLink.event_id == event_id)
            .order_by(FeedbackLink.score.desc())
        )
    )
    changes = list(
        db.scalars(
            select(EventStatusChange)
            .where(EventStatusChange.event_id == event_id)
            .order_by(EventStatusChange.at)
        )
    )
    alerts = list(db.scalars(select(Alert).where(Alert.event_id == event_id).order_by(Alert.created_at)))
    corrections = corrections_of(db, event_id)
    codes = [event.division_code] + [ca.division_code for cas in attributions.values() for ca in cas]
    codes += [v for c in corrections if c.field == "city" for v in (c.before, c.after) if v]
    evidence = files_of(db, event_id)
    return render(
        request,
        "event.html",
        {
            "event": event,
            "articles": articles,
            "current": current,
            "attributions": attributions,
            "homepage": homepage,
            "homepage_sites": len({name for _, _, name in homepage}),
            "ranking": ranking,
            "links": links,
            "changes": changes,
            "alerts": alerts,
            "names": division_names(db, codes),
            "corrections": corrections,
            "channels": CHANNELS,
            "city_options": city_labels(
                [
                    *([event.division_code] if event.division_code else []),
                    request.app.state.settings.home_city,
                    *request.app.state.settings.watched_cities,
                    *request.app.state.settings.peer_cities,
                ]
            ),
            "current_city": city_labels([event.division_code])[0][1] if event.division_code else "",
            "evidence": evidence,
            "staff": staff_names(db),
            "max_mb": MAX_BYTES // (1024 * 1024),
        },
    )


@router.post("/events/{event_id}/feedback")
def record_feedback_page(
    request: Request,
    *,
    event_id: RowId,
    at: Annotated[datetime, Form()],
    channel: Annotated[str, Form(max_length=16), NoControls],
    title: Annotated[str, Form(min_length=1, max_length=300), NoControls],
    url: Annotated[str, Form(max_length=1000), NoControls] = "",
    evidence: EvidenceUpload = None,
    user: PostAnalyst,
    db: Db,
) -> Response:
    """Record a government response to the event by hand, with an optional evidence file (the document itself);
    the offset and the countdown follow at once."""
    back = f"/events/{event_id}"
    row_or_404(db, Event, event_id)
    settings = request.app.state.settings
    try:
        upload = read_upload(evidence)
        link = record_feedback(
            db,
            event_id=event_id,
            at=at,
            channel=channel,
            title=title,
            url=url,
            user=user.username,
            cities=settings.scored_cities,
            model_name=settings.index_model,
        )
        if upload is not None:
            store_upload(
                db,
                request.app.state.data_dir,
                upload,
                event_id=event_id,
                user=user.username,
                feedback_link_id=link.id,
            )
    except (FeedbackEntryError, EvidenceError) as exc:
        return refused(request, db, exc, back)
    return applied(
        request, db, f"已记录政府反馈（首次发现后 {link.delay_hours:g} 小时），抵扣已重新计算", back
    )


@router.post("/events/{event_id}/correct")
def correct_event_page(
    request: Request,
    *,
    event_id: RowId,
    kind: Annotated[str, Form(max_length=16), NoControls],
    domain: Annotated[str, Form(max_length=16), NoControls] = "",
    subdomain: Annotated[str, Form(max_length=32), NoControls] = "",
    city: Annotated[str, Form(max_length=40), NoControls] = "",
    major: Annotated[str, Form(max_length=3), NoControls] = "",
    user: PostAnalyst,
    db: Db,
) -> Response:
    """Correct the event where it is shown: kind, domain, sub-domain, city by Chinese name, major flag."""
    back = f"/events/{event_id}"
    row_or_404(db, Event, event_id)
    settings = request.app.state.settings
    try:
        changes = correct_event(
            db,
            event_id,
            user.username,
            kind=kind,
            domain=domain or None,
            subdomain=subdomain,
            city=city,
            major=major == "1",
            cities=settings.scored_cities,
            model_name=settings.index_model,
        )
    except CorrectionError as exc:
        return refused(request, db, exc, back)
    return applied(request, db, f"已更正 {len(changes)} 项，指数已重新计算" if changes else "没有改动", back)
