"""Queries and writes shared by the stages: sites, divisions, the fetch archive, articles and snapshots."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Article, Division, Fetch, Site
from nlp.gazetteer import Gazetteer, get_gazetteer
from storage.upsert import upsert, upsert_rows


def sync_sites(session: Session, sites: Iterable[dict[str, Any]]) -> int:
    """Upsert the site registry into the database (key, name, kind, domains)."""
    n = 0
    for s in sites:
        upsert(
            session,
            Site,
            {
                "key": s["key"],
                "name": s["name"],
                "kind": s.get("kind", "news"),
                "domains": list(s["domains"]),
            },
            key=["key"],
        )
        n += 1
    return n


def site_by_key(session: Session, key: str) -> Site | None:
    return session.scalars(select(Site).where(Site.key == key)).one_or_none()


def load_divisions(session: Session, gazetteer: Gazetteer | None = None) -> int:
    """Load the gazetteer into `divisions` (idempotent). Parents first, so the self-reference always resolves."""
    g = gazetteer or get_gazetteer()
    have = session.scalar(select(func.count()).select_from(Division)) or 0
    if have == len(g):
        return 0
    order = {"province": 0, "prefecture": 1, "county": 2}
    # One compiled INSERT … ON CONFLICT for all ~3,300 rows: a row-at-a-time upsert with its read-back took 2.6 s.
    rows = [
        {
            "code": d.code,
            "name": d.name,
            "level": d.level,
            "parent_code": d.parent_code,
            "aliases": "|".join(d.aliases),
        }
        for d in sorted(g.all(), key=lambda d: order[d.level])
    ]
    upsert_rows(session, Division, rows, key=["code"], batch=5000)
    session.flush()
    return len(g)


ARCHIVE_GZIP_LEVEL = 6
"""zlib's default level. gzip's own default, 9, cost 3.4 ms CPU per 144 KB news page (40 % of the crawl's writer
thread); level 6 costs 1.9 ms and the archive grows by 0.5 % (65 demo article pages: 20.6 % of their size
against 20.5 %)."""


def archive_fetch(
    session: Session,
    *,
    url: str,
    final_url: str,
    status: int,
    headers: dict[str, Any],
    body: bytes,
    fetched_at: datetime,
    encoding: str | None = None,
    site_id: int | None = None,
    spider: str | None = None,
    error: str | None = None,
) -> Fetch:
    """Store one response in the archive (gzip + sha256); the same bytes at the same URL and time are stored once."""
    digest = hashlib.sha256(body).hexdigest()
    return upsert(
        session,
        Fetch,
        {
            "url": url,
            "final_url": final_url,
            "status": status,
            "headers": headers,
            "encoding": encoding,
            "fetched_at": fetched_at,
            "sha256": digest,
            "body_gz": gzip.compress(body, compresslevel=ARCHIVE_GZIP_LEVEL, mtime=0),
            "size": len(body),
            "site_id": site_id,
            "spider": spider,
            "error": error,
        },
        key=["url", "fetched_at", "sha256"],
        update=[],
    )


def fetch_body(fetch: Fetch) -> bytes:
    """The archived bytes, checked against their sha256 (evidence must be what was seen)."""
    body = gzip.decompress(fetch.body_gz)
    if hashlib.sha256(body).hexdigest() != fetch.sha256:
        raise ValueError(f"fetch {fetch.id}: archived body does not match its sha256")
    return body


def article_by_url(session: Session, url: str) -> Article | None:
    return session.scalars(select(Article).where(Article.url == url)).one_or_none()


def known_article_urls(session: Session, urls: Iterable[str]) -> set[str]:
    """Which of `urls` are already stored (for incremental crawling)."""
    wanted = list(set(urls))
    found: set[str] = set()
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        found.update(session.scalars(select(Article.url).where(Article.url.in_(chunk))))
    return found
