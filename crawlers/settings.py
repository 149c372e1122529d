"""Scrapy settings of creditwatch: polite by default (robots.txt, AutoThrottle, 2 requests per domain).

`crawlers.run.run_crawl` overrides a few per crawl with ``-s``: the database URL and run id, replay routing
(``REPLAY_PROXY``, no throttling against the local replay server) and WARC recording (``RECORD_WARC``).
"""

from __future__ import annotations

from config.settings import get_settings

BOT_NAME = "creditwatch"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# A real browser User-Agent with a contact suffix (creditwatch settings `user_agent`).
USER_AGENT = get_settings().user_agent
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,application/json;q=0.8,*/*;q=0.7",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.6",
}

ROBOTSTXT_OBEY = True

# Politeness: at most 2 parallel requests per site, AutoThrottle adapts the delay to each site's latency.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
DOWNLOAD_DELAY_JITTER = 0.5  # ±50 %
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.5

# Failures: retry transient ones (5xx, timeouts, 429), give up on anti-bot challenges (WafMiddleware).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 5

COOKIES_ENABLED = True
# Per-response costs of Scrapy's defaults that buy nothing here. CONCURRENT_ITEMS (default 100) starts that many
# asyncio worker tasks for every callback's output, ~100 tasks per article page whose callback yields one item;
# the pipeline only queues items for the writer thread, so one worker handles them as fast, in the same order.
CONCURRENT_ITEMS = 1
# Scrapy's check for `return value` in generator callbacks re-reads and re-parses the callback's source for every
# response (its cache is keyed on the bound method, a new object each time): 1.1 ms a page.
WARN_ON_GENERATOR_RETURN_VALUE = False
TELNETCONSOLE_ENABLED = False
# Scrapy's remote control (since 2.19, on by default) serves a local HTTP endpoint that runs code sent to it inside the
# crawl; nothing here uses it, and a scheduled crawler must not offer it.
REMOTE_CONTROL_ENABLED = False
# HTTP(S) through Scrapy's aiohttp handler instead of Twisted's HTTP/1.1 client: about twice the pages a second on
# the crawl benchmark (crawlers/download.py says why and what it keeps of the Twisted client's TLS leniency).
DOWNLOAD_HANDLERS = {
    "http": "crawlers.download.CrawlDownloadHandler",
    "https": "crawlers.download.CrawlDownloadHandler",
}
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's robots.txt middleware lets all but one of the requests waiting for a robots.txt through.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.middlewares.RobotsTxtMiddleware": 100,
    "crawlers.middlewares.ReplayProxyMiddleware": 700,  # before HttpProxyMiddleware (750) reads meta["proxy"]
    "crawlers.middlewares.WarcRecordMiddleware": 589,
    "crawlers.middlewares.CharsetMiddleware": 587,
    "crawlers.middlewares.ArchiveMiddleware": 585,
    "crawlers.middlewares.WafMiddleware": 583,
}
ITEM_PIPELINES = {
    "crawlers.pipelines.StorePipeline": 300,
}

# creditwatch's own settings (overridden per crawl by crawlers.run).
CREDITWATCH_DATABASE_URL = None  # None: creditwatch settings (CREDITWATCH_DATABASE_URL env, TOML, default)
CREDITWATCH_RUN_ID = None
REPLAY_PROXY = None  # http://127.0.0.1:PORT of a crawlers.replay.ReplayServer
REPLAY_RECORDED_TIME = False  # take fetch times from the recording (Memento-Datetime)
RECORD_WARC = None  # path of a WARC file receiving every response
LIST_MAX_PAGES = 3  # TRS list pages followed per list (createPageHTML pagination)
ARTICLES_MAX_PER_SITE = 200  # article requests per site and crawl
ARTICLES_LOOKBACK_DAYS = 3  # homepage/ranking links followed: snapshots this close to the newest one
CREDITWATCH_STATS_FILE = None  # JSON of the Scrapy stats, written at the end (crawlers.run reads it)
