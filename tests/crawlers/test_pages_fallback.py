"""Site page objects are checked: a thin result hands the page to the generic extractor, and parser health
counts the hand-overs per site and template."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import select

import models
from config.settings import TZ
from crawlers.pages import article_parser_for, common
from crawlers.pages.groundtruth import read_text
from crawlers.pages.plausibility import fallback_template, implausible
from crawlers.pages.sina import SinaArticle
from crawlers.pipelines import Parsed, StorePipeline
from crawlers.spiders.articles import ArticlesSpider
from models import CrawlStat
from storage.db import make_engine, session_scope

HERE = Path(__file__).parent / "extraction_handmade"
NOW = datetime(2025, 1, 1, tzinfo=TZ)
URL = "https://finance.sina.com.cn/roll/2023-09-12/doc-imzmabcd1234567.shtml"


def _page() -> str:
    return (HERE / "handmade_sina_other_template.html").read_text(encoding="utf-8")


def test_thin_page_object_result_hands_over_to_the_generic_extractor() -> None:
    html = _page()
    thin = SinaArticle().parse(URL, html, NOW)
    assert thin.body == "视频加载中，请稍候..."  # what the page object alone gives
    assert implausible(thin.body, common.parse_html(html))
    item = article_parser_for(URL).parse(URL, html, NOW)
    assert item.extractor == "generic<-sina" and fallback_template(item.extractor) == "sina"
    assert item.body.startswith("近日，税务部门公布") and item.body.endswith("严查严打的高压态势。")
    assert "相关阅读" not in item.body and "版权所有" not in item.body
    # the page object's own metadata is kept: its title and date selectors still match
    assert item.title == "江阴一企业因虚开发票被列入失信名单"
    assert item.published_at == datetime(2023, 9, 12, 10, 21, tzinfo=TZ)


@pytest.mark.parametrize(
    ("file", "url"),
    [
        ("sina/gne/sina_1.html.gz", "https://news.sina.com.cn/c/2019-09-23/doc-iicezzrq7776012.shtml"),
        ("163/cx-extractor/1.html.gz", "http://money.163.com/15/0708/07/AU3M0BUQ00253B0H.html"),
        ("163/gne/163_2.html.gz", "https://news.163.com/19/0923/08/EPSVMD1A0001899O.html"),
    ],
)
def test_plausible_page_object_results_are_kept(file: str, url: str) -> None:
    """Real pages of the monitored sites (video pages with long related lists included) stay with their page
    object: the check must not hand over what the site's layout reads well."""
    item = article_parser_for(url).parse(url, read_text(file), NOW)
    assert not fallback_template(item.extractor), item.extractor


def test_parser_health_counts_hand_overs_per_site_and_template(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'cw.db'}"
    engine = make_engine(db_url)
    models.Base.metadata.create_all(engine)
    crawler = get_crawler(ArticlesSpider, {"CREDITWATCH_DATABASE_URL": db_url, "CREDITWATCH_RUN_ID": "run-f"})
    pipeline = StorePipeline.from_crawler(crawler)
    item = article_parser_for(URL).parse(URL, _page(), NOW)
    pipeline.process_item(Parsed(item, "sina", URL, URL))
    pipeline.close_spider()
    with session_scope(engine) as s:
        row = s.scalars(
            select(CrawlStat).where(CrawlStat.run_id == "run-f", CrawlStat.site_key == "sina")
        ).one()
        assert row.items == 1 and row.empty_bodies == 0
        counted = [e for e in row.errors if e.get("template") == "sina"]
        assert counted and counted[0]["fallbacks"] == "1" and "generic extractor" in counted[0]["reason"]
    engine.dispose()
