"""Crawl and parser health per site, as the status page and the dashboard show it.

A site is 正常 only when its latest crawl returned items that parsed; a site that returned nothing, or that has never
been crawled, is 异常 — silence is the failure an office most easily misses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import CrawlStat, Site
from models import vocabulary as vocab

WARN_SHARE = 0.3  # a site whose items lack a body or date this often has probably changed its layout


def crawl_flags(stat: CrawlStat) -> list[str]:
    """What is wrong with one crawl of one site (empty: nothing)."""
    flags = []
    if not stat.responses:
        flags.append(vocab.HEALTH_FLAGS["no_response"])
    elif stat.items == 0:
        flags.append(vocab.HEALTH_FLAGS["no_items"])
    if stat.items and stat.empty_bodies / stat.items >= WARN_SHARE:
        flags.append(vocab.HEALTH_FLAGS["empty_bodies"])
    if stat.items and stat.missing_dates / stat.items >= WARN_SHARE:
        flags.append(vocab.HEALTH_FLAGS["missing_dates"])
    if stat.waf_challenges:
        flags.append(vocab.HEALTH_FLAGS["waf"])
    if stat.failures:
        flags.append(vocab.HEALTH_FLAGS["failures"])
    return flags


@dataclass(frozen=True)
class SiteHealth:
    key: str
    name: str
    last_crawl: datetime | None
    items: int
    flags: tuple[str, ...]

    @property
    def state(self) -> str:
        return vocab.health_label(self.flags)


def site_health(session: Session) -> list[SiteHealth]:
    """Every registered news site with the outcome of its latest crawl (any spider); never crawled = 无数据."""
    latest = (
        select(CrawlStat.site_key, func.max(CrawlStat.started_at).label("at"))
        .group_by(CrawlStat.site_key)
        .subquery()
    )
    stats = {
        s.site_key: s
        for s in session.scalars(
            select(CrawlStat).join(
                latest, (latest.c.site_key == CrawlStat.site_key) & (latest.c.at == CrawlStat.started_at)
            )
        )
    }
    out = []
    for site in session.scalars(select(Site).where(Site.kind == "news").order_by(Site.key)):
        stat = stats.get(site.key)
        if stat is None:
            out.append(SiteHealth(site.key, site.name, None, 0, (vocab.HEALTH_FLAGS["no_data"],)))
        else:
            out.append(SiteHealth(site.key, site.name, stat.started_at, stat.items, tuple(crawl_flags(stat))))
    return out
