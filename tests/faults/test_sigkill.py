"""A production articles crawl killed with SIGKILL mid-crawl and started again: every article is stored exactly
once and none is lost. The crawl reads a hand-made 人民网 homepage linking many articles (``-a discover=homepages``)
that the fault proxy serves slowly, so the kill lands with articles stored, in flight and not yet asked for."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from crawlers.run import crawl_command, replay_settings
from models import Article, CrawlStat
from storage.db import make_engine, session_scope
from tests.faults.fault_proxy import Fault, FaultProxy, wait_until
from tests.faults.pages import PEOPLE_HOME, homepage, numbered_article, people_url, title_of

ARTICLES = 120
PER_DOMAIN = 4


def _start(proxy: FaultProxy, db_url: str, log: Path, run_id: str) -> subprocess.Popen[bytes]:
    settings = {
        **replay_settings(proxy.proxy_url),
        "REPLAY_RECORDED_TIME": "0",
        "CREDITWATCH_DATABASE_URL": db_url,
        "CREDITWATCH_RUN_ID": run_id,
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(PER_DOMAIN),
        "RETRY_TIMES": "2",
        # Generous: a timeout on a loaded machine means a retry, and a retried article counts as fetched twice.
        "DOWNLOAD_TIMEOUT": "20",
        "LOG_LEVEL": "INFO",
        "CREDITWATCH_HEALTH_EVERY": "0",  # parser health written after every item, so the kill leaves counters
    }
    cmd = crawl_command("articles", site="people", spider_args={"discover": "homepages"}, settings=settings)
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawlers.settings"}
    with log.open("wb") as fh:
        return subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)


def _stored(db_url: str) -> dict[str, str]:
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        rows = {url: title for url, title in s.execute(select(Article.url, Article.title))}
    engine.dispose()
    return rows


def test_killed_crawl_restarted_stores_everything_once(db_url, tmp_path):
    urls = [people_url(1000 + i) for i in range(ARTICLES)]
    faults = {PEOPLE_HOME: Fault(homepage(urls))}
    faults.update({u: Fault(numbered_article(1000 + i), delay=0.15) for i, u in enumerate(urls)})
    with FaultProxy(faults) as proxy:
        first = _start(proxy, db_url, tmp_path / "first.log", "killed")
        try:
            # Kill once about a third of the articles were asked for: some stored, some in flight.
            assert wait_until(lambda: proxy.served(set(urls)) >= ARTICLES // 3, timeout=60), (
                tmp_path / "first.log"
            ).read_text(errors="replace")[-3000:]
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        assert first.returncode == -signal.SIGKILL
        # Requests the killed crawler sent just before dying may still be counted by the proxy's handler
        # threads: let the count settle before taking it.
        _settle(lambda: sum(proxy.hits[u] for u in urls))
        before = _stored(db_url)
        hits_at_kill = {u: proxy.hits[u] for u in urls}
        assert 0 < len(before) < ARTICLES, "the kill landed mid-crawl"
        # The killed run's parser health survives, counted up to its last stored item (the kill may fall
        # between storing an article and writing the counters).
        killed = _stat(db_url, "killed")
        assert killed is not None and len(before) - 1 <= killed.items <= len(before), (killed, len(before))

        second = _start(proxy, db_url, tmp_path / "second.log", "restarted")
        try:
            second.wait(timeout=90)
        finally:
            if second.poll() is None:
                second.kill()
                second.wait()
        log = (tmp_path / "second.log").read_text(errors="replace")
        assert second.returncode == 0, log[-3000:]
        restarted = _stat(db_url, "restarted")
        assert restarted is not None and restarted.items >= ARTICLES - len(before)
        hits = {u: proxy.hits[u] for u in urls}

    stored = _stored(db_url)
    assert sorted(stored) == sorted(urls), f"lost: {sorted(set(urls) - set(stored))[:5]}"
    assert all(stored[u] == title_of(1000 + i) for i, u in enumerate(urls))
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Article)) == ARTICLES  # unique URL, no duplicate row
    engine.dispose()
    # The restart skipped what was stored before the kill; only what had been asked for but not stored yet
    # (in flight, or downloaded and waiting for the pipeline) was asked for again, once.
    assert all(hits[u] == hits_at_kill[u] for u in before), "a stored article was fetched again"
    refetched = {u for u in urls if hits[u] > 1}
    assert refetched == {u for u in urls if hits_at_kill[u] and u not in before}
    assert all(hits[u] == 1 for u in set(urls) - refetched)


def _stat(db_url: str, run_id: str) -> CrawlStat | None:
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        stat = s.scalars(select(CrawlStat).where(CrawlStat.run_id == run_id)).one_or_none()
        if stat is not None:
            s.expunge(stat)
    engine.dispose()
    return stat


def _settle(count: Callable[[], int], quiet: float = 0.5, timeout: float = 10.0) -> None:
    """Wait until `count()` has not changed for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    last = count()
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = count()
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= quiet:
            return
