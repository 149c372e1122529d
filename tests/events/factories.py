"""Builders for event scenarios: sites, archived articles with labels and cities, homepage and ranking captures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import TZ
from models import (
    Appearance,
    Article,
    CityAttribution,
    Classification,
    HomepageSnapshot,
    RankingEntry,
    RankingSnapshot,
    Site,
)
from storage.repository import archive_fetch

SITES = {
    "people": "人民网",
    "xinhua": "新华网",
    "sina": "新浪网",
    "qq": "腾讯网",
    "163": "网易网",
    "sohu": "搜狐网",
}


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=TZ)


def site(s: Session, key: str) -> Site:
    row = s.scalars(select(Site).where(Site.key == key)).one_or_none()
    if row is None:
        row = Site(key=key, name=SITES[key], kind="news", domains=[f"{key}.example"])
        s.add(row)
        s.flush()
    return row


def article(
    s: Session,
    site_key: str,
    slug: str,
    title: str,
    body: str,
    when: datetime,
    *,
    kind: str | None = "distrust",
    domain: str | None = "business",
    subdomain: str | None = "生产",
    city: str | None = "320281",
) -> Article:
    st = site(s, site_key)
    url = f"https://{site_key}.example/{slug}.html"
    html = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{body}</p></body></html>"
    fetch_id = archive_fetch(
        s,
        url=url,
        final_url=url,
        status=200,
        headers={},
        body=html.encode(),
        fetched_at=when,
        site_id=st.id,
        spider="article",
    )
    a = Article(
        site_id=st.id, url=url, title=title, body=body, published_at=when, extractor="test", fetch_id=fetch_id
    )
    s.add(a)
    s.flush()
    if kind is not None:
        s.add(
            Classification(
                article_id=a.id,
                model_version="scenario",
                kind=kind,
                domain=domain,
                subdomain=subdomain,
                confidence=0.9,
                is_current=True,
            )
        )
    if city is not None:
        s.add(
            CityAttribution(
                article_id=a.id, division_code=city, level="county", evidence="scenario", weight=1.0
            )
        )
    s.flush()
    return a


def homepage(
    s: Session, site_key: str, when: datetime, items: list[tuple[str, Article | None]], block: str = "要闻"
) -> HomepageSnapshot:
    """A homepage capture listing `items` (title, linked article) in order; archived like a real fetch."""
    st = site(s, site_key)
    url = f"https://{site_key}.example/"
    links = "".join(f'<a href="{a.url if a else "#"}">{t}</a>' for t, a in items)
    fetch_id = archive_fetch(
        s,
        url=url,
        final_url=url,
        status=200,
        headers={},
        body=f"<html>{links}</html>".encode(),
        fetched_at=when,
        site_id=st.id,
        spider="homepage",
    )
    snap = HomepageSnapshot(site_id=st.id, url=url, captured_at=when, fetch_id=fetch_id)
    s.add(snap)
    s.flush()
    for pos, (title, a) in enumerate(items, start=1):
        # Link by URL only: the crawler may not have resolved article_id yet.
        s.add(
            Appearance(
                snapshot_id=snap.id,
                position=pos,
                block=block,
                title=title,
                url=a.url if a else f"{url}other/{pos}",
                article_id=None,
            )
        )
    s.flush()
    return snap


def ranking(
    s: Session, site_key: str, when: datetime, list_name: str, entries: list[tuple[int, str, Article | None]]
) -> RankingSnapshot:
    st = site(s, site_key)
    url = f"https://{site_key}.example/rank/"
    fetch_id = archive_fetch(
        s,
        url=url,
        final_url=url,
        status=200,
        headers={},
        body=f"<ol>{entries!r}</ol>".encode(),
        fetched_at=when,
        site_id=st.id,
        spider="ranking",
    )
    snap = RankingSnapshot(
        site_id=st.id, list_name=list_name, period="24h", url=url, captured_at=when, fetch_id=fetch_id
    )
    s.add(snap)
    s.flush()
    for rank, title, a in entries:
        s.add(
            RankingEntry(
                snapshot_id=snap.id,
                rank=rank,
                title=title,
                url=a.url if a else f"{url}{rank}",
                article_id=a.id if a else None,
            )
        )
    s.flush()
    return snap
