"""`homepage`: one snapshot of every registry homepage — each headline link with its position and block."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.pages import ParseError, homepage_parser_for
from crawlers.pipelines import Parsed
from crawlers.spiders.base import CreditwatchSpider


class HomepageSpider(CreditwatchSpider):
    """``-a site=KEYS`` limits the sites; ``-a urls=U1,U2`` snapshots those pages instead of the registry's."""

    name = "homepage"

    def __init__(self, site: str | None = None, urls: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(site, *args, **kwargs)
        self.extra_urls = [u.strip() for u in (urls or "").split(",") if u.strip()]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.extra_urls:
            from crawlers.pipelines import site_key

            for url in self.extra_urls:
                yield self.request(url, self.parse_homepage, site_key(url))
            return
        for site in self.sites:
            for url in site.homepages:
                yield self.request(url, self.parse_homepage, site.key)

    def parse_homepage(self, response: Response) -> Iterator[Parsed]:
        site = self.site_of(response)
        text = self.text_of(response)
        if text is None:
            return
        try:
            item = homepage_parser_for(site).parse(response.url, text, self.fetched_at(response))
        except ParseError as exc:
            self.store.failure(site, response.url, f"homepage parse: {exc}")
            return
        yield Parsed(
            item=item,
            site=site,
            request_url=(response.meta.get("redirect_urls") or [response.url])[0],
            response_url=response.url,
            fetch_id=response.meta.get("fetch_id"),
        )
