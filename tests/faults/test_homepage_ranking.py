"""Faults met by the production homepage and ranking spiders (each crawl in a subprocess through `run_crawl`,
against the scripted proxy; hand-made pages and a hand-made 腾讯 hot-list JSON): a 5xx burst gives one snapshot,
a truncated homepage, a WAF challenge, a site that stays down and malformed JSON from an API are each recorded for
their site, and nothing already stored is lost or doubled."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawlers.run import CrawlSummary, run_crawl
from models import Appearance, Fetch, HomepageSnapshot, RankingEntry, RankingSnapshot
from storage.db import make_engine, session_scope
from tests.faults.fault_proxy import Fault, FaultProxy
from tests.faults.pages import PEOPLE_HOME, homepage, people_url

SETTINGS = {"RETRY_TIMES": "2", "DOWNLOAD_TIMEOUT": "3", "REPLAY_RECORDED_TIME": "0", "LOG_LEVEL": "INFO"}
LINKS = [people_url(3000 + i) for i in range(12)]
NEWS_CN, XINHUANET = "http://www.news.cn/", "http://www.xinhuanet.com/"
QQ_HOT = "https://r.inews.qq.com/gw/event/hot_ranking_list?page_size=50"


def qq_hot_list(n: int) -> bytes:
    rows: list[dict[str, object]] = [{"id": "TIP2024", "articletype": "560", "title": "热点榜说明"}]
    rows += [
        {
            "id": f"20240520A0{i:04d}00",
            "title": f"江阴市信用建设热点第{i}条",
            "url": f"https://new.qq.com/rain/a/20240520A0{i:04d}00",
            "hotEvent": {"hotScore": 100000 - i},
        }
        for i in range(1, n + 1)
    ]
    return json.dumps({"ret": 0, "idlist": [{"newslist": rows}]}, ensure_ascii=False).encode()


def _count(db_url: str, model: type) -> int:
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        n = s.scalar(select(func.count()).select_from(model)) or 0
    engine.dispose()
    return n


def _crawl(spider: str, site: str, proxy: FaultProxy, db_url: str, log: Path) -> CrawlSummary:
    summary = run_crawl(spider, site=site, replay_proxy=proxy.proxy_url, db_url=db_url, settings=SETTINGS,
                        log_file=log, init_db=False, timeout=60)  # fmt: skip
    assert summary.ok, summary.log_tail
    return summary


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    with FaultProxy() as srv:
        yield srv


def test_homepage_spider_under_faults(proxy, db_url, tmp_path):
    proxy.faults.update(
        {
            PEOPLE_HOME: Fault(homepage(LINKS), fail_first=2, fail_status=503),
            NEWS_CN: Fault(b"<html><body>521</body></html>", status=521),
            XINHUANET: Fault(b"<html>down</html>", fail_first=100, fail_status=502),
        }
    )
    first = _crawl("homepage", "people,xinhua", proxy, db_url, tmp_path / "home1.log")
    assert proxy.hits[PEOPLE_HOME] == 3
    assert first.sites["people"]["items"] == 1 and first.sites["people"]["failures"] == 0
    xinhua = first.sites["xinhua"]
    assert xinhua["items"] == 0 and xinhua["waf_challenges"] == 1 and xinhua["failures"] == 1
    reasons = {e["url"]: e["reason"] for e in xinhua["errors"]}
    assert "WAF challenge: HTTP 521" in reasons[NEWS_CN] and reasons[XINHUANET] == "HTTP 502"
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        snap = s.scalars(select(HomepageSnapshot)).one()
        urls = set(s.scalars(select(Appearance.url).where(Appearance.snapshot_id == snap.id)))
        assert urls == set(LINKS)
        assert sorted(s.scalars(select(Fetch.status).where(Fetch.url == PEOPLE_HOME))) == [200, 503, 503]
    engine.dispose()
    appearances = _count(db_url, Appearance)

    # The homepage now comes truncated (Content-Length longer than the body): recorded, nothing stored, and the
    # first snapshot is untouched.
    proxy.faults[PEOPLE_HOME] = Fault(homepage(LINKS), truncate_at=400)
    second = _crawl("homepage", "people", proxy, db_url, tmp_path / "home2.log")
    people = second.sites["people"]
    assert people["items"] == 0 and people["failures"] == 1
    assert "DataLoss" in people["errors"][0]["reason"] or "ResponseFailed" in people["errors"][0]["reason"]
    assert _count(db_url, HomepageSnapshot) == 1 and _count(db_url, Appearance) == appearances


def test_ranking_spider_under_faults(proxy, db_url, tmp_path):
    proxy.faults[QQ_HOT] = Fault(
        qq_hot_list(10), content_type="application/json", fail_first=2, fail_status=500
    )
    first = _crawl("ranking", "qq", proxy, db_url, tmp_path / "rank1.log")
    assert proxy.hits[QQ_HOT] == 3
    assert first.sites["qq"]["items"] == 1 and first.sites["qq"]["failures"] == 0
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        snap = s.scalars(select(RankingSnapshot)).one()
        entries = s.scalars(select(RankingEntry).where(RankingEntry.snapshot_id == snap.id)).all()
        assert [e.rank for e in entries] == list(range(1, 11))
        assert entries[0].title == "江阴市信用建设热点第1条" and entries[0].value == 99999
    engine.dispose()

    # Malformed JSON from the API (cut off mid-object): a clear parse failure for the site, nothing stored.
    proxy.faults[QQ_HOT] = Fault(qq_hot_list(10)[:150], content_type="application/json")
    second = _crawl("ranking", "qq", proxy, db_url, tmp_path / "rank2.log")
    qq = second.sites["qq"]
    assert qq["items"] == 0 and qq["failures"] == 1
    assert "ranking parse" in qq["errors"][0]["reason"]
    assert _count(db_url, RankingSnapshot) == 1 and _count(db_url, RankingEntry) == 10
