"""`articles`: fetches the articles that homepages, ranking lists, RSS feeds, sitemaps and list pages link to.

Incremental: a URL already stored (as an article's canonical URL or the URL it was fetched from) is not
fetched again unless ``-a refetch=1``. Sources (``-a discover=db,lists``, the default):

* ``db`` — article links of stored homepage snapshots and ranking lists not yet answered by an article;
* ``lists`` — the registry's feeds, sitemaps and list pages, read for article links (TRS list pages are
  followed through their ``createPageHTML(pages, current, "index", "html")`` pagination);
* ``homepages`` — the registry homepages themselves, read for article links (no snapshot stored);
* ``recording`` — when replaying, every article URL of the recording (the replay server's index).

Replaying, the default is ``db,lists,recording``: recorded articles no page links to are read too, and only
URLs the recording holds are requested (the others could only be answered "not recorded").

``-a urls=U1,U2`` fetches those article URLs (still incremental).
"""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

import scrapy
from parsel import Selector
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse

from crawlers.parse_pool import INLINE_FIRST, ParseFailed, ParserPool, default_workers
from crawlers.pipelines import Parsed, site_key
from crawlers.registry import site_for_url
from crawlers.replay import INDEX_PATH, swap_scheme
from crawlers.spiders.base import CreditwatchSpider, truthy

_TRS_PAGES = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]([^'\"]+)['\"]"
)
_XML_START = re.compile(r"^\s*(<\?xml|<rss|<feed|<urlset|<sitemapindex)", re.I)
_MAX_CHILD_SITEMAPS = 5
log = logging.getLogger(__name__)


def trs_pages(text: str, base_url: str, max_pages: int) -> list[str]:
    """Further pages of a TRS list page (``createPageHTML(10, 0, "index", "html")`` → index_1.html ...),
    read from its first page only, at most `max_pages` pages in all."""
    found = _TRS_PAGES.search(text)
    if not found:
        return []
    count, current, prefix, ext = int(found.group(1)), int(found.group(2)), found.group(3), found.group(4)
    if current != 0:
        return []
    return [urljoin(base_url, f"{prefix}_{n}.{ext}") for n in range(1, min(count, max_pages))]


def json_links(data: Any) -> Iterator[str]:
    """Every http(s) URL string in a JSON document (feeds name them url, docurl, link, surl, ...)."""
    if isinstance(data, dict):
        for value in data.values():
            yield from json_links(value)
    elif isinstance(data, list):
        for value in data:
            yield from json_links(value)
    elif isinstance(data, str) and data.startswith(("http://", "https://")):
        yield data


def page_links(response: Response) -> tuple[list[str], list[str]]:
    """``(links, child_sitemaps)`` of a feed, sitemap, JSON(P) list or HTML page."""
    if not isinstance(response, TextResponse):
        return [], []
    text = response.text
    if _XML_START.match(text):
        sel = Selector(text=text, type="xml")
        sel.remove_namespaces()
        if sel.xpath("/sitemapindex"):
            return [], sel.xpath("//sitemap/loc/text()").getall()
        links = sel.xpath("//item/link/text() | //url/loc/text() | //entry/link/@href").getall()
        return [link.strip() for link in links], []
    stripped = text.lstrip()
    if stripped[:1] in "{[" or re.match(r"^[\w$.]+\s*[(=]", stripped):
        try:
            start = min(i for i in (stripped.find("{"), stripped.find("[")) if i >= 0)
            end = max(stripped.rfind("}"), stripped.rfind("]"))
            return list(json_links(json.loads(stripped[start : end + 1]))), []
        except ValueError:
            pass
    hrefs = response.css("a::attr(href)").getall()
    return [
        response.urljoin(h.strip()) for h in hrefs if h.strip() and not h.startswith(("javascript:", "#"))
    ], []


def recorded_urls(proxy: str) -> set[str] | None:
    """The URLs a replay server holds (asked directly: it is a local server, the answer is immediate);
    None when the proxy is not a replay server or does not answer."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{proxy.rstrip('/')}{INDEX_PATH}", timeout=10) as fh:
            urls = json.loads(fh.read())
    except (OSError, ValueError) as exc:
        log.warning("no recording index from %s (%s): requesting every URL", proxy, exc)
        return None
    return {str(u) for u in urls} if isinstance(urls, list) else None


class ArticlesSpider(CreditwatchSpider):
    """Article pages of the 15 sites, read by the site's page object (generic extractor as fallback)."""

    name = "articles"

    def __init__(
        self,
        site: str | None = None,
        refetch: str = "0",
        discover: str | None = None,
        urls: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(site, *args, **kwargs)
        self.refetch = truthy(refetch)
        self.discover_arg = discover
        self.explicit = [u.strip() for u in (urls or "").split(",") if u.strip()]
        self.per_site: dict[str, int] = {}
        self.queued_urls: set[str] = set()
        self.recorded: set[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArticlesSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, ArticlesSpider)
        spider.max_per_site = crawler.settings.getint("ARTICLES_MAX_PER_SITE", 200)
        spider.max_list_pages = crawler.settings.getint("LIST_MAX_PAGES", 3)
        spider.lookback_days = crawler.settings.getfloat("ARTICLES_LOOKBACK_DAYS", 3.0)
        spider.replay_proxy = crawler.settings.get("REPLAY_PROXY")
        default = "db,lists,recording" if spider.replay_proxy else "db,lists"
        spider.discover = {d.strip() for d in (spider.discover_arg or default).split(",") if d.strip()}
        unknown = spider.discover - {"db", "lists", "homepages", "recording"}
        if unknown:
            raise ValueError(
                f"unknown discover source(s) {sorted(unknown)}; use db, lists, homepages, recording"
            )
        if "recording" in spider.discover and not spider.replay_proxy:
            raise ValueError("discover=recording needs a replay server (REPLAY_PROXY)")
        # Article pages are parsed in worker processes once a crawl has more than a few (crawlers.parse_pool).
        spider.parser = ParserPool(
            crawler.settings.getint("CREDITWATCH_PARSE_WORKERS", default_workers()),
            crawler.settings.getint("CREDITWATCH_PARSE_INLINE_FIRST", INLINE_FIRST),
        )
        crawler.signals.connect(spider.parser.close, signal=signals.spider_closed)
        return spider

    max_per_site = 200
    max_list_pages = 3
    lookback_days = 3.0
    replay_proxy: str | None = None
    discover: set[str] = frozenset()  # type: ignore[assignment]
    parser: ParserPool

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.explicit:
            for request in self.article_requests(self.explicit, capped=False):
                yield request
            return
        if self.replay_proxy:
            self.recorded = recorded_urls(self.replay_proxy)
            if "recording" in self.discover and self.recorded is not None:
                for request in self.article_requests(sorted(self.recorded), capped=False):
                    yield request
        if "db" in self.discover:
            pending = self.store.pending_links(
                self.site_keys, self.max_per_site, timedelta(days=self.lookback_days)
            )
            for request in self.article_requests(url for _, url in pending):
                yield request
        for site in self.sites:
            if "lists" in self.discover:
                for url in site.discovery_urls():
                    yield self.request(url, self.parse_listing, site.key)
            if "homepages" in self.discover:
                for url in site.homepages:
                    yield self.request(url, self.parse_listing, site.key)

    def article_requests(self, urls: Iterable[str], capped: bool = True) -> Iterator[scrapy.Request]:
        """Requests for the article URLs of the selected sites not stored yet (all of them with refetch);
        links found on pages count against ARTICLES_MAX_PER_SITE, explicitly named URLs do not."""
        wanted: list[tuple[str, str]] = []
        for url in dict.fromkeys(urls):
            entry = site_for_url(url)
            if entry is None or entry.key not in self.site_keys or not entry.is_article_url(url):
                continue
            if url in self.queued_urls:
                continue
            if (
                self.recorded is not None
                and url not in self.recorded
                and swap_scheme(url) not in self.recorded
            ):
                continue
            wanted.append((entry.key, url))
        known = set() if self.refetch else self.store.known_urls(u for _, u in wanted)
        for key, url in wanted:
            if url in known:
                continue
            if capped and self.per_site.get(key, 0) >= self.max_per_site:
                continue
            self.per_site[key] = self.per_site.get(key, 0) + 1
            self.queued_urls.add(url)
            self.parser.planned(len(self.queued_urls))
            yield self.request(url, self.parse_article, key)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        site = self.site_of(response)
        links, sitemaps = page_links(response)
        for url in sitemaps[:_MAX_CHILD_SITEMAPS]:
            yield self.request(url, self.parse_listing, site)
        if isinstance(response, TextResponse) and not response.meta.get("list_page"):
            for n, url in enumerate(trs_pages(response.text, response.url, self.max_list_pages), start=1):
                yield self.request(url, self.parse_listing, site, list_page=n)
        yield from self.article_requests(links)

    async def parse_article(self, response: Response) -> AsyncIterator[Parsed]:
        site = self.site_of(response)
        text = self.text_of(response)
        if text is None:
            return
        result = await self.parser.parse(response.url, text, self.fetched_at(response))
        if self.parser.parsed_in_workers and self.crawler.stats is not None:
            self.crawler.stats.set_value("creditwatch/parsed_in_workers", self.parser.parsed_in_workers)
        if isinstance(result, ParseFailed):
            self.store.failure(site, response.url, f"article parse: {result.reason}")
            return
        yield Parsed(
            item=result,
            site=site if site != "unknown" else site_key(result.url),
            request_url=(response.meta.get("redirect_urls") or [response.url])[0],
            response_url=response.url,
            fetch_id=response.meta.get("fetch_id"),
        )
