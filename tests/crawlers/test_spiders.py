"""Spiders against a local test server (errors, delay, redirect, robots.txt, WAF, GB18030), each crawl in a
subprocess through `crawlers.run.run_crawl`, checking what reached the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawlers.run import CrawlSummary, run_crawl
from models import Appearance, Article, CrawlStat, Fetch, HomepageSnapshot
from storage.db import make_engine, session_scope
from storage.repository import fetch_body
from tests.crawlers.crawl_server import CrawlTestServer, Resource

HOME = "http://www.people.com.cn/"
ROBOTS = "http://www.people.com.cn/robots.txt"
ART = "http://www.people.com.cn/n1/2024/0520/c1008-4000000{}.html"
OK, FLAKY, SLOW, MOVED, GBK, MISSING = (ART.format(n) for n in (1, 2, 3, 4, 6, 7))
MOVED_TO = ART.format(9)
DISALLOWED = "http://www.people.com.cn/n1/2024/0599/c1008-40000005.html"
WAF_JSL = "http://www.xinhuanet.com/politics/2024-05/20/c_1130000001.htm"
WAF_RS = "http://www.xinhuanet.com/politics/2024-05/20/c_1130000002.htm"

# Crawl settings for tests: quick timeouts, a few retries, no politeness delays against our own server.
FAST = {
    "RETRY_TIMES": "2",
    "DOWNLOAD_TIMEOUT": "1",
    "LOG_LEVEL": "INFO",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
}


def article(title: str, para: str, charset: str = "utf-8") -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}--人民网</title></head>
<body><div class="rm_txt"><div class="col-1"><h1>{title}</h1>
<div class="channel"><div class="col-1-1">2024年05月20日08:30 | 来源：人民网－社会频道</div></div>
<div class="rm_txt_con"><p>{para}</p><p>第二段：有关部门表示将依法处理，并向社会公布调查结果。</p></div></div></div>
</body></html>"""


def homepage() -> str:
    links = [
        (OK, "江阴市出台社会信用体系建设实施方案"),
        (FLAKY, "无锡开展食品安全专项整治行动"),
        (SLOW, "某地通报一起安全生产事故调查结果"),
        (MOVED, "江苏发布失信被执行人名单管理办法"),
        (DISALLOWED, "这条链接被robots.txt禁止抓取"),
        (GBK, "南京市场监管局查处一批价格违法案件"),
        (MISSING, "这篇文章已经被删除了不存在"),
        (WAF_JSL, "新华网文章遇到加速乐防火墙挑战"),
        (WAF_RS, "新华网文章遇到瑞数防火墙挑战页面"),
    ]
    items = "".join(f'<li><a href="{u}">{t}</a></li>' for u, t in links)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>人民网</title></head><body>
<div id="rmw_topline"><h1><a href="{OK}">江阴市出台社会信用体系建设实施方案</a></h1></div>
<div id="rmw_focus"><ul>{items}</ul></div></body></html>"""


def resources() -> dict[str, Resource]:
    gbk_body = article(
        "南京市场监管局查处一批价格违法案件", "南京市市场监管局近日查处一批价格违法案件。", "gb2312"
    )
    return {
        ROBOTS: Resource(b"User-agent: *\nDisallow: /n1/2024/0599/\n", content_type="text/plain"),
        HOME: Resource(homepage().encode()),
        OK: Resource(
            article("江阴市出台社会信用体系建设实施方案", "江阴市人民政府近日印发实施方案。").encode()
        ),
        FLAKY: Resource(
            article("无锡开展食品安全专项整治行动", "无锡市开展食品安全专项整治。").encode(), fail_first=2
        ),
        SLOW: Resource(article("慢", "慢").encode(), delay=3.0),
        MOVED: Resource(redirect_to=MOVED_TO),
        MOVED_TO: Resource(
            article("江苏发布失信被执行人名单管理办法", "江苏省高级人民法院发布办法。").encode()
        ),
        DISALLOWED: Resource(article("不该抓取", "不该抓取").encode()),
        # GB18030 bytes whose HTTP header wrongly says UTF-8; the meta tag says GB2312.
        GBK: Resource(gbk_body.encode("gb18030"), content_type="text/html; charset=utf-8"),
        WAF_JSL: Resource(
            b"<script>document.cookie=('_')+('_')+('jsl_clearance_s=1');location.href=location.pathname</script>"
            b"<script>var x='__jsl_clearance';</script>",
            status=521,
        ),
        WAF_RS: Resource(b"<html><script>$_ts=window['$_ts'];if(!$_ts)$_ts={};</script></html>", status=412),
    }


@pytest.fixture(scope="module")
def server() -> Iterator[CrawlTestServer]:
    srv = CrawlTestServer(resources()).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('crawl') / 'cw.db'}"


def crawl(
    spider: str, server: CrawlTestServer, db_url: str, tmp: Path, record: Path | None = None, **args: str
) -> CrawlSummary:
    summary = run_crawl(
        spider,
        site="people,xinhua",
        replay_proxy=server.proxy_url,  # any HTTP proxy works: the test server answers for the real URLs
        db_url=db_url,
        spider_args=args,
        settings=FAST,
        log_file=tmp / f"{spider}.log",
        record=record,
        init_db=False,
    )
    assert summary.ok, summary.log_tail
    return summary


@pytest.fixture(scope="module")
def first_crawl(
    server: CrawlTestServer, db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, object]:
    from monitor.setup import init_database

    init_database(db_url)
    tmp = tmp_path_factory.mktemp("logs")
    home = crawl("homepage", server, db_url, tmp, record=tmp / "homepage.warc.gz")
    hits_after_home = dict(server.hits)
    arts = crawl("articles", server, db_url, tmp, discover="db")
    return {
        "home": home,
        "articles": arts,
        "hits_home": hits_after_home,
        "hits": dict(server.hits),
        "tmp": tmp,
    }


def test_homepage_snapshot_has_positions_and_blocks(first_crawl, db_url):
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        snap = s.scalars(select(HomepageSnapshot)).one()
        apps = s.scalars(
            select(Appearance).where(Appearance.snapshot_id == snap.id).order_by(Appearance.position)
        ).all()
        assert [a.position for a in apps] == list(range(1, len(apps) + 1))
        assert apps[0].url == OK and apps[0].block == "头条"
        assert {a.url for a in apps} >= {OK, FLAKY, MOVED, GBK, WAF_JSL}
        assert snap.fetch_id is not None
    engine.dispose()


def test_articles_stored_with_title_and_date(first_crawl, db_url):
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        by_title = {a.title: a for a in s.scalars(select(Article))}
        ok = by_title["江阴市出台社会信用体系建设实施方案"]
        assert ok.published_at is not None and ok.published_at.isoformat().startswith("2024-05-20T08:30")
        assert "江阴市人民政府" in ok.body
        # 500, 500, then 200: retried and stored; both 500s are in the archive too.
        assert "无锡开展食品安全专项整治行动" in by_title
        statuses = sorted(s.scalars(select(Fetch.status).where(Fetch.url == FLAKY)))
        assert statuses == [200, 500, 500]
        # A redirect: archived under the URL asked for, the article answers the homepage link.
        moved = by_title["江苏发布失信被执行人名单管理办法"]
        fetch = s.get(Fetch, moved.fetch_id)
        assert fetch is not None and fetch.url == MOVED and fetch.final_url == MOVED_TO
        linked = s.scalars(select(Appearance.article_id).where(Appearance.url == MOVED)).first()
        assert linked == moved.id
        # GB18030 bytes with a wrong UTF-8 header: read by the meta charset, the conflict noted.
        assert "南京市场监管局查处一批价格违法案件" in by_title
        gbk_fetch = s.scalars(select(Fetch).where(Fetch.url == GBK)).one()
        assert gbk_fetch.error and "charset conflict" in gbk_fetch.error
        assert fetch_body(gbk_fetch).decode("gb18030").count("南京") >= 1
        # the homepage link of the first article points at it
        assert s.scalars(select(Appearance.article_id).where(Appearance.url == OK)).first() == ok.id
    engine.dispose()


def test_robots_disallow_is_obeyed(first_crawl):
    hits = first_crawl["hits"]
    assert hits.get(ROBOTS, 0) >= 1
    assert DISALLOWED not in hits


def test_waf_and_failures_recorded_per_site(first_crawl, db_url):
    hits = first_crawl["hits"]
    assert hits[WAF_JSL] == 1 and hits[WAF_RS] == 1  # a challenge is not retried
    assert hits[SLOW] == 3  # timed out: first try + 2 retries
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        stats = {
            r.site_key: r
            for r in s.scalars(select(CrawlStat).where(CrawlStat.run_id == first_crawl["articles"].run_id))
        }
        assert stats["xinhua"].waf_challenges == 2
        reasons = " ".join(e["reason"] for e in stats["xinhua"].errors)
        assert "加速乐" in reasons and "瑞数" in reasons
        people = stats["people"]
        assert people.items == 4 and people.failures == 2  # the slow page timed out, the missing one is 404
        people_reasons = " ".join(e["reason"] for e in people.errors)
        assert "HTTP 404" in people_reasons and "Timeout" in people_reasons
        waf_fetch = s.scalars(select(Fetch).where(Fetch.url == WAF_RS)).one()
        assert waf_fetch.status == 412 and "RiverSecurity" in (waf_fetch.error or "")
    engine.dispose()


def test_second_run_fetches_no_stored_article_and_refetch_does(first_crawl, server, db_url):
    tmp = first_crawl["tmp"]
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        articles_before = s.scalar(select(func.count()).select_from(Article))
    server.reset_log()
    crawl("articles", server, db_url, tmp, discover="db")
    stored = {OK, FLAKY, MOVED, GBK}
    assert not stored & set(server.hits), server.hits
    assert server.hits[MISSING] == 1  # what failed is tried again
    server.reset_log()
    crawl("articles", server, db_url, tmp, urls=OK, refetch="1")
    assert server.hits[OK] == 1
    with session_scope(engine) as s:
        assert (
            s.scalar(select(func.count()).select_from(Article)) == articles_before
        )  # updated, not duplicated
    engine.dispose()


def test_record_then_replay_round_trip(first_crawl):
    """`record` kept every response of the homepage crawl in a WARC; the replay server serves those bytes."""
    import httpx

    from crawlers.replay import ReplayServer
    from crawlers.warc import read_warc

    warc = first_crawl["tmp"] / "homepage.warc.gz"
    recorded = {r.url: r for r in read_warc(warc)}
    assert recorded[HOME].body == homepage().encode() and ROBOTS in recorded
    with ReplayServer([warc]) as replay, httpx.Client(proxy=replay.proxy_url, timeout=5) as client:
        page = client.get(HOME)
        assert page.status_code == 200 and page.content == homepage().encode()
        assert client.get(ROBOTS).content.startswith(b"User-agent: *")
