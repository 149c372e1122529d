"""What every portal spider shares: base URL override, the session cookie from configuration, parser-health
counting, and the rule that a block stops the crawl of that portal (reported, never a crash).

Settings read: `PORTAL_COOKIES` ({portal: Cookie header}; default `settings.portal_cookies` of creditwatch),
`PORTAL_BASE_URLS` ({portal: base URL}, e.g. a local replay server).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from config.settings import get_settings
from crawlers.portals.errors import PortalBlocked, PortalError
from crawlers.portals.health import PortalHealth

T = TypeVar("T")
log = logging.getLogger(__name__)

# Firewall answers must reach the callbacks: they are reported, not dropped by HttpErrorMiddleware.
BLOCK_STATUSES = [400, 401, 403, 404, 405, 412, 429, 500, 502, 503, 521]


class PortalSpider(scrapy.Spider):
    """Base of the portal spiders (not run itself)."""

    portal: ClassVar[str] = ""
    default_base: ClassVar[str] = ""
    handle_httpstatus_list = BLOCK_STATUSES
    custom_settings: dict[str, Any] | None = {  # noqa: RUF012 - Scrapy reads this class attribute
        "ITEM_PIPELINES": {"crawlers.portals.pipeline.PortalPipeline": 400},
        # Under the project settings (`scrapy crawl`, crawlers.run) the news crawl's archive and WAF middlewares
        # would archive every response a second time and swallow challenges before the portal callbacks see
        # them; PortalPipeline archives and the callbacks report challenges instead.
        "DOWNLOADER_MIDDLEWARES": {
            "crawlers.middlewares.ArchiveMiddleware": None,
            "crawlers.middlewares.WafMiddleware": None,
        },
        "COOKIES_ENABLED": True,
        "RETRY_HTTP_CODES": [502, 503, 504, 522, 524, 408],  # never retry a challenge: it only angers the WAF
        "DOWNLOAD_DELAY": 1.0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    }

    def __init__(
        self, *args: Any, base_url: str | None = None, max_pages: str | int = 5, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.health = PortalHealth(self.portal)
        self._base_arg = base_url
        self.max_pages = int(max_pages)

    @property
    def base(self) -> str:
        """Portal origin: the spider argument, else PORTAL_BASE_URLS[portal], else the real portal."""
        configured = self.settings.getdict("PORTAL_BASE_URLS") if hasattr(self, "crawler") else {}
        return (self._base_arg or configured.get(self.portal) or self.default_base).rstrip("/")

    @property
    def cookie(self) -> str | None:
        """The browser-session Cookie header configured for this portal, if any."""
        cookies = self.settings.getdict("PORTAL_COOKIES") if hasattr(self, "crawler") else {}
        return cookies.get(self.portal) or get_settings().portal_cookies.get(self.portal) or None

    @property
    def session_cookies(self) -> dict[str | bytes, str | bytes | bool | float | int]:
        """The configured Cookie header as a dict: Scrapy's cookie middleware replaces a hand-set Cookie header,
        so the session goes into the cookie jar instead (and survives redirects)."""
        out: dict[str | bytes, str | bytes | bool | float | int] = {}
        for part in (self.cookie or "").split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name:
                out[name] = value
        return out

    def headers(self, **extra: str) -> dict[str, str]:
        h = {"Accept": "application/json, text/javascript, */*; q=0.01", "Accept-Language": "zh-CN,zh;q=0.9"}
        h.update(extra)
        return h

    def stop_without_session(self, reason: str) -> None:
        """Say clearly why this portal is not crawled and record it; the spider then ends normally."""
        self.health.need_session(reason)
        self.logger.error("%s not crawled: %s", self.portal, reason)

    def guarded(self, response: Response, parse: Callable[[], T]) -> T | None:
        """Run `parse`: a block stops the whole portal, a malformed answer is counted and skipped."""
        self.health.responses += 1
        try:
            return parse()
        except PortalBlocked as exc:
            self.health.block(response.url, exc.reason)
            self.logger.error("%s blocked at %s: %s", self.portal, response.url, exc.reason)
            raise CloseSpider(f"blocked: {exc.reason}") from None
        except PortalError as exc:
            self.health.fail(response.url, str(exc))
            self.logger.error("%s", exc)
            return None
