"""Provincial/city credit sites (信用江苏, 诚信江阴 ...): 红黑榜 and 双公示 columns driven by config/credit_sites.yaml.

Arguments: site (a key of the file; default all sites), config (another YAML file), max_pages (TRS pages per
column). Each column page's links (filtered by `title_filter`) are followed and the tables of each announcement
become records.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.portals import creditsite
from crawlers.portals.errors import PortalError
from crawlers.portals.records import PortalItem
from crawlers.portals.sites_config import CreditColumn, CreditSite, load_credit_sites
from crawlers.spiders.portal_base import PortalSpider
from crawlers.waf import check_blocked


class CreditSiteSpider(PortalSpider):
    name = "portal_creditsite"
    portal = "creditsite"

    def __init__(self, *args: Any, site: str = "", config: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites = load_credit_sites(Path(config) if config else None)
        self.sites = [s for s in sites if not site or s.key == site]
        if site and not self.sites:
            raise ValueError(
                f"credit site {site!r} is not in the configuration ({', '.join(s.key for s in sites)})"
            )
        if len(self.sites) == 1:
            self.health.portal = f"creditsite:{self.sites[0].key}"[:32]

    async def start(self) -> AsyncIterator[Any]:
        for s in self.sites:
            if not s.columns:
                self.health.note(None, f"{s.key}: no columns configured")
            for col in s.columns:
                yield scrapy.Request(
                    col.url,
                    headers=self.headers(Accept="text/html,*/*;q=0.8"),
                    callback=self.parse_column,
                    cb_kwargs={"site": s, "column": col, "first": True},
                )

    def parse_column(self, response: Response, site: CreditSite, column: CreditColumn, first: bool) -> Any:
        def parse() -> creditsite.ColumnPage:
            check_blocked(f"creditsite:{site.key}", response.status, response.body, None, response.url)
            if response.status >= 400:
                raise PortalError(f"creditsite:{site.key}", "status", f"HTTP {response.status}", response.url)
            return creditsite.parse_column(
                response.text,
                response.url,
                item=column.item,
                link=column.link,
                date_sel=column.date,
                site=site.key,
            )

        page = self.guarded(response, parse)
        if page is None:
            return
        wanted = re.compile(column.title_filter) if column.title_filter else None
        for link in page.links:
            if wanted and not wanted.search(link.title):
                continue
            yield scrapy.Request(
                link.url,
                headers=self.headers(Accept="text/html,*/*;q=0.8"),
                callback=self.parse_announcement,
                cb_kwargs={"site": site, "column": column, "published_on": link.published_on},
            )
        if first:
            for url in page.page_urls[1 : self.max_pages]:
                yield scrapy.Request(
                    url,
                    headers=self.headers(Accept="text/html,*/*;q=0.8"),
                    callback=self.parse_column,
                    cb_kwargs={"site": site, "column": column, "first": False},
                )

    def parse_announcement(
        self, response: Response, site: CreditSite, column: CreditColumn, published_on: date | None
    ) -> Any:
        source = f"creditsite:{site.key}"

        def parse() -> list[PortalItem]:
            check_blocked(source, response.status, response.body, None, response.url)
            return creditsite.parse_records(
                response.text,
                response.url,
                column.list_kind,
                source=source,
                table=column.table,
                published_on=published_on,
                default_authority=column.authority,
            )

        items = self.guarded(response, parse)
        if items:
            yield from items
