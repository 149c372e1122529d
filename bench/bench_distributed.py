"""Load test of distributed crawling: one crawler process vs three sharing a Redis queue and dupefilter.

Two workloads, each run single-process (the baseline) and with three workers in the same run:
- the production `articles` spider against the replay server serving the demo recording, storing into PostgreSQL;
- a 1,500-page synthetic linked site (tests/distributed/linked_site.py, 20 ms per page) with a real Scrapy
  spider and the idempotent upsert, to show how throughput scales when the crawl outlasts process start-up.
Prints wall time, pages/s, duplicate page requests (must be 0) and peak RSS per process.
Needs PostgreSQL and Redis (make services). Run: python bench/bench_distributed.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawlers.distributed import run_distributed  # noqa: E402
from crawlers.replay import ReplayServer  # noqa: E402
from crawlers.run import run_crawl  # noqa: E402
from monitor.demo import DEMO_WARC  # noqa: E402
from monitor.setup import init_database  # noqa: E402
from tests.distributed.linked_site import LinkedSite  # noqa: E402
from tests.distributed.walk_spider import walk_command  # noqa: E402

PG = os.environ.get("CREDITWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CREDITWATCH_BENCH_REDIS", "redis://127.0.0.1:6379/14")


def fresh_db() -> str:
    name = f"cw_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG.rsplit("/", 1)[0] + "/" + name


def drop_db(url: str) -> None:
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def pages(stats: dict[str, Any]) -> int:
    return int(stats.get("downloader/request_count", 0)) - int(stats.get("robotstxt/request_count", 0))


def real_spider() -> None:
    print("== articles spider on the demo recording (replay server), PostgreSQL ==")
    rows = []
    with ReplayServer([DEMO_WARC]) as replay:
        for n in (1, 3):
            db = fresh_db()
            try:
                home = run_crawl("homepage", replay_proxy=replay.proxy_url, db_url=db)
                assert home.ok, home.log_tail
                t = time.monotonic()
                if n == 1:
                    results = [run_crawl("articles", replay_proxy=replay.proxy_url, db_url=db, init_db=False)]
                else:
                    results = run_distributed(
                        "articles",
                        processes=n,
                        redis_url=REDIS_URL,
                        db_url=db,
                        replay_proxy=replay.proxy_url,
                        worker_prefix="bench",
                    )
                wall = time.monotonic() - t
                assert all(r.ok for r in results)
                total = sum(pages(r.stats) for r in results)
                rows.append((n, wall, total, max(r.peak_rss_mb for r in results)))
            finally:
                drop_db(db)
    base = rows[0][2]
    if any(total != base for _, _, total, _ in rows):
        raise SystemExit(f"page counts differ between runs: {[r[2] for r in rows]} (lost or duplicated work)")
    for n, wall, total, rss in rows:
        print(
            f"  {n} process(es): {wall:6.1f} s wall, {total} pages, {total / wall:6.1f} pages/s, "
            f"duplicates {total - base}, peak RSS per process {rss:.0f} MiB"
        )
    print(f"  speed-up with 3 processes (reference: 1 process, same run): {rows[0][1] / rows[1][1]:.2f}x")


def synthetic(pages_n: int = 1500) -> None:
    print(f"== walk spider on a {pages_n}-page local site (20 ms per page), PostgreSQL ==")
    rows = []
    for n in (1, 3):
        db = fresh_db()
        init_database(db)
        crawl_id = f"bench-{uuid.uuid4().hex[:8]}"
        with LinkedSite(pages_n, delay=0.02) as site:
            procs = []
            t = time.monotonic()
            for i in range(n):
                cmd = walk_command(
                    f"{site.url}/p/0.html",
                    db,
                    crawl_id,
                    f"w{i}",
                    REDIS_URL,
                    LOG_LEVEL="ERROR",
                    CONCURRENT_REQUESTS=8,
                )
                procs.append(subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}))
            peak = 0
            for p in procs:
                _, status, usage = os.wait4(p.pid, 0)
                p.returncode = os.waitstatus_to_exitcode(status)
                peak = max(peak, usage.ru_maxrss)
            wall = time.monotonic() - t
            assert all(p.returncode == 0 for p in procs)
            hits = dict(site.hits)
        drop_db(db)
        r = redis.Redis.from_url(REDIS_URL)
        for k in r.scan_iter(match=f"creditwatch:crawl:{crawl_id}:*"):
            r.delete(k)
        rows.append((n, wall, len(hits), sum(hits.values()) - len(hits), peak / 1024))
    for n, wall, fetched, dup, rss in rows:
        print(
            f"  {n} process(es): {wall:6.1f} s wall, {fetched} pages, {fetched / wall:6.1f} pages/s, "
            f"duplicates {dup}, peak RSS per process {rss:.0f} MiB"
        )
    print(f"  speed-up with 3 processes: {rows[0][1] / rows[1][1]:.2f}x (2 cores on this machine)")


if __name__ == "__main__":
    real_spider()
    synthetic()
    print(f"bench process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
