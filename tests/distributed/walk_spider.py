"""A spider for the linked test site, run by real `scrapy runspider` worker processes; items are stored with the
same idempotent upsert the production pipelines use, into the database named by the CW_TEST_DB setting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import scrapy
from scrapy.http import Response

from config.settings import TZ
from models import Article
from storage.db import make_engine, session_scope
from storage.upsert import upsert


class WalkSpider(scrapy.Spider):
    name = "walk"

    async def start(self) -> AsyncIterator[Any]:
        yield scrapy.Request(self.settings.get("CW_TEST_START"))

    def parse(self, response: Response) -> Any:
        yield {"url": response.url, "title": response.css("h1::text").get()}
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href)


class StorePipeline:
    def __init__(self, db_url: str) -> None:
        self.engine = make_engine(db_url)

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler.settings.get("CW_TEST_DB"))

    def close_spider(self, spider: scrapy.Spider | None = None) -> None:
        self.engine.dispose()

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        with session_scope(self.engine) as s:
            upsert(
                s,
                Article,
                {
                    "url": item["url"],
                    "title": item["title"],
                    "extractor": "test",
                    "published_at": datetime.now(TZ),
                },
                key=["url"],
            )
        return item


def walk_command(
    start_url: str, db_url: str, crawl_id: str, worker_id: str, redis_url: str, **extra: Any
) -> list[str]:
    """The `scrapy runspider` command line of one worker of a distributed walk over the linked test site.
    Run it from the repository root with the repository on PYTHONPATH."""
    import sys
    from pathlib import Path

    from crawlers.distributed import command_line_settings, distributed_settings

    settings = distributed_settings(crawl_id, redis_url, worker_id=worker_id)
    settings.update(
        {
            "CW_TEST_START": start_url,
            "CW_TEST_DB": db_url,
            # scrapy.cfg brings the production middlewares (fetch archive, parser health): same database.
            "CREDITWATCH_DATABASE_URL": db_url,
            "ITEM_PIPELINES": {"tests.distributed.walk_spider.StorePipeline": 300},
            "LOG_LEVEL": "WARNING",
            "CONCURRENT_REQUESTS": 4,
            "TELNETCONSOLE_ENABLED": False,
            # scrapy.cfg also makes the production (polite) settings apply; this site is ours, on loopback.
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
            **extra,
        }
    )
    args = [a for k, v in command_line_settings(settings).items() for a in ("-s", f"{k}={v}")]
    return [sys.executable, "-m", "scrapy", "runspider", str(Path(__file__).resolve()), *args]
