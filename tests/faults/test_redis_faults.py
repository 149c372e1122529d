"""Redis gone in the middle of a distributed crawl: two real worker processes reach Redis through a local TCP
relay (`TcpProxy`) that the test cuts after some pages — the Redis server itself keeps running. The workers must
exit with `REDIS_LOST_EXIT` (not hang, not exit 0), nothing may be stored twice, and the same crawl resumed with
Redis back fetches what was left and stores every page exactly once.

The site is the hand-made linked site of tests/distributed; the database is the test backend's."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from crawlers.distributed import REDIS_LOST_EXIT, crawl_status
from models import Article
from storage.db import make_engine, session_scope
from tests.distributed.linked_site import LinkedSite
from tests.distributed.walk_spider import walk_command
from tests.faults.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.redis, pytest.mark.slow]
REDIS_URL = os.environ.get("CREDITWATCH_TEST_REDIS", "redis://127.0.0.1:6379/15")
REPO = Path(__file__).resolve().parents[2]
PAGES = 150


def _stored(db_url: str) -> tuple[int, int]:
    """(article rows, distinct article URLs)."""
    eng = make_engine(db_url)
    with session_scope(eng) as s:
        rows = s.scalar(select(func.count()).select_from(Article)) or 0
        urls = s.scalar(select(func.count(func.distinct(Article.url)))) or 0
    eng.dispose()
    return rows, urls


@pytest.fixture
def rds() -> Iterator[redis.Redis]:
    r = redis.Redis.from_url(REDIS_URL)
    r.ping()
    yield r
    for k in r.scan_iter(match="creditwatch:crawl:fault-*"):
        r.delete(k)


def _workers(site: LinkedSite, db_url: str, crawl_id: str, redis_url: str) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return [
        subprocess.Popen(
            walk_command(f"{site.url}/p/0.html", db_url, crawl_id, f"w{i}", redis_url),
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for i in range(2)
    ]


def test_redis_gone_mid_crawl_fails_the_workers_and_the_crawl_resumes(db_url: str, rds: redis.Redis) -> None:
    crawl_id = f"fault-{uuid.uuid4().hex[:8]}"
    redis_host = rds.connection_pool.connection_kwargs
    target = (str(redis_host.get("host", "127.0.0.1")), int(redis_host.get("port", 6379)))
    db_index = int(redis_host.get("db", 0))
    with TcpProxy(target) as relay, LinkedSite(PAGES, delay=0.1) as site:
        relayed = f"redis://127.0.0.1:{relay.port}/{db_index}"
        procs = _workers(site, db_url, crawl_id, relayed)
        deadline = time.monotonic() + 90
        while sum(site.hits.values()) < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        relay.stop()
        cut_at = sum(site.hits.values())
        outs = [p.communicate(timeout=90)[0].decode(errors="replace") for p in procs]
        assert [p.returncode for p in procs] == [REDIS_LOST_EXIT] * 2, outs
        assert all("Redis unreachable" in o for o in outs), outs
        rows, urls = _stored(db_url)
        assert rows == urls, "nothing stored twice"
        assert 0 < rows < PAGES, (rows, cut_at)
        status = crawl_status(rds, crawl_id, "walk")
        assert status["parked"] > 0 or status["queued"] > 0, status  # the rest of the crawl is still in Redis
        before = dict(site.hits)

        relay.start()  # Redis is back (same address): the same workers resume the same crawl
        procs = _workers(site, db_url, crawl_id, relayed)
        outs = [p.communicate(timeout=180)[0].decode(errors="replace") for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs
        hits = dict(site.hits)
    assert len(hits) == PAGES, "every page fetched"
    assert _stored(db_url) == (PAGES, PAGES), "every page stored exactly once"
    # Pages fetched again are those in flight at the cut (parked, never acknowledged), nothing else.
    refetched = sum(1 for k, v in hits.items() if v > 1)
    assert refetched <= status["parked"], (refetched, status)
    assert max(hits.values()) <= 2 and all(v == 1 for k, v in hits.items() if k not in before)
    final = crawl_status(rds, crawl_id, "walk")
    assert final["queued"] == 0 and final["parked"] == 0 and final["seen"] == PAGES
