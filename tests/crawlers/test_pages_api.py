"""Page-object registry, malformed input, ranking JSON parsers and the extract command."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from config.settings import TZ
from crawlers.items import ArticleItem
from crawlers.pages import (
    ParseError,
    article_parser_for,
    homepage_parser_for,
    parse_article,
    parse_homepage,
    parse_ranking,
    ranking_parser_for,
)
from crawlers.pages.generic import GenericArticle
from crawlers.pages.groundtruth import read_bytes, read_text
from crawlers.pages.ranking import NeteaseHotFlow, NeteaseRankPage, QqHotRanking, SinaTopList
from monitor.cli import crawl_extract as cli_crawl_extract

NOW = datetime(2025, 1, 1, tzinfo=TZ)


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("http://politics.people.com.cn/n1/2024/0424/c1001-40223222.html", "people"),
        ("http://www.news.cn/fortune/2023-11/17/c_1129981476.htm", "xinhua"),
        ("https://www.163.com/dy/article/J22CN60P0514R9KQ.html", "163"),
        ("https://news.youth.cn/gj/202405/t20240520_15263156.htm", "cyol_youth"),
        ("https://new.qq.com/rain/a/20240513A00GCM00", "qq"),
        ("https://example.org/a.html", "unknown"),
        ("", "unknown"),
    ],
)
def test_article_parser_for_maps_domains_to_sites(url: str, site: str) -> None:
    assert article_parser_for(url).site == site


@pytest.mark.parametrize(
    "html",
    ["", "   ", "<html></html>", "<html><body><div>短</div></body></html>"],
)
def test_malformed_pages_raise_parse_error(html: str) -> None:
    with pytest.raises(ParseError):
        parse_article("http://politics.people.com.cn/n1/2024/0424/c1001-1.html", html, NOW)


def test_non_text_input_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="decoded HTML"):
        parse_article("http://www.news.cn/a.htm", b"<html></html>", NOW)  # type: ignore[arg-type]


def test_unknown_layout_falls_back_to_generic() -> None:
    paragraphs = "".join(
        f"<p>第{i}段：这是一段足够长的新闻正文，用来测试通用抽取器能否找到正文。</p>" for i in range(6)
    )
    html = (
        "<html><head><title>某地发布新规_新闻_示例网</title>"
        '<meta property="article:published_time" content="2024-05-01T10:00:00+08:00"></head>'
        f"<body><nav><a href='/'>首页</a></nav><h1>某地发布新规</h1><div class='x'>{paragraphs}</div>"
        "<p>来源：示例日报 作者：张三</p></body></html>"
    )
    item = parse_article("http://www.people.com.cn/n1/2024/0501/c1-1.html", html, NOW)
    assert item.extractor == "generic" and item.site == "people"
    assert item.title == "某地发布新规"
    assert item.published_at == datetime(2024, 5, 1, 10, 0, tzinfo=TZ)
    assert item.body.count("\n") == 5 and item.body.startswith("第0段")
    assert item.source == "示例日报"


def test_future_date_is_dropped() -> None:
    html = (
        "<html><head><title>标题</title><meta name='publishdate' content='2031-01-01'></head><body>"
        + "<div>"
        + "<p>正文段落足够长足够长足够长足够长足够长足够长足够长足够长足够长足够长。</p>" * 4
        + "</div></body></html>"
    )
    item = GenericArticle().parse("https://example.org/x.html", html, NOW)
    assert item.published_at is None


def test_article_item_json_contract() -> None:
    url = "http://politics.people.com.cn/n1/2024/0424/c1001-40223222.html"
    item = article_parser_for(url).parse(url, read_text("people/fundus/People_2024_04_24.html.gz"), NOW)
    assert isinstance(item, ArticleItem)
    data = item.to_dict()
    assert list(data) == ["site", "url", "title", "published_at", "source", "author", "body", "extractor"]
    assert data["published_at"] == "2024-04-24T23:52:00+08:00"
    assert data["extractor"] == "people.V2"
    assert "\n\n" not in data["body"] and data["body"] == data["body"].strip()


def test_old_and_new_people_layouts_pick_their_version() -> None:
    old = article_parser_for("http://culture.people.com.cn/").parse(
        "http://culture.people.com.cn/", read_text("people/gne/people_1.html.gz"), NOW
    )
    assert old.extractor == "people"
    assert old.author == "汤诗瑶、丁涛"


def test_homepage_positions_and_blocks() -> None:
    item = parse_homepage(
        "people",
        "http://www.people.com.cn/",
        read_text("people/iee-homework/httpwww.people.com.cn.html.gz"),
        NOW,
    )
    assert [h.position for h in item.headlines] == list(range(1, len(item.headlines) + 1))
    lead = [h for h in item.headlines if h.block == "头条"]
    assert lead and lead[0].title == "习近平主持召开中央财经委员会第三次会议"
    assert any(h.block == "要闻" for h in item.headlines)
    assert len({h.url for h in item.headlines}) == len(item.headlines)


def test_generic_homepage_for_sites_without_their_own() -> None:
    html = (
        "<html><body><div class='nav'><a href='/a'>首页导航链接很长很长</a></div>"
        "<div class='toutiao'><a href='/2024/01/01/a.html'>头条新闻标题第一条</a></div>"
        "<h2>国内</h2><ul><li><a href='/2024/01/01/b.html'>国内新闻标题第二条</a></li>"
        "<li><a href='/2024/01/01/b.html'>国内新闻标题第二条</a></li><li><a href='/x'>更多</a></li></ul></body></html>"
    )
    item = homepage_parser_for("sohu").parse("https://www.sohu.com/", html, NOW)
    assert [(h.position, h.block, h.url) for h in item.headlines] == [
        (1, "头条", "https://www.sohu.com/2024/01/01/a.html"),
        (2, "国内", "https://www.sohu.com/2024/01/01/b.html"),
    ]
    with pytest.raises(ParseError, match="no headline links"):
        homepage_parser_for("sohu").parse("https://www.sohu.com/", "<html><body><p>x</p></body></html>", NOW)


QQ_HOT = {
    "ret": 0,
    "idlist": [
        {
            "newslist": [
                {"id": "TIP2024", "articletype": "560", "title": "腾讯新闻热点榜"},
                {
                    "id": "20240513A00GCM00",
                    "title": "某市通报食品安全事件",
                    "url": "https://new.qq.com/rain/a/20240513A00GCM00",
                    "hotEvent": {"hotScore": 4988123},
                },
                {
                    "id": "X2",
                    "title": "第二条",
                    "surl": "https://view.inews.qq.com/k/X2",
                    "readCount": "1.2万",
                },
            ]
        }
    ],
}


def test_qq_hot_ranking_skips_the_tip_placeholder() -> None:
    url = "https://r.inews.qq.com/gw/event/hot_ranking_list?page_size=50"
    assert isinstance(ranking_parser_for(url), QqHotRanking)
    item = parse_ranking(url, json.dumps(QQ_HOT, ensure_ascii=False), NOW)
    assert [(e.rank, e.title, e.value) for e in item.entries] == [
        (1, "某市通报食品安全事件", 4988123),
        (2, "第二条", 12000),
    ]
    with pytest.raises(ParseError, match="ret"):
        parse_ranking(url, '{"ret": 1, "errmsg": "busy"}', NOW)


def test_163_hot_flow_json() -> None:
    url = "https://m.163.com/fe/api/hot/news/flow"
    assert isinstance(ranking_parser_for(url), NeteaseHotFlow)
    body = {"code": 200, "data": {"list": [{"docid": "J22CN60P0514R9KQ", "title": "村民打12345讨说法"}]}}
    item = parse_ranking(url, json.dumps(body, ensure_ascii=False), NOW)
    assert item.entries[0].url == "https://www.163.com/dy/article/J22CN60P0514R9KQ.html"
    with pytest.raises(ParseError):
        parse_ranking(url, "<html>not json</html>", NOW)


def test_sina_top_list_jsonp() -> None:
    url = (
        "https://top.finance.sina.com.cn/ws/GetTopDataList.php?top_type=day&top_cat=finance_0_suda"
        "&top_time=20180410&top_show_num=50&js_var=data"
    )
    assert isinstance(ranking_parser_for(url), SinaTopList)
    sample = read_bytes("sina/ranking-api/GetTopDataList_finance_0_suda_20180410.sample.json").decode("utf-8")
    item = parse_ranking(url, f"var data = {sample};", NOW)
    assert item.list_name == "finance_0_suda" and item.period == "2018-04-10"
    assert item.entries[0].value == 36072 and item.entries[0].rank == 1
    with pytest.raises(ParseError, match="malformed"):
        parse_ranking(url, "var data = {broken;", NOW)


def test_163_rank_page_lists() -> None:
    url = "http://news.163.com/rank/"
    assert isinstance(ranking_parser_for(url), NeteaseRankPage)
    lists = NeteaseRankPage().parse_all(url, read_text("163/gerapy/netease_leaderboard_news.html.gz"), NOW)
    assert len(lists) == 72 and sum(len(item.entries) for item in lists) == 702
    first = lists[0]
    assert (first.list_name, first.period, len(first.entries)) == ("全站 点击榜", "24h", 10)
    assert [e.rank for e in first.entries] == list(range(1, 11))
    with pytest.raises(ParseError):
        ranking_parser_for("https://example.org/rank")


def test_extract_command_prints_the_article_json(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(read_bytes("xinhua/trafilatura/archive.org.he.xinhuanet.com.25340717.html.gz"))  # GBK
    app = typer.Typer()
    cli_crawl_extract.register(app)
    app.command("noop")(lambda: None)  # two commands: Typer keeps "extract" as a sub-command name
    result = CliRunner().invoke(
        app, ["extract", str(page), "--url", "http://www.he.xinhuanet.com/news/a.htm"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["site", "url", "title", "published_at", "source", "author", "body", "extractor"]
    assert data["site"] == "xinhua" and data["title"] == "话剧《约定无期限》河北各市巡演结束"
    assert data["published_at"] == "2012-06-04T09:20:26+08:00"
    bad = tmp_path / "bad.html"
    bad.write_text("<html></html>", encoding="utf-8")
    result = CliRunner().invoke(app, ["extract", str(bad)])
    assert result.exit_code == 1


GBK_RANK_PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>新闻排行榜_网易新闻中心</title></head><body>
<div class="area areabg1"><div class="titleBar" id="news"><h2>新闻</h2><div class="more">
<a href="http://news.163.com/special/0001386F/rank_news.html">更多</a></div></div>
<div class="area-half left"><div class="tabBox"><div class="title-tab"><h2>点击榜</h2><ul class="tabNav">
<li class="active">1小时</li><li>24小时</li></ul></div>
<div class="tabContents active"><table><tr><th>标题</th><th>点击数</th></tr>
<tr><td class="red"><span>1</span><a href="http://news.163.com/24/0101/08/AAAA.html">镕基路一企业偷排污水被查处</a></td><td class="cBlue">12,345</td></tr>
<tr><td><span>2</span><a href="//news.163.com/24/0101/09/BBBB.html">某地通报食品安全事件</a></td><td class="cBlue">9876</td></tr>
</table></div>
<div class="tabContents"><table><tr><th>标题</th><th>点击数</th></tr>
<tr><td><span>1</span><a href="http://news.163.com/24/0101/10/CCCC.html">二十四小时第一</a></td><td>55555</td></tr>
</table></div></div></div></div></body></html>"""


def test_163_gbk_rank_page() -> None:
    from crawlers.encoding import decode_html

    url = "https://news.163.com/special/0001386F/rank_news.html"
    text, codec = decode_html(GBK_RANK_PAGE.encode("gbk"), "text/html")
    assert codec == "gb18030"
    parser = ranking_parser_for(url)
    lists = parser.parse_all(url, text, NOW)
    assert [(item.list_name, item.period, len(item.entries)) for item in lists] == [
        ("新闻 点击榜", "1h", 2),
        ("新闻 点击榜", "24h", 1),
    ]
    first = lists[0].entries
    assert (first[0].rank, first[0].title, first[0].value) == (1, "镕基路一企业偷排污水被查处", 12345)
    assert first[1].url == "https://news.163.com/24/0101/09/BBBB.html"  # protocol-relative, base is https
    assert parser.parse(url, text, NOW) == lists[0]


def test_single_list_sources_have_parse_all() -> None:
    url = "https://m.163.com/fe/api/hot/news/flow"
    body = json.dumps(
        {"code": 200, "data": {"list": [{"docid": "X1", "title": "标题一"}]}}, ensure_ascii=False
    )
    assert len(ranking_parser_for(url).parse_all(url, body, NOW)) == 1


@pytest.mark.parametrize(
    "html",
    [
        "\x00\x00",
        '{"title": "json, not a page"}',
        "<" * 1000,
        "<html><body>" + "<div>" * 3000 + "深" + "</div>" * 3000 + "</body></html>",
    ],
    ids=["nul", "json", "debris", "deep"],
)
def test_hostile_input_gives_parse_error_not_a_crash(html: str) -> None:
    with pytest.raises(ParseError):
        parse_article("https://example.org/a.html", html, NOW)
    with pytest.raises(ParseError):
        parse_homepage("sina", "https://news.sina.com.cn/", html, NOW)
