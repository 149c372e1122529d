"""What the console and reports show of an event: its sites, first sighting, homepage and ranking sightings,
labels by vote, status history and feedback."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Event, EventStatus, EventStatusChange, FeedbackLink, Site
from processing.incidents import (
    HomepageSighting,
    RankingSighting,
    event_articles,
    homepage_sightings,
    ranking_sightings,
)


@dataclass
class EventView:
    id: int
    title: str
    kind: str | None
    domain: str | None
    subdomain: str | None
    division_code: str | None
    city_name: str | None
    status: str
    major_since: datetime | None
    major_reason: str | None
    first_seen: datetime
    last_seen: datetime
    sites: list[str]  # names of the sites that carried it (articles, homepages, rankings)
    articles: list[dict[str, Any]]
    homepages: list[HomepageSighting]
    rankings: list[dict[str, Any]]  # per (site, list): best rank, first and last capture
    history: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)


def event_view(session: Session, event_id: int) -> EventView:
    """Everything known about one event; LookupError if there is no such event."""
    from nlp.gazetteer import get_gazetteer

    ev = session.get(Event, event_id)
    if ev is None:
        raise LookupError(f"no event {event_id}")
    arts = event_articles(session, ev.id)
    site_names = {s.id: s.name for s in session.scalars(select(Site))}
    hp = homepage_sightings(session, ev.id)
    rk = ranking_sightings(session, ev.id)
    sites = {site_names[a.site_id] for a in arts if a.site_id in site_names}
    sites |= {h.site_name for h in hp} | {r.site_name for r in rk}
    first = min([ev.first_seen] + [h.captured_at for h in hp] + [r.captured_at for r in rk])
    d = get_gazetteer().get(ev.division_code) if ev.division_code else None
    history = [
        {"at": c.at, "old": c.old_status, "new": c.new_status, "reason": c.reason}
        for c in session.scalars(
            select(EventStatusChange)
            .where(EventStatusChange.event_id == ev.id)
            .order_by(EventStatusChange.at)
        )
    ]
    feedback = [
        {
            "id": f.id,
            "article_id": f.article_id,
            "institution_id": f.institution_id,
            "delay_hours": f.delay_hours,
            "score": f.score,
            "status": f.status.value,
            "reviewed_by": f.reviewed_by,
        }
        for f in session.scalars(select(FeedbackLink).where(FeedbackLink.event_id == ev.id))
    ]
    return EventView(
        id=ev.id,
        title=ev.title,
        kind=ev.kind,
        domain=ev.domain,
        subdomain=ev.subdomain,
        division_code=ev.division_code,
        city_name=d.name if d else None,
        status=ev.status.value,
        major_since=ev.major_since,
        major_reason=ev.major_reason,
        first_seen=first,
        last_seen=ev.last_seen,
        sites=sorted(sites),
        articles=[
            {
                "id": a.id,
                "site": site_names.get(a.site_id or -1),
                "title": a.title,
                "url": a.url,
                "published_at": a.published_at,
            }
            for a in sorted(arts, key=lambda a: (a.published_at or a.created_at, a.id))
        ],
        homepages=hp,
        rankings=_best_ranks(rk),
        history=history,
        feedback=feedback,
    )


def _best_ranks(rk: list[RankingSighting]) -> list[dict[str, Any]]:
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rk:
        k = (r.site_name, r.list_name)
        b = best.setdefault(
            k,
            {
                "site": r.site_name,
                "list": r.list_name,
                "best_rank": r.rank,
                "first": r.captured_at,
                "last": r.captured_at,
            },
        )
        b["best_rank"] = min(b["best_rank"], r.rank)
        b["first"] = min(b["first"], r.captured_at)
        b["last"] = max(b["last"], r.captured_at)
    return sorted(best.values(), key=lambda b: (b["best_rank"], b["site"]))


def list_events(
    session: Session,
    *,
    status: str | None = None,
    kind: str | None = None,
    city: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[Event]:
    """Events newest first, filtered by status (normal|major), kind, city code prefix and first sighting."""
    q = select(Event).order_by(Event.first_seen.desc(), Event.id.desc()).limit(limit)
    if status:
        q = q.where(Event.status == EventStatus(status))
    if kind:
        q = q.where(Event.kind == kind)
    if city:
        stem = city[:2] if city.endswith("0000") else city[:4] if city.endswith("00") else city
        q = q.where(Event.division_code.like(f"{stem}%"))
    if since:
        q = q.where(Event.first_seen >= since)
    return list(session.scalars(q))
