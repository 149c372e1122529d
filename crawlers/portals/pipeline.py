"""Item pipeline of the portal spiders: archives every response (`storage.repository.archive_fetch`), upserts each
PortalItem by dedup_key, and writes the crawl's parser-health row (CrawlStat) at the end.

Settings read: `CREDITWATCH_DATABASE_URL` (default: the creditwatch settings), `CREDITWATCH_RUN_ID` (default: a new
uuid). Each write is its own short transaction, so a crash loses at most the item in flight.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from sqlalchemy import Engine

from config.settings import get_settings
from crawlers.portals.health import PortalHealth
from crawlers.portals.records import PortalItem
from crawlers.portals.store import store_items
from crawlers.waf import challenge_reason
from models import CrawlStat
from models.base import now
from storage.db import make_engine, session_scope
from storage.repository import archive_fetch
from storage.upsert import upsert

log = logging.getLogger(__name__)


class PortalPipeline:
    """Stores what the portal spiders read."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        url = crawler.settings.get("CREDITWATCH_DATABASE_URL") or get_settings().database_url
        self.engine: Engine = make_engine(url)
        self.run_id: str = crawler.settings.get("CREDITWATCH_RUN_ID") or uuid.uuid4().hex
        self.new = 0
        self.known = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PortalPipeline:
        p = cls(crawler)
        crawler.signals.connect(p.response_received, signal=signals.response_received)
        return p

    def _health(self) -> PortalHealth | None:
        spider = self.crawler.spider
        health = getattr(spider, "health", None)
        return health if isinstance(health, PortalHealth) else None

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        """Archive the raw response before any parsing: the evidence is kept even when the parser fails."""
        headers = {
            k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in response.headers.items()
        }
        reason = challenge_reason(response.status, response.body, headers)
        try:
            with session_scope(self.engine) as s:
                archive_fetch(
                    s,
                    url=request.url,
                    final_url=response.url,
                    status=response.status,
                    headers=headers,
                    body=response.body,
                    fetched_at=now(),
                    spider=spider.name[:32],
                    error=f"WAF/captcha: {reason}" if reason else None,
                )
        except Exception:  # the archive must not stop the crawl; the failure is logged and counted
            log.exception("could not archive %s", response.url)
            h = self._health()
            if h is not None:
                h.fail(response.url, "archive write failed")

    def process_item(self, item: Any) -> Any:
        if isinstance(item, PortalItem):
            with session_scope(self.engine) as s:
                new, known = store_items(s, [item], fetched_at=now())
            self.new += new
            self.known += known
            h = self._health()
            if h is not None:
                h.items += 1
                if item.decided_on is None and item.published_on is None:
                    h.missing_dates += 1
        return item

    def close_spider(self) -> None:
        h = self._health()
        spider = self.crawler.spider
        if h is not None and spider is not None:
            with session_scope(self.engine) as s:
                upsert(
                    s,
                    CrawlStat,
                    {
                        "run_id": self.run_id,
                        "spider": spider.name[:32],
                        "site_key": h.portal[:32],
                        "started_at": h.started_at,
                        "finished_at": now(),
                        "responses": h.responses,
                        "items": h.items,
                        "empty_bodies": 0,
                        "missing_dates": h.missing_dates,
                        "failures": h.failures,
                        "waf_challenges": h.waf_challenges,
                        "errors": h.errors,
                    },
                    key=["run_id", "site_key"],
                )
            log.info("%s: %d new records, %d already stored, health %s", spider.name, self.new, self.known, h)
        self.engine.dispose()
