"""The crawl's download handler and the Scrapy settings every crawl runs with."""

from __future__ import annotations

import asyncio

from scrapy import Spider
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

import crawlers.settings as crawl_settings
from crawlers.download import OP_LEGACY_SERVER_CONNECT, CrawlDownloadHandler


def _project_settings() -> Settings:
    settings = Settings()
    settings.setmodule(crawl_settings, priority="project")
    return settings


def test_http_and_https_go_through_the_crawl_handler() -> None:
    settings = _project_settings()
    handlers = settings.getdict("DOWNLOAD_HANDLERS")
    assert handlers["http"] == handlers["https"] == "crawlers.download.CrawlDownloadHandler"


def test_the_handler_allows_legacy_renegotiation_and_keeps_certificate_settings() -> None:
    async def handlers() -> tuple[int, int, bool]:
        # No Twisted reactor in this test process: the handler itself does not need one.
        project = {**_project_settings().copy_to_dict(), "TWISTED_REACTOR_ENABLED": False}
        lenient = CrawlDownloadHandler(get_crawler(Spider, project))
        verifying = CrawlDownloadHandler(
            get_crawler(Spider, {"TWISTED_REACTOR_ENABLED": False, "DOWNLOAD_VERIFY_CERTIFICATES": True})
        )
        try:
            return (
                lenient._ssl_context.options & OP_LEGACY_SERVER_CONNECT,
                verifying._ssl_context.options & OP_LEGACY_SERVER_CONNECT,
                verifying._ssl_context.check_hostname,
            )
        finally:
            await lenient.close()
            await verifying.close()

    lenient, verifying, checks_hostname = asyncio.run(handlers())
    assert lenient and verifying
    assert checks_hostname  # verification, when asked for, is not weakened


def test_no_remote_control_endpoint_in_a_crawl() -> None:
    assert _project_settings().getbool("REMOTE_CONTROL_ENABLED") is False
