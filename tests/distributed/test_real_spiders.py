"""The production spiders as distributed workers: three `articles` processes through Redis against the demo
recording, storing into PostgreSQL, do exactly the work of one process — every article once, no page twice."""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from sqlalchemy import func, select

from crawlers.distributed import crawl_status, run_distributed
from crawlers.replay import ReplayServer
from crawlers.run import run_crawl
from models import Article, Fetch
from monitor.demo import DEMO_WARC
from storage.db import make_engine, session_scope

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]
REDIS_URL = os.environ.get("CREDITWATCH_TEST_REDIS", "redis://127.0.0.1:6379/15")


def _page_requests(stats: dict) -> int:
    return int(stats.get("downloader/request_count", 0)) - int(stats.get("robotstxt/request_count", 0))


def _counts(url: str) -> tuple[int, int, set[str]]:
    eng = make_engine(url)
    with session_scope(eng) as s:
        articles = s.scalar(select(func.count()).select_from(Article)) or 0
        fetches = s.scalar(select(func.count()).select_from(Fetch)) or 0
        urls = set(s.scalars(select(Article.url)))
    eng.dispose()
    return articles, fetches, urls


def test_three_article_workers_equal_one_process(pg_url, tmp_path):
    single_db = f"sqlite:///{tmp_path / 'single.db'}"
    with ReplayServer([DEMO_WARC]) as replay:
        for db in (single_db, pg_url):
            home = run_crawl("homepage", replay_proxy=replay.proxy_url, db_url=db)
            assert home.ok, home.log_tail
        single = run_crawl("articles", replay_proxy=replay.proxy_url, db_url=single_db, init_db=False)
        assert single.ok, single.log_tail
        crawl_id = f"test-{uuid.uuid4().hex[:8]}"
        workers = run_distributed(
            "articles",
            processes=3,
            crawl_id=crawl_id,
            redis_url=REDIS_URL,
            db_url=pg_url,
            replay_proxy=replay.proxy_url,
            worker_prefix="t",
        )
    assert all(w.ok for w in workers), [w.log_tail for w in workers]
    single_articles, _, single_urls = _counts(single_db)
    dist_articles, _, dist_urls = _counts(pg_url)
    assert single_articles > 30
    assert dist_urls == single_urls, "the workers together stored exactly what one process stores"
    assert dist_articles == single_articles
    # No page was requested twice across the workers (robots.txt is per process by design).
    assert sum(_page_requests(w.stats) for w in workers) == _page_requests(single.stats)
    assert sum(1 for w in workers if _page_requests(w.stats) > 0) >= 2, "the work was actually shared"
    r = redis.Redis.from_url(REDIS_URL)
    status = crawl_status(r, crawl_id, "articles")
    assert status["queued"] == 0 and status["parked"] == 0
    for k in r.scan_iter(match=f"creditwatch:crawl:{crawl_id}:*"):
        r.delete(k)
