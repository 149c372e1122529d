"""Distributed crawling through Redis: several real Scrapy processes share one queue and dupefilter, write to
PostgreSQL, and a worker killed with SIGKILL resumes without losing or duplicating anything."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import func, select

from crawlers.distributed import crawl_keys, crawl_status
from models import Article
from storage.db import make_engine, session_scope
from tests.distributed.linked_site import LinkedSite
from tests.distributed.walk_spider import walk_command

pytestmark = [pytest.mark.redis, pytest.mark.postgres]
REDIS_URL = os.environ.get("CREDITWATCH_TEST_REDIS", "redis://127.0.0.1:6379/15")
REPO = Path(__file__).resolve().parents[2]


def _worker(site: LinkedSite, db_url: str, crawl_id: str, worker_id: str) -> subprocess.Popen[bytes]:
    cmd = walk_command(f"{site.url}/p/0.html", db_url, crawl_id, worker_id, REDIS_URL)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _stored(db_url: str) -> int:
    eng = make_engine(db_url)
    with session_scope(eng) as s:
        n = s.scalar(select(func.count()).select_from(Article)) or 0
    eng.dispose()
    return n


@pytest.fixture
def rds() -> Any:
    r = redis.Redis.from_url(REDIS_URL)
    r.ping()
    yield r
    for k in r.scan_iter(match="creditwatch:crawl:test-*"):
        r.delete(k)


def test_three_workers_share_one_crawl(db_url, rds):
    pages = 60
    crawl_id = f"test-{uuid.uuid4().hex[:8]}"
    with LinkedSite(pages, delay=0.01) as site:
        procs = [_worker(site, db_url, crawl_id, f"w{i}") for i in range(3)]
        outs = [p.communicate(timeout=120)[0].decode(errors="replace") for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        hits = site.hits
    assert len(hits) == pages, "every page fetched"
    assert max(hits.values()) == 1, "no page fetched twice across workers"
    assert _stored(db_url) == pages
    status = crawl_status(rds, crawl_id, "walk")
    assert status["queued"] == 0 and status["parked"] == 0 and status["seen"] == pages
    # The shared fingerprints do not live for ever.
    assert 0 < status["dupefilter_ttl"] <= 7 * 24 * 3600


def test_killed_worker_resumes_without_loss_or_duplicates(db_url, rds):
    pages = 200
    crawl_id = f"test-{uuid.uuid4().hex[:8]}"
    with LinkedSite(pages, delay=0.1) as site:
        victim = _worker(site, db_url, crawl_id, "victim")
        deadline = time.monotonic() + 60
        while sum(site.hits.values()) < 15 and time.monotonic() < deadline:
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        assert victim.returncode == -signal.SIGKILL
        keys = {k: v % {"spider": "walk"} for k, v in crawl_keys(crawl_id).items()}
        parked = rds.llen(f"{keys['processing']}:victim")
        assert parked > 0, "the kill caught requests in flight"
        # The same worker id comes back (as a supervisor would restart it) next to a fresh one.
        procs = [_worker(site, db_url, crawl_id, "victim"), _worker(site, db_url, crawl_id, "helper")]
        outs = [p.communicate(timeout=180)[0].decode(errors="replace") for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        hits = site.hits
    assert len(hits) == pages, f"lost pages: {sorted(set(range(pages)) - {int(h[3:-5]) for h in hits})}"
    assert _stored(db_url) == pages, "each page stored exactly once (unique URL, idempotent upsert)"
    # Only the requests that were in flight at the kill may have been fetched twice.
    refetched = sum(1 for v in hits.values() if v > 1)
    assert refetched <= parked
    assert crawl_status(rds, crawl_id, "walk")["parked"] == 0
