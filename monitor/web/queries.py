"""Read queries behind the pages (all `select()` with bound parameters; nothing is pasted into SQL)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session

from config.settings import TZ
from models import Article, Division, Event, EventArticle, EventStatus, Site

CODE_RE = re.compile(r"^\d{6}$")
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
PAGE_SIZE = 30


def division_names(session: Session, codes: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    rows = session.execute(select(Division.code, Division.name).where(Division.code.in_(wanted)))
    return {code: name for code, name in rows}


def division_filter(column: Any, code: str) -> ColumnElement[bool]:
    """A county matches itself; a prefecture (xxxx00) or province (xx0000) matches everything under it."""
    if code.endswith("0000"):
        return column.like(code[:2] + "%")
    if code.endswith("00"):
        return column.like(code[:4] + "%")
    return column == code


@dataclass
class FeedFilters:
    city: str | None = None
    kind: str | None = None
    domain: str | None = None
    site: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    major: bool = False
    errors: list[str] = field(default_factory=list)

    def query_string(self, page: int) -> str:
        from urllib.parse import urlencode

        params = {
            "city": self.city,
            "kind": self.kind,
            "domain": self.domain,
            "site": self.site,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "q": self.q,
            "major": "1" if self.major else None,
            "page": str(page),
        }
        return urlencode({k: v for k, v in params.items() if v})


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=TZ)


def feed_statement(f: FeedFilters) -> Select[Event]:
    stmt = select(Event)
    if f.city:
        stmt = stmt.where(division_filter(Event.division_code, f.city))
    if f.kind:
        stmt = stmt.where(Event.kind == f.kind)
    if f.domain:
        stmt = stmt.where(Event.domain == f.domain)
    if f.major:
        stmt = stmt.where(Event.status == EventStatus.MAJOR)
    if f.site:
        on_site = (
            select(EventArticle.id)
            .join(Article, Article.id == EventArticle.article_id)
            .join(Site, Site.id == Article.site_id)
            .where(EventArticle.event_id == Event.id, Site.key == f.site)
        )
        stmt = stmt.where(exists(on_site))
    if f.date_from:
        stmt = stmt.where(Event.first_seen >= _day_start(f.date_from))
    if f.date_to:
        stmt = stmt.where(Event.first_seen < _day_start(f.date_to + timedelta(days=1)))
    if f.q:
        in_articles = (
            select(EventArticle.id)
            .join(Article, Article.id == EventArticle.article_id)
            .where(EventArticle.event_id == Event.id, Article.title.contains(f.q, autoescape=True))
        )
        stmt = stmt.where(or_(Event.title.contains(f.q, autoescape=True), exists(in_articles)))
    return stmt


@dataclass
class FeedRow:
    event: Event
    city: str
    articles: int
    sites: list[str]


def feed_page(session: Session, f: FeedFilters, page: int) -> tuple[list[FeedRow], int]:
    """One page of events, newest first, with the total count."""
    base = feed_statement(f)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    events = list(
        session.scalars(
            base.order_by(Event.first_seen.desc(), Event.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    ids = [e.id for e in events]
    counts: dict[int, int] = {}
    sites: dict[int, list[str]] = {}
    if ids:
        counts = dict(
            session.execute(  # type: ignore[arg-type]
                select(EventArticle.event_id, func.count())
                .where(EventArticle.event_id.in_(ids))
                .group_by(EventArticle.event_id)
            ).all()
        )
        for event_id, name in session.execute(
            select(EventArticle.event_id, Site.name)
            .join(Article, Article.id == EventArticle.article_id)
            .join(Site, Site.id == Article.site_id)
            .where(EventArticle.event_id.in_(ids))
            .distinct()
            .order_by(Site.name)
        ):
            sites.setdefault(event_id, []).append(name)
    names = division_names(session, (e.division_code for e in events))
    rows = [
        FeedRow(
            e,
            names.get(e.division_code or "", e.division_code or "—"),
            counts.get(e.id, 0),
            sites.get(e.id, []),
        )
        for e in events
    ]
    return rows, total


def site_choices(session: Session) -> list[tuple[str, str]]:
    return [(k, n) for k, n in session.execute(select(Site.key, Site.name).order_by(Site.kind, Site.key))]


def city_choices(session: Session, codes: Iterable[str]) -> list[tuple[str, str]]:
    names = division_names(session, codes)
    return [(c, names.get(c, c)) for c in dict.fromkeys(codes)]
