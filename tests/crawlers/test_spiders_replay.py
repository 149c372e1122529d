"""A crawl of the shipped demo recording through the replay server, each spider in a subprocess: what reached the
database, then a second pass that must fetch no stored article and store nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawlers.demo_recording import DEMO_WARC
from crawlers.replay import ReplayServer
from crawlers.run import CrawlSummary, crawl_recording, run_crawl
from models import (
    Appearance,
    Article,
    CrawlStat,
    Fetch,
    HomepageSnapshot,
    RankingEntry,
    RankingSnapshot,
)
from storage.db import make_engine, session_scope
from storage.repository import fetch_body

# A subset keeps the test quick: a real homepage linking to a real article (gmw), the hand-made scenario (sina),
# and the ranking pages (163, sina).
SITES = "gmw,sina,163"
HANDMADE_ARTICLE = "https://news.sina.com.cn/s/2024-05-20/doc-ihandmade0001.shtml"
GMW_ARTICLE = "http://guancha.gmw.cn/2018-10/10/content_31626652.htm"
TABLES = (Article, HomepageSnapshot, Appearance, RankingSnapshot, RankingEntry, Fetch)


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            return {t.__tablename__: s.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    with ReplayServer([DEMO_WARC]) as server:
        yield server


@pytest.fixture(scope="module")
def crawled(replay: ReplayServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    from monitor.setup import init_database

    tmp = tmp_path_factory.mktemp("replay")
    url = f"sqlite:///{tmp / 'cw.db'}"
    init_database(url)

    def crawl(spider: str, tag: str) -> CrawlSummary:
        summary = run_crawl(spider, site=SITES, replay_proxy=replay.proxy_url, db_url=url,
                            log_file=tmp / f"{spider}-{tag}.log", init_db=False)  # fmt: skip
        assert summary.ok, summary.log_tail
        return summary

    # first pass: the demo's entry point (its own replay server); second pass: spider by spider
    first = {s.spider: s for s in crawl_recording(DEMO_WARC, db_url=url, site=SITES, log_dir=tmp)}
    assert all(s.ok for s in first.values()) and list(first) == ["homepage", "ranking", "articles"]
    assert first["articles"].replay_hits and first["articles"].replay_hits >= 20
    after_first = counts(url)
    hits_before = replay.hits
    second = {name: crawl(name, "2") for name in ("homepage", "ranking", "articles")}
    return {
        "url": url,
        "first": first,
        "second": second,
        "after_first": after_first,
        "after_second": counts(url),
        "hits_second": replay.hits - hits_before,
    }


def test_articles_reach_the_database_with_titles_and_dates(crawled):
    engine = make_engine(crawled["url"])
    with session_scope(engine) as s:
        articles = s.scalars(select(Article)).all()
        assert len(articles) >= 25
        assert all(a.title for a in articles)
        dated = [a for a in articles if a.published_at is not None]
        assert len(dated) >= 0.9 * len(articles)
        handmade = s.scalars(select(Article).where(Article.url == HANDMADE_ARTICLE)).one()
        assert handmade.title == "江阴一食品企业使用过期原料生产糕点被立案调查"
        assert (
            handmade.published_at is not None
            and handmade.published_at.isoformat() == "2024-05-20T08:30:00+08:00"
        )
        assert {a.site.key for a in articles if a.site} == {"gmw", "sina", "163"}
    engine.dispose()


def test_snapshots_have_positions_and_link_to_articles(crawled):
    engine = make_engine(crawled["url"])
    with session_scope(engine) as s:
        snaps = s.scalars(select(HomepageSnapshot)).all()
        assert {snap.site.key for snap in snaps} == {"gmw", "sina", "163"}
        for snap in snaps:
            positions = [a.position for a in snap.appearances]
            assert positions == list(range(1, len(positions) + 1)) and len(positions) >= 5
            # replayed: the snapshot time is the recording's capture time
            assert snap.captured_at.date().isoformat() == "2024-05-20"
        sina = next(snap for snap in snaps if snap.site.key == "sina")
        lead = sina.appearances[0]
        assert lead.block == "头条" and lead.url == HANDMADE_ARTICLE and lead.article_id is not None
        gmw_links = s.scalars(select(Appearance).where(Appearance.url == GMW_ARTICLE)).all()
        assert gmw_links and all(a.article_id is not None for a in gmw_links)
    engine.dispose()


def test_ranking_entries_stored(crawled):
    engine = make_engine(crawled["url"])
    with session_scope(engine) as s:
        lists = s.scalars(select(RankingSnapshot)).all()
        by_site = {snap.site.key for snap in lists}
        assert by_site == {"163", "sina"}
        for snap in lists:
            ranks = [e.rank for e in snap.entries]
            assert ranks == list(range(1, len(ranks) + 1)) and ranks
        sina = next(snap for snap in lists if snap.site.key == "sina")
        assert sina.list_name.startswith("新浪财经排行") and len(sina.entries) == 4
    engine.dispose()


def test_fetch_archive_and_parser_health(crawled):
    engine = make_engine(crawled["url"])
    with session_scope(engine) as s:
        fetches = s.scalars(select(Fetch).where(Fetch.status == 200)).all()
        assert len(fetches) >= 30
        for f in fetches[:20]:
            body = fetch_body(f)  # raises when the sha256 does not match
            assert len(f.sha256) == 64 and f.size == len(body)
        run_id = crawled["first"]["articles"].run_id
        health = {r.site_key: r for r in s.scalars(select(CrawlStat).where(CrawlStat.run_id == run_id))}
        assert {"gmw", "sina", "163"} <= set(health)
        assert health["163"].items >= 15 and health["163"].failures == 0
        homepage_run = crawled["first"]["homepage"].run_id
        home = {r.site_key: r for r in s.scalars(select(CrawlStat).where(CrawlStat.run_id == homepage_run))}
        assert home["gmw"].items == 1 and home["gmw"].responses >= 1
    engine.dispose()


def test_second_pass_fetches_no_stored_article_and_stores_nothing_twice(crawled):
    second = crawled["second"]["articles"]
    assert second.items == 0
    assert int(second.stats.get("item_scraped_count", 0)) == 0
    before, after = crawled["after_first"], crawled["after_second"]
    # same recording, same capture times: snapshots, lists, entries, articles and fetches are all upserts
    assert after == before, (before, after)


def test_demo_recording_is_current(tmp_path: Path, shared_dir: Path):
    """The shipped WARC matches what the builder makes from today's fixtures and hand-made pages."""
    from crawlers.demo_recording import build
    from crawlers.warc import read_warc

    fresh = tmp_path / "demo.warc.gz"
    build(fresh, shared_dir / "fixtures" / "pages")

    def digest(path: Path) -> dict[str, tuple[int, bytes]]:
        return {r.url: (r.status, r.body) for r in read_warc(path)}

    assert digest(fresh) == digest(DEMO_WARC)
    assert DEMO_WARC.stat().st_size < 8_000_000
