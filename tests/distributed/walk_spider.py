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
                {"url": item["url"], "title": item["title"], "extractor": "test", "published_at": datetime.now(TZ)},
                key=["url"],
            )
        return item
