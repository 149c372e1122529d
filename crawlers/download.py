"""The crawl's HTTP(S) download handler: Scrapy's aiohttp handler, with the TLS leniency of Scrapy's Twisted one.

Why aiohttp: Scrapy's default Twisted HTTP/1.1 client runs TLS through pyOpenSSL's memory BIO, driven from Python
for every chunk of every response, and parses HTTP in Python. Scrapy's aiohttp handler (its default when it runs
without a Twisted reactor; the crawl runs Twisted's asyncio reactor, so both work) uses the standard library's TLS
and aiohttp's C parser. On the crawl benchmark's 390 article pages it crawled 126 pages a second against 62 with the
Twisted client, on the same replay server, with less CPU (docs/performance.md). Proxies (the replay server's
CONNECT tunnels), timeouts, size limits and certificate settings (`DOWNLOAD_VERIFY_CERTIFICATES`) behave as before.

What it adds: Scrapy's Twisted context allows legacy (RFC 5746-less) renegotiation, which old government and court
servers still need and OpenSSL 3 refuses by default ("unsafe legacy renegotiation disabled"); the aiohttp handler's
standard-library context does not, so it is set here to keep every site reachable that was reachable before.
"""

from __future__ import annotations

from scrapy.core.downloader.handlers._aiohttp import AiohttpDownloadHandler
from scrapy.crawler import Crawler

OP_LEGACY_SERVER_CONNECT = 0x4
"""OpenSSL's SSL_OP_LEGACY_SERVER_CONNECT (the `ssl` module names it only from Python 3.12); the value Scrapy's
Twisted context factory sets."""


class CrawlDownloadHandler(AiohttpDownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        # The context is passed with every request, so changing it here applies to all of them.
        self._ssl_context.options |= OP_LEGACY_SERVER_CONNECT
