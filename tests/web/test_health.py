"""Crawl and parser health: a site that returned nothing, or was never crawled, is 异常 — never 正常."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CrawlStat, Site
from monitor.health import crawl_flags, site_health


def _stat(site: str, responses: int, items: int, **kw: int) -> CrawlStat:
    return CrawlStat(
        run_id=f"run-{site}",
        spider="articles",
        site_key=site,
        started_at=datetime(2026, 11, 20, 8, tzinfo=UTC),
        responses=responses,
        items=items,
        **kw,
    )


def test_silence_is_abnormal_and_a_good_crawl_is_normal(db_session: Session) -> None:
    # the registry's sites are in every new database; two of them have crawled
    db_session.add_all([_stat("people", responses=40, items=20), _stat("sina", responses=0, items=0)])
    db_session.flush()
    by = {h.key: h for h in site_health(db_session)}
    news = set(db_session.scalars(select(Site.key).where(Site.kind == "news")))
    assert set(by) == news and len(news) == 15  # news sites only, each listed
    assert (by["people"].state, by["people"].flags) == ("正常", ())
    assert (by["sina"].state, by["sina"].flags) == ("异常", ("无响应",))
    assert (by["qq"].state, by["qq"].flags, by["qq"].last_crawl) == ("异常", ("无数据",), None)


def test_crawl_flags_name_each_problem() -> None:
    assert crawl_flags(_stat("a", responses=10, items=0)) == ["无条目"]
    stat = _stat("a", responses=10, items=10, empty_bodies=5, missing_dates=3, waf_challenges=1, failures=2)
    assert crawl_flags(stat) == ["正文缺失", "日期缺失", "防火墙拦截", "请求失败"]
