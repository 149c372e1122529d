"""Pipeline and middleware components built from a crawler (`get_crawler`), no network: storage, linking by URL,
idempotency, incremental look-ups, parser health, WAF detection, charset check, archive."""

from __future__ import annotations

import inspect
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select

import models
from config.settings import TZ
from crawlers.items import ArticleItem, HeadlineItem, HomepageItem, RankingEntryItem, RankingItem
from crawlers.middlewares import (
    ArchiveMiddleware,
    CharsetMiddleware,
    ReplayProxyMiddleware,
    WafChallenge,
    WafMiddleware,
)
from crawlers.pipelines import CrawlStore, FetchRef, Parsed, StorePipeline, health_rows, health_status
from crawlers.spiders.articles import ArticlesSpider, page_links, trs_pages
from crawlers.spool import SpooledFetch
from crawlers.waf import anti_bot_challenge
from models import Appearance, Article, CrawlStat, Fetch, RankingEntry
from storage.db import make_engine, session_scope

NOW = datetime(2024, 5, 20, 10, 0, tzinfo=TZ)
A1 = "http://www.people.com.cn/n1/2024/0520/c1008-40000001.html"
A1_CANONICAL = "http://politics.people.com.cn/n1/2024/0520/c1008-40000001.html"
A2 = "https://news.sina.com.cn/c/2024-05-20/doc-iabc123.shtml"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cw.db'}"
    engine = make_engine(url)
    models.Base.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def crawler(db_url: str):
    return get_crawler(ArticlesSpider, {"CREDITWATCH_DATABASE_URL": db_url, "CREDITWATCH_RUN_ID": "run-1"})


def article(
    url: str = A1_CANONICAL, body: str = "正文第一段。\n正文第二段。", date: datetime | None = NOW
) -> ArticleItem:
    return ArticleItem("people", url, "江阴出台信用建设方案", date, "人民网", "王明", body, "people.V2")


def homepage(captured: datetime = NOW) -> HomepageItem:
    return HomepageItem(
        "people", "http://www.people.com.cn/", captured,
        [HeadlineItem(1, "头条", "江阴出台信用建设方案", A1), HeadlineItem(2, "要闻", "其他新闻标题", A2)],
    )  # fmt: skip


def count(url: str, model: type) -> int:
    engine = make_engine(url)
    with session_scope(engine) as s:
        n = s.scalar(select(func.count()).select_from(model)) or 0
    engine.dispose()
    return n


def test_pipeline_uses_the_current_scrapy_signature():
    assert list(inspect.signature(StorePipeline.process_item).parameters) == ["self", "item"]
    assert list(inspect.signature(StorePipeline.close_spider).parameters) == ["self"]


def test_store_links_appearances_to_articles_either_order_and_is_idempotent(crawler, db_url):
    pipeline = StorePipeline.from_crawler(crawler)
    store = pipeline.store
    # the article arrives under its canonical URL, fetched from the homepage link A1
    fetch_id = store.store_fetch(SpooledFetch(A1, A1, 200, {}, b"<html>a</html>", NOW, "utf-8", None))
    pipeline.process_item(Parsed(article(), "people", A1, A1, fetch_id))
    for _ in range(2):  # the same snapshot twice: stored once
        pipeline.process_item(
            Parsed(homepage(), "people", "http://www.people.com.cn/", "http://www.people.com.cn/")
        )
    pipeline.drain()  # the writer thread stores queued items; reads wait for it
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        apps = s.scalars(select(Appearance).order_by(Appearance.position)).all()
        assert [a.position for a in apps] == [1, 2]
        stored = s.scalars(select(Article)).one()
        assert apps[0].article_id == stored.id and apps[1].article_id is None
    # the second link's article arrives later: the stored appearance gets linked
    pipeline.process_item(Parsed(article(A2), "sina", A2, A2))
    pipeline.process_item(
        Parsed(article(A2, body="新正文"), "sina", A2, A2)
    )  # re-fetched: updated, not duplicated
    pipeline.drain()
    with session_scope(engine) as s:
        a2 = s.scalars(select(Article).where(Article.url == A2)).one()
        assert a2.body == "新正文"
        assert s.scalars(select(Appearance.article_id).where(Appearance.url == A2)).one() == a2.id
    engine.dispose()
    assert count(db_url, Article) == 2 and count(db_url, Appearance) == 2
    assert store.known_urls([A1, A1_CANONICAL, A2, "http://x.cn/"]) == {A1, A1_CANONICAL, A2}


def test_ranking_lists_stored_once_and_linked(crawler, db_url):
    pipeline = StorePipeline.from_crawler(crawler)
    item = RankingItem("163", "点击榜", "24h", "https://news.163.com/rank/", NOW,
                       [RankingEntryItem(1, "标题一", A2, 3607), RankingEntryItem(2, "标题二", "https://www.163.com/dy/article/ABCDEFGHIJKLMNOP.html", None)])  # fmt: skip
    for _ in range(2):
        pipeline.process_item(Parsed(item, "163", item.url, item.url, list_name="网易新闻排行榜·点击榜"))
    pipeline.process_item(Parsed(article(A2), "sina", A2, A2))
    pipeline.drain()
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        entries = s.scalars(select(RankingEntry).order_by(RankingEntry.rank)).all()
        assert [(e.rank, e.value) for e in entries] == [(1, 3607.0), (2, None)]
        assert entries[0].article_id is not None and entries[1].article_id is None
    engine.dispose()
    pending = StorePipeline.from_crawler(crawler).store.pending_links(None, 10)
    assert pending == [("163", "https://www.163.com/dy/article/ABCDEFGHIJKLMNOP.html")]


def test_parser_health_counts_and_verdicts(crawler, db_url):
    pipeline = StorePipeline.from_crawler(crawler)
    store = pipeline.store
    pipeline.process_item(Parsed(article(body="", date=None), "people", A1, A1))
    store.failure("people", A2, "HTTP 500")
    store.waf("xinhua", "http://www.news.cn/x", "WAF challenge: HTTP 521")
    store.not_recorded("people", "http://www.people.com.cn/missing")
    pipeline.close_spider()
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        rows = {r.site_key: r for r in s.scalars(select(CrawlStat).where(CrawlStat.run_id == "run-1"))}
        people = rows["people"]
        assert (people.items, people.empty_bodies, people.missing_dates, people.failures) == (1, 1, 1, 1)
        assert rows["xinhua"].waf_challenges == 1
        assert any("not in the replayed recording" in e["reason"] for e in people.errors)
    verdicts = {r["site"]: r["status"] for r in health_rows(engine)}
    engine.dispose()
    assert verdicts == {"people": "degraded", "xinhua": "failing"}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (521, b"<script>document.cookie=('__jsl_clearance_s=1')</script>", "加速乐"),
        (200, b"<script>var x='__jsl_clearance';</script>", "加速乐"),
        (412, b"<script>$_ts=window['$_ts'];</script>", "瑞数"),
        (202, b"<html><script>$_ts=window['$_ts'];</script>", "瑞数"),
        (412, b"<html>blocked</html>", "HTTP 412"),
        # 加速乐 spelling the cookie name in pieces, and an obfuscated cookie-and-reload page (the portals' cases,
        # now caught on news sites too since both use crawlers.waf)
        (
            200,
            b"<script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')+('r')+('a')+('n')+('c')+('e')+'=1'</script>",
            "加速乐",
        ),
        (200, b"<script>document.cookie='x='+y;location.href=location.href</script>", "reloads"),
        (200, b"<html><body>ordinary page, price $5</body></html>", None),
        (404, b"not found", None),
    ],
)
def test_waf_challenge_detection(status, body, expected):
    reason = anti_bot_challenge(status, body)
    assert (reason is None) if expected is None else (expected in (reason or ""))


def test_waf_middleware_counts_and_drops(crawler):
    mw = WafMiddleware.from_crawler(crawler)
    request = Request("http://www.news.cn/politics/2024-05/20/c_1.htm")
    page = HtmlResponse(request.url, status=521, body=b"<script>__jsl_clearance</script>", request=request)
    with pytest.raises(WafChallenge):
        mw.process_response(request, page)
    assert mw.store.site("xinhua").waf_challenges == 1
    ok = HtmlResponse(request.url, body=b"<html>ok</html>", request=request)
    assert mw.process_response(request, ok) is ok


def test_charset_middleware_trusts_the_page_when_the_header_lies():
    text = "<html><head><meta charset='gb2312'></head><body>江阴市信用办发布通报</body></html>"
    request = Request("http://www.ce.cn/")
    wrong = HtmlResponse(request.url, body=text.encode("gb18030"), request=request,
                         headers={"Content-Type": "text/html; charset=utf-8"})  # fmt: skip
    assert "江阴" not in wrong.text
    fixed = CharsetMiddleware().process_response(request, wrong)
    assert isinstance(fixed, HtmlResponse)
    assert "江阴市信用办发布通报" in fixed.text and fixed.encoding == "gb18030"
    assert "charset conflict" in request.meta["charset_conflict"]
    right = HtmlResponse(request.url, body=text.encode("utf-8").replace(b"gb2312", b"utf-8"), request=request,
                         headers={"Content-Type": "text/html; charset=utf-8"})  # fmt: skip
    assert CharsetMiddleware().process_response(request, right) is right


def test_archive_middleware_stores_gzip_and_sha256_and_skips_replay_misses(crawler, db_url):
    mw = ArchiveMiddleware.from_crawler(crawler)
    request = Request(A1)
    response = HtmlResponse(A1, body="<html>人民网</html>".encode(), request=request,
                            headers={"Content-Type": "text/html; charset=utf-8"})  # fmt: skip
    assert mw.process_response(request, response) is response
    fetch_id = request.meta["fetch_id"]
    miss_request = Request("http://www.people.com.cn/missing")
    miss = HtmlResponse(miss_request.url, status=404, body=b"not in the recording", request=miss_request,
                        headers={"X-Replay": "miss"})  # fmt: skip
    mw.process_response(miss_request, miss)
    assert "fetch_id" not in miss_request.meta
    mw.store.drain()  # archived by the writer thread; the reference gets the row's id
    assert isinstance(fetch_id, FetchRef) and fetch_id.id is not None
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        fetch = s.get(Fetch, fetch_id.id)
        assert fetch is not None and fetch.size == len(response.body) and len(fetch.sha256) == 64
        assert fetch.spider == "articles" and fetch.site is not None and fetch.site.key == "people"
        assert s.scalar(select(func.count()).select_from(Fetch)) == 1
    engine.dispose()


def test_replay_proxy_middleware_routes_every_request(db_url):
    with pytest.raises(NotConfigured):
        ReplayProxyMiddleware.from_crawler(get_crawler(ArticlesSpider, {}))
    mw = ReplayProxyMiddleware.from_crawler(
        get_crawler(ArticlesSpider, {"REPLAY_PROXY": "http://127.0.0.1:9"})
    )
    request = Request("https://www.cctv.com/")
    mw.process_request(request)
    assert request.meta["proxy"] == "http://127.0.0.1:9" and request.url == "https://www.cctv.com/"


def test_trs_pagination_and_feed_links():
    script = '<script>createPageHTML(10, 0, "index", "html");</script>'
    assert trs_pages(script, "http://www.ce.cn/xwzx/gnsz/gdxw/index.shtml", 3) == [
        "http://www.ce.cn/xwzx/gnsz/gdxw/index_1.html",
        "http://www.ce.cn/xwzx/gnsz/gdxw/index_2.html",
    ]
    assert trs_pages('createPageHTML(10, 3, "index", "html")', "http://x.cn/a/", 3) == []  # only from page 1
    rss = b"<?xml version='1.0'?><rss><channel><item><link>" + A1.encode() + b"</link></item></channel></rss>"
    assert page_links(HtmlResponse("http://www.people.com.cn/rss/politics.xml", body=rss)) == ([A1], [])
    jsonp = b'jQuery123({"result": {"data": [{"url": "' + A2.encode() + b'"}]}});'
    assert page_links(HtmlResponse("https://feed.mix.sina.com.cn/api/roll/get", body=jsonp))[0] == [A2]


def test_health_status_rules():
    assert health_status(10, 12, 0, 0, 0, 0) == "ok"
    assert health_status(10, 12, 3, 0, 0, 0) == "degraded"
    assert health_status(0, 5, 0, 0, 0, 0) == "failing"
    assert health_status(0, 0, 0, 0, 0, 0) == "ok"
    assert health_status(5, 5, 0, 0, 0, 1) == "degraded"


def test_snapshot_times_distinguish_snapshots(crawler, db_url):
    pipeline = StorePipeline.from_crawler(crawler)
    for minutes in (0, 30):
        pipeline.process_item(Parsed(homepage(NOW + timedelta(minutes=minutes)), "people", "u", "u"))
    pipeline.drain()
    assert count(db_url, models.HomepageSnapshot) == 2 and count(db_url, Appearance) == 4
    assert isinstance(pipeline.store, CrawlStore)


def test_sites_health_command_shows_the_latest_crawl(crawler, db_url):
    import json

    from typer.testing import CliRunner

    from monitor.cli import app

    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.process_item(Parsed(article(), "people", A1, A1))
    pipeline.close_spider()
    result = CliRunner().invoke(app, ["sites", "health", "--db", db_url, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows[0]["site"] == "people" and rows[0]["items"] == 1 and rows[0]["status"] == "ok"


def test_store_refuses_a_database_without_schema(tmp_path):
    crawler = get_crawler(ArticlesSpider, {"CREDITWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    with pytest.raises(RuntimeError, match="creditwatch db upgrade"):
        CrawlStore.from_crawler(crawler)


def test_pending_links_only_from_recent_snapshots(crawler):
    pipeline = StorePipeline.from_crawler(crawler)
    old = HomepageItem("people", "http://www.people.com.cn/", NOW - timedelta(days=10),
                       [HeadlineItem(1, "头条", "很久以前的一条新闻标题", A1)])  # fmt: skip
    new = HomepageItem(
        "people", "http://www.people.com.cn/", NOW, [HeadlineItem(1, "头条", "今天的新闻标题", A2)]
    )
    for item in (old, new):
        pipeline.process_item(Parsed(item, "people", item.url, item.url))
    pipeline.drain()
    assert pipeline.store.pending_links(None, 10) == [("sina", A2)]
    assert set(pipeline.store.pending_links(None, 10, timedelta(days=30))) == {("sina", A2), ("people", A1)}
    assert pipeline.store.pending_links({"people"}, 10) == []


def test_queued_response_and_its_item_are_linked_and_a_refused_batch_is_spooled(crawler, db_url, tmp_path):
    """The archive and the items go through one writer in order: the item finds its response's row. When the
    database refuses writes, both are spooled (the raw response and the item), counted, and nothing is lost."""
    from crawlers.spool import FETCHES, ITEMS, Spool, read_lines

    pipeline = StorePipeline.from_crawler(crawler)
    store = pipeline.store
    ref = store.queue_archive(url=A1, final_url=A1, status=200, headers={}, body=b"<html>a</html>",
                              fetched_at=NOW, encoding="utf-8", error=None)  # fmt: skip
    pipeline.process_item(Parsed(article(), "people", A1, A1, ref))
    pipeline.drain()
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        assert s.scalars(select(Article.fetch_id)).one() == ref.id is not None
    # storage refuses from here on: a trigger aborts every insert into articles and fetches
    with engine.begin() as c:
        for table in ("articles", "fetches"):
            c.exec_driver_sql(
                f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'disk refused'); END"
            )
    engine.dispose()
    store.spool = Spool(tmp_path / "spool")
    ref2 = store.queue_archive(url=A2, final_url=A2, status=200, headers={}, body=b"<html>b</html>",
                               fetched_at=NOW, encoding="utf-8", error=None)  # fmt: skip
    pipeline.process_item(Parsed(article(A2), "sina", A2, A2, ref2))
    pipeline.drain()
    assert ref2.id is None and store.storage_failures == 2
    assert [r["url"] for r in read_lines(tmp_path / "spool" / FETCHES)] == [A2]
    assert [r["item"]["url"] for r in read_lines(tmp_path / "spool" / ITEMS)] == [A2]
    assert count(db_url, Article) == 1
