"""Downloader middlewares: replay routing, WARC recording, charset check, the fetch archive, WAF challenges.

Order on the way back from the network (process_response runs from the highest number down):
590 HttpCompression → 589 WarcRecord → 587 Charset → 585 Archive → 583 Waf → 550 Retry → ...
so the WARC and the archive hold decompressed bodies, every response (5xx before its retry, WAF pages, 404s)
is archived, and a WAF challenge becomes one counted, logged `WafChallenge` instead of a crash or a retry loop.

Settings read: ``REPLAY_PROXY`` (route every request through the replay server), ``REPLAY_RECORDED_TIME``
(take the fetch time from the recording's ``Memento-Datetime``), ``RECORD_WARC`` (path of a WARC to write).
"""

from __future__ import annotations

import logging
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as BaseRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response, TextResponse
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from config.settings import TZ
from crawlers.encoding import decode_html, header_charset, meta_charset, normalise_charset
from crawlers.pipelines import CrawlStore, site_key
from crawlers.waf import anti_bot_challenge
from crawlers.warc import WarcRecorder

log = logging.getLogger(__name__)


class WafChallenge(IgnoreRequest):
    """The site answered with an anti-bot challenge page instead of content."""


def fetch_time(response: Response, recorded: bool) -> datetime:
    """When the response was seen: the recording's capture time when replaying, else now (Asia/Shanghai)."""
    if recorded:
        stamp = response.headers.get(b"Memento-Datetime")
        if stamp:
            try:
                return parsedate_to_datetime(stamp.decode("latin-1")).astimezone(TZ)
            except (TypeError, ValueError):
                log.warning("bad Memento-Datetime %r on %s", stamp, response.url)
    return datetime.now(TZ)


def _headers(response: Response) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, values in response.headers.items():
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        out[key] = ", ".join(v.decode("latin-1") for v in values)
    return out


class RobotsTxtMiddleware(BaseRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, fixed for requests that wait on the same robots.txt download.

    In Scrapy 2.19 every request of a site that arrives while its robots.txt is downloading awaits one shared
    Deferred; only the first waiter gets the parser, the others get None and are let through unchecked
    (seen here: a disallowed article fetched when it was queued with other links of the site).
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        if parser is None:
            current = self._parsers.get(urlparse_cached(request).netloc)
            if current is not None and not isinstance(current, Deferred):
                return current
        return parser


class ReplayProxyMiddleware:
    """Sends every request (robots.txt included) to the replay server as a proxy; URLs stay the real ones."""

    def __init__(self, proxy: str) -> None:
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReplayProxyMiddleware:
        proxy = crawler.settings.get("REPLAY_PROXY")
        if not proxy:
            raise NotConfigured
        return cls(proxy)

    def process_request(self, request: Request) -> None:
        request.meta["proxy"] = self.proxy


class WarcRecordMiddleware:
    """Keeps every response in a WARC file (`creditwatch record`)."""

    def __init__(self, path: Path) -> None:
        self.recorder = WarcRecorder(path)
        self.recorder.write_info({"software": "creditwatch", "format": "WARC File Format 1.1"})

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecordMiddleware:
        path = crawler.settings.get("RECORD_WARC")
        if not path:
            raise NotConfigured
        mw = cls(Path(path))
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def process_response(self, request: Request, response: Response) -> Response:
        pairs = [(k, v) for k, v in _headers(response).items()]
        self.recorder.write_response(response.url, response.status, pairs, response.body, datetime.now(TZ))
        return response

    def spider_closed(self) -> None:
        self.recorder.close()
        log.info("recorded %d responses", self.recorder.count)


class CharsetMiddleware:
    """When the HTTP header and the page's meta tag name different charsets, decode by the one with the least
    mojibake (crawlers.encoding) instead of Scrapy's header-first rule, and note the conflict."""

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        declared, in_page = header_charset(content_type), meta_charset(response.body)
        if not declared or not in_page or declared == in_page:
            return response
        _, codec = decode_html(response.body, content_type)
        current = normalise_charset(response.encoding)
        note = f"charset conflict: header {declared}, page {in_page}; decoded as {codec}"
        request.meta["charset_conflict"] = note
        log.info("%s: %s", response.url, note)
        if codec != current:
            return response.replace(encoding=codec)
        return response


class ArchiveMiddleware:
    """Archives every response in `fetches` and tells the callback which row holds it (``meta['fetch_id']``)."""

    def __init__(self, store: CrawlStore, recorded_time: bool) -> None:
        self.store = store
        self.recorded_time = recorded_time

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        mw = cls(CrawlStore.from_crawler(crawler), crawler.settings.getbool("REPLAY_RECORDED_TIME"))
        # Crawls without StorePipeline must still store the queued responses before the process ends.
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def spider_closed(self) -> None:
        self.store.finish_writes()

    def process_response(self, request: Request, response: Response) -> Response:
        if response.headers.get(b"X-Replay") in (b"miss", b"default-robots"):
            # Not a response of the site: the replay server's answer for a URL the recording lacks.
            return response
        fetched_at = fetch_time(response, self.recorded_time)
        request.meta["fetched_at"] = fetched_at
        error = anti_bot_challenge(response.status, response.body, response.headers)
        # WafMiddleware runs next on the same response object: it reuses this verdict instead of scanning again.
        request.meta["waf_verdict"] = (id(response), error)
        if error:
            request.meta["waf"] = error
        elif request.meta.get("charset_conflict"):
            error = request.meta["charset_conflict"]
        first_url = (request.meta.get("redirect_urls") or [request.url])[0]
        # Queued for the store's writer thread (the reactor does not wait on the database); the callback's items
        # carry the reference and are written after it. A refused write is counted and spooled by the store.
        request.meta["fetch_id"] = self.store.queue_archive(
            url=first_url,
            final_url=response.url,
            status=response.status,
            headers=_headers(response),
            body=response.body,
            fetched_at=fetched_at,
            encoding=response.encoding if isinstance(response, TextResponse) else None,
            error=error,
        )
        return response


class WafMiddleware:
    """Turns an anti-bot challenge into a `WafChallenge` counted for its site (no retry: it would not pass)."""

    def __init__(self, store: CrawlStore) -> None:
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WafMiddleware:
        return cls(CrawlStore.from_crawler(crawler))

    def process_response(self, request: Request, response: Response) -> Response:
        verdict = request.meta.get("waf_verdict")
        if verdict is not None and verdict[0] == id(response):  # ArchiveMiddleware examined this response
            reason = verdict[1]
        else:
            reason = anti_bot_challenge(response.status, response.body, response.headers)
        if not reason:
            return response
        if request.url.endswith("/robots.txt"):
            # A challenged robots.txt: Scrapy then treats the site as allowing everything; the articles
            # themselves will meet the same challenge and be counted there.
            return response
        log.warning("%s: %s", response.url, reason)
        self.store.waf(site_key(response.url), response.url, reason)
        raise WafChallenge(reason)


def describe_failure(failure: Any) -> str:
    """One line for a Twisted failure in an errback (HTTP status, timeout, DNS, ...)."""
    exc = failure.value
    response = getattr(exc, "response", None)
    if response is not None:
        return f"HTTP {response.status}"
    return f"{type(exc).__name__}: {exc}"[:300]
