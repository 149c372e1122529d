"""`ranking`: every ranking source of the registry (163 rank pages and hot-list JSON, sina JSONP, qq JSON)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import scrapy
from scrapy.http import Response

from config.settings import TZ
from crawlers.items import RankingItem
from crawlers.pages import ParseError, ranking_parser_for
from crawlers.pipelines import Parsed
from crawlers.registry import RankingSource
from crawlers.spiders.base import CreditwatchSpider


def list_name(source: RankingSource, item: RankingItem) -> str:
    """The stored list name: the registry's name, plus the page's own list name when it has several lists."""
    own = item.list_name.strip()
    if not own or own in source.name:
        return source.name
    return f"{source.name}·{own}"


class RankingSpider(CreditwatchSpider):
    """``-a site=KEYS`` limits the sites. Day-keyed lists (``{date}`` in the URL) are read for today, or for
    ``-a date=YYYY-MM-DD`` (a past day's list, or the day a recording was made)."""

    name = "ranking"

    def __init__(self, site: str | None = None, date: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(site, *args, **kwargs)
        self.day = datetime.strptime(date, "%Y-%m-%d").date() if date else None

    async def start(self) -> AsyncIterator[scrapy.Request]:
        today = self.day or datetime.now(TZ).date()
        for site in self.sites:
            for source in site.ranking:
                yield self.request(source.url_for(today), self.parse_ranking, site.key, source=source.name)

    def _source(self, site: str, name: str) -> RankingSource:
        from crawlers.registry import get_site

        return next(s for s in get_site(site).ranking if s.name == name)

    def parse_ranking(self, response: Response) -> Iterator[Parsed]:
        site = self.site_of(response)
        source = self._source(site, response.meta["source"])
        text = self.text_of(response)
        if text is None:
            return
        fetched_at = self.fetched_at(response)
        try:
            parser = ranking_parser_for(response.url)
            parse_all = getattr(parser, "parse_all", None)
            items = (
                parse_all(response.url, text, fetched_at)
                if parse_all
                else [parser.parse(response.url, text, fetched_at)]
            )
        except ParseError as exc:
            self.store.failure(site, response.url, f"ranking parse: {exc}")
            return
        request_url = (response.meta.get("redirect_urls") or [response.url])[0]
        names: set[str] = set()
        for item in items:
            if not item.entries:
                self.store.failure(site, response.url, f"ranking {item.list_name!r}: no entries")
                continue
            name = list_name(source, item)
            if name in names:  # two tabs with the same caption: tell them apart by period, else by order
                name = (
                    f"{name}·{item.period}"
                    if item.period and f"{name}·{item.period}" not in names
                    else f"{name}·{len(names) + 1}"
                )
            names.add(name)
            yield Parsed(
                item=item,
                site=site,
                request_url=request_url,
                response_url=response.url,
                fetch_id=response.meta.get("fetch_id"),
                list_name=name,
            )
