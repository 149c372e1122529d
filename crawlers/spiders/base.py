"""What every creditwatch spider shares: site selection, fetch times, failure accounting.

Spiders hold crawl logic only; the page objects of `crawlers.pages` (chosen by domain) read the pages.
Failures never stop a crawl: each one is counted for its site in the parser-health table and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from config.settings import TZ
from crawlers.encoding import BINARY_SHARE, binary_share
from crawlers.middlewares import WafChallenge, describe_failure
from crawlers.pipelines import CrawlStore, site_key
from crawlers.registry import SiteEntry, get_site, registry

log = logging.getLogger(__name__)


def truthy(value: Any) -> bool:
    """Spider arguments arrive as strings (``-a refetch=1``)."""
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class CreditwatchSpider(scrapy.Spider):
    """Base of the homepage, ranking and articles spiders. ``-a site=people,163`` limits a crawl to sites."""

    store: CrawlStore

    def __init__(self, site: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keys = [k.strip() for k in (site or "").split(",") if k.strip()]
        self.sites: list[SiteEntry] = [get_site(k) for k in keys] if keys else list(registry())

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> CreditwatchSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.store = CrawlStore.from_crawler(crawler)
        crawler.signals.connect(spider.on_dropped, signal=signals.request_dropped)
        return spider

    def on_dropped(self, request: scrapy.Request) -> None:
        """A redirect back into its own chain (A → B → A, A → A) is dropped by the dupefilter without an errback:
        count it as the site's failure instead of losing the URL silently. (A redirect to a URL fetched
        elsewhere in the crawl is a plain duplicate, not a failure.)"""
        chain = list(request.meta.get("redirect_urls") or [])
        if request.url in chain:
            site = str(request.meta.get("site") or site_key(chain[0]))
            reason = "redirect loop: " + " → ".join([*chain, request.url])
            log.warning("%s failed: %s", chain[0], reason)
            self.store.failure(site, chain[0], reason[:300])

    @property
    def site_keys(self) -> set[str]:
        return {s.key for s in self.sites}

    def fetched_at(self, response: Response) -> datetime:
        value = response.meta.get("fetched_at")
        return value if isinstance(value, datetime) else datetime.now(TZ)

    def text_of(self, response: Response) -> str | None:
        """The decoded page, or None (counted as a failure) for a non-text response."""
        if not isinstance(response, TextResponse):
            self.store.failure(self.site_of(response), response.url, "not a text response")
            return None
        share = binary_share(response.body)
        if share > BINARY_SHARE:
            # Binary bytes served as text/html: the generic extractor would store them as an article.
            reason = f"not a text page: {share:.0%} of the bytes are control bytes"
            self.store.failure(self.site_of(response), response.url, reason)
            return None
        return response.text

    def site_of(self, response: Response) -> str:
        return str(response.meta.get("site") or site_key(response.url))

    def request(self, url: str, callback: Any, site: str, **meta: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta={"site": site, **meta})

    def on_error(self, failure: Failure) -> Iterable[Any]:
        """Counts a request that failed for good (after retries) for its site; WAF challenges were counted by
        WafMiddleware, and URLs missing from a replayed recording are not the site's fault."""
        request = failure.request  # type: ignore[attr-defined]
        site = str(request.meta.get("site") or site_key(request.url))
        if failure.check(WafChallenge):
            return []
        response = getattr(failure.value, "response", None)
        if response is not None and response.headers.get(b"X-Replay") == b"miss":
            self.store.not_recorded(site, request.url)
            return []
        if failure.check(IgnoreRequest) and str(failure.value) == "max redirections reached":
            pass  # a redirect chain longer than REDIRECT_MAX_TIMES: the site's failure, counted below
        elif failure.check(IgnoreRequest) and not failure.check(HttpError):
            # robots.txt forbids it, or a middleware chose to drop it: noted, not the site's failure
            self.store.site(site).note(request.url, str(failure.value)[:200] or "ignored")
            return []
        reason = describe_failure(failure)
        log.warning("%s failed: %s", request.url, reason)
        self.store.failure(site, request.url, reason)
        return []
