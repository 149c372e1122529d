"""Storage failing in the middle of a crawl (issue 22 §1): nothing fetched is lost silently.

A crawl of the demo's article pages (each under several URLs, so the crawl lasts long enough to be interrupted)
on the local replay server, while a watcher breaks the database once some articles are stored:
* SQLite: the database file and its WAL are made immutable (``chattr +i``: writes fail with a disk I/O error,
  reads still work — what a read-only or failing disk does). The crawl must fail (exit 3), spool what it could
  not store, and `reingest` must then store exactly what a clean crawl stores — twice run, still once.
* PostgreSQL: the crawl's own backends are terminated (``pg_terminate_backend`` on this test's database only);
  the writes wait and retry, so the crawl succeeds and stores exactly what a clean crawl stores.
Each test counts what the database holds afterwards against a clean crawl of the same recording.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from crawlers.demo_recording import DEMO_WARC
from crawlers.pipelines import health_rows
from crawlers.registry import is_article_url
from crawlers.reingest import reingest
from crawlers.replay import ReplayServer
from crawlers.run import STORAGE_FAILED, CrawlSummary, run_crawl
from crawlers.spool import ITEMS, read_lines
from crawlers.warc import WarcRecorder, read_warc
from models import Article, Fetch
from storage import migrate
from storage.db import make_engine, session_scope
from tests.conftest import _pg_admin, _pg_url

COPIES = 6
SETTINGS = {"LOG_LEVEL": "INFO", "ARTICLES_MAX_PER_SITE": "100000", "CONCURRENT_REQUESTS": "4"}


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayServer]:
    path = tmp_path_factory.mktemp("storage-faults") / "copies.warc.gz"
    with WarcRecorder(path) as warc:
        for rec in read_warc(DEMO_WARC):
            if rec.status == 200 and is_article_url(rec.url):
                for k in range(COPIES):
                    url = f"{rec.url}{'&' if '?' in rec.url else '?'}cwcopy={k}"
                    warc.write_response(url, 200, rec.headers, rec.body, rec.date)
    with ReplayServer([path]) as server:
        yield server


def _crawl(replay: ReplayServer, url: str, log: Path) -> CrawlSummary:
    return run_crawl(
        "articles",
        replay_proxy=replay.proxy_url,
        db_url=url,
        spider_args={"discover": "recording", "refetch": "1"},
        settings={**SETTINGS, "CREDITWATCH_SPOOL_DIR": str(log.parent / f"spool-{log.stem}")},
        log_file=log,
        init_db=False,
        timeout=240,
    )


def _stored(url: str) -> tuple[dict[str, int], int]:
    """Articles by URL (with how many rows each: must be 1) and the number of archived responses."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            rows = s.execute(select(Article.url, func.count()).group_by(Article.url)).all()
            fetches = s.scalar(select(func.count()).select_from(Fetch)) or 0
            return {u: n for u, n in rows}, fetches
    finally:
        engine.dispose()


def _article_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return c.scalar(select(func.count()).select_from(Article)) or 0
    finally:
        engine.dispose()


def _when_stored(url: str, at_least: int, action: Callable[[], None]) -> threading.Thread:
    """Run `action` once the crawl has stored `at_least` articles (polled; the crawl runs in its own process)."""

    def watch() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if _article_count(url) >= at_least:
                    action()
                    return
            except Exception:  # the schema is being written or the server is busy: poll again
                pass
            time.sleep(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.fixture(scope="module")
def clean(replay: ReplayServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, int], int]:
    """What a crawl without faults stores (SQLite)."""
    tmp = tmp_path_factory.mktemp("clean")
    url = f"sqlite:///{tmp / 'cw.db'}"
    migrate.upgrade(url)
    summary = _crawl(replay, url, tmp / "clean.log")
    assert summary.ok, summary.log_tail
    stored, fetches = _stored(url)
    assert len(stored) >= 20 and set(stored.values()) == {1}
    return stored, fetches


def _chattr(flag: str, *paths: Path) -> None:
    subprocess.run(["chattr", flag, *map(str, paths)], check=True, capture_output=True)


def test_sqlite_read_only_mid_crawl_spools_fails_and_reingests_once(
    replay: ReplayServer, clean: tuple[dict[str, int], int], tmp_path: Path
) -> None:
    db = tmp_path / "cw.db"
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    wal = db.with_name(db.name + "-wal")
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not available to make the database immutable")
    try:
        _chattr("+i", db)
        _chattr("-i", db)
    except subprocess.CalledProcessError:
        pytest.skip("this filesystem or user cannot set the immutable flag")
    broken = threading.Event()

    def break_storage() -> None:
        _chattr("+i", db, wal)
        broken.set()

    watcher = _when_stored(url, 5, break_storage)
    try:
        summary = _crawl(replay, url, tmp_path / "faulted.log")
        watcher.join(5)
        assert broken.is_set(), "the crawl finished before storage could be broken"
        stored_during, _ = _stored(url)
    finally:
        _chattr("-i", db, wal)
    clean_articles, clean_fetches = clean
    # the run failed loudly: exit code, counters, a spool with what was not stored
    assert summary.returncode == STORAGE_FAILED and not summary.ok
    assert summary.storage_failures > 0 and summary.spool_dir
    spool = Path(summary.spool_dir)
    spooled = read_lines(spool / ITEMS)
    assert spooled, "nothing was spooled although writes failed"
    assert 5 <= len(stored_during) < len(clean_articles)
    # storage back: re-ingest stores exactly what the clean crawl stored, each once
    report = reingest(spool, url)
    assert report.failed == 0 and report.items == len(spooled)
    after, fetches = _stored(url)
    assert after == clean_articles
    assert fetches == clean_fetches
    # the failed run's parser health shows the failure
    engine = make_engine(url)
    try:
        statuses = {r["site"]: r["status"] for r in health_rows(engine, spider="articles")}
    finally:
        engine.dispose()
    assert "failing" in statuses.values()
    # a rerun of the crawl stores nothing twice
    again = _crawl(replay, url, tmp_path / "again.log")
    assert again.ok, again.log_tail
    assert _stored(url) == (clean_articles, clean_fetches)


@pytest.mark.skipif(
    __import__("os").environ.get("CREDITWATCH_TEST_BACKEND") != "postgresql",
    reason="PostgreSQL test (CREDITWATCH_TEST_BACKEND=postgresql)",
)
def test_postgresql_connections_killed_mid_crawl_lose_nothing(
    replay: ReplayServer, clean: tuple[dict[str, int], int], tmp_path: Path
) -> None:
    name = f"cw_storagefault_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = _pg_url(name)
    killed: list[int] = []

    def kill_backends() -> None:
        # Only this test's own database: other tests and engineers share the server.
        with admin.connect() as c:
            killed.extend(
                c.scalars(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": name},
                )
            )

    try:
        migrate.upgrade(url)
        watcher = _when_stored(url, 5, kill_backends)
        summary = _crawl(replay, url, tmp_path / "pg.log")
        watcher.join(5)
        assert killed, "no backend of the crawl was terminated"
        assert summary.ok, summary.log_tail
        assert summary.storage_failures == 0
        assert _stored(url) == clean
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
