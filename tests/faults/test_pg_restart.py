"""PostgreSQL restarted during a production articles crawl: the crawl goes on, and once the server is back every
article is stored exactly once, none lost. The outage is kept short (about two seconds): other tests may share the
server. The server is restarted in a ``finally`` and waited for, whatever the test's outcome."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from crawlers.run import CrawlSummary, run_crawl
from models import Article
from storage.db import make_engine, session_scope
from tests.conftest import PG_ADMIN_URL, _pg_available
from tests.faults.fault_proxy import Fault, FaultProxy, wait_until
from tests.faults.pages import PEOPLE_HOME, homepage, numbered_article, people_url, title_of

pytestmark = pytest.mark.postgres

ARTICLES = 60
PER_DOMAIN = 2
DELAY = 0.2  # the crawl takes about ARTICLES * DELAY / PER_DOMAIN = 6 s without the outage
OUTAGE_SECONDS = 2.0


@pytest.fixture
def pg_db() -> Iterator[str]:
    """A new PostgreSQL database, created and dropped through engines of their own: a pooled connection opened
    before the restart would be dead after it."""
    if not _pg_available():
        pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    name = f"cw_faults_{uuid.uuid4().hex[:10]}"

    def admin(sql: str) -> None:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as c:
                c.execute(text(sql))
        finally:
            engine.dispose()

    admin(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        _pg_ready()
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _cluster() -> list[str]:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]


def _pg_ready(timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode == 0:
            return True
        time.sleep(0.2)
    return False


def _restart_postgres() -> None:
    """Stop the server (fast: open connections are cut, as in a crash or failover), wait, start it again."""
    try:
        subprocess.run([*_cluster(), "stop", "-m", "fast"], check=True, capture_output=True, timeout=30)
        time.sleep(OUTAGE_SECONDS)
    finally:
        subprocess.run([*_cluster(), "start"], capture_output=True, timeout=60)
        if not _pg_ready():
            subprocess.run([*_cluster(), "start"], capture_output=True, timeout=60)
            assert _pg_ready(), "PostgreSQL did not come back"


def test_postgres_restart_during_crawl_loses_nothing(pg_db, tmp_path):
    urls = [people_url(2000 + i) for i in range(ARTICLES)]
    faults = {PEOPLE_HOME: Fault(homepage(urls))}
    faults.update({u: Fault(numbered_article(2000 + i), delay=DELAY) for i, u in enumerate(urls)})
    result: dict[str, CrawlSummary] = {}
    settings = {
        "REPLAY_RECORDED_TIME": "0",
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(PER_DOMAIN),
        "RETRY_TIMES": "2",
        "DOWNLOAD_TIMEOUT": "3",
        "LOG_LEVEL": "INFO",
    }

    def crawl() -> None:
        result["summary"] = run_crawl(
            "articles",
            site="people",
            replay_proxy=proxy.proxy_url,
            db_url=pg_db,
            spider_args={"discover": "homepages"},
            settings=settings,
            log_file=tmp_path / "crawl.log",
            timeout=120,
        )

    with FaultProxy(faults) as proxy:
        worker = threading.Thread(target=crawl)
        worker.start()
        try:
            assert wait_until(lambda: proxy.served(set(urls)) >= ARTICLES // 5, timeout=60), (
                "crawl did not start"
            )
            served_before = proxy.served(set(urls))
            _restart_postgres()
            served_after = proxy.served(set(urls))
        finally:
            worker.join(timeout=150)
        # The outage must begin inside the crawl. Fetching may finish while the database is down: writes go
        # through the writer thread, which waits for the database, so the crawl is not held up by it.
        assert served_before < ARTICLES, (
            f"the outage began after the crawl had fetched everything: {served_after}"
        )

    summary = result["summary"]
    assert summary.ok, summary.log_tail
    log = (tmp_path / "crawl.log").read_text(errors="replace")
    assert "database unreachable" in log, "the crawl met the outage (and waited for the database)"
    engine = make_engine(pg_db)
    with session_scope(engine) as s:
        stored = {url: title for url, title in s.execute(select(Article.url, Article.title))}
        count = s.scalar(select(func.count()).select_from(Article))
    engine.dispose()
    assert sorted(stored) == sorted(urls), (
        f"lost {len(set(urls) - set(stored))}: {sorted(set(urls) - set(stored))[:5]}"
    )
    assert count == ARTICLES
    assert all(stored[u] == title_of(2000 + i) for i, u in enumerate(urls))
    # The crawl's own accounting survived the outage too.
    assert summary.sites["people"]["items"] == ARTICLES
    assert summary.sites["people"]["failures"] == 0, summary.sites["people"]["errors"]
