"""The generic extractor on hand-made pages of each failure family (always run) — see extraction_handmade/."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import trafilatura

from config.settings import TZ
from crawlers.pages import common, density
from crawlers.pages.generic import GenericArticle, headline, url_date
from crawlers.pages.groundtruth import char_f1
from crawlers.pages.yardstick import gold_body, page_text

HERE = Path(__file__).parent / "extraction_handmade"
EXPECTED: dict[str, dict[str, object]] = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))[
    "pages"
]
NOW = datetime(2025, 1, 1, tzinfo=TZ)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_handmade_family_page(name: str) -> None:
    want = EXPECTED[name]
    html = page_text((HERE / name).read_bytes())
    gold = gold_body(html, str(want["body_first"]), str(want["body_last"]))
    assert len(gold) > 80, "the anchors no longer delimit the gold body"
    item = GenericArticle().parse("", html, NOW)
    assert char_f1(item.body, gold) >= 0.97, item.body
    for chrome in want["must_not"]:  # type: ignore[attr-defined]
        assert chrome not in item.body
    assert item.title == want["title"]
    assert item.published_at is not None and item.published_at.date().isoformat() == want["date"]


def test_handmade_pages_are_marked_as_handmade() -> None:
    for name in EXPECTED:
        assert name.startswith("handmade_")
        assert "creditwatch-handmade" in page_text((HERE / name).read_bytes())


def test_forum_thread_reads_the_first_post_only() -> None:
    root = common.parse_html(page_text((HERE / "handmade_bbs_thread.html").read_bytes()))
    post = density.main_container(root)
    assert post is not None and post.get("id") == "postmessage_101"


def test_generic_beats_trafilatura_on_the_families() -> None:
    """The same pages through trafilatura: the families are where it fails (so these pages test something)."""
    ours, theirs = [], []
    for name, want in EXPECTED.items():
        html = page_text((HERE / name).read_bytes())
        gold = gold_body(html, str(want["body_first"]), str(want["body_last"]))
        ours.append(char_f1(GenericArticle().parse("", html, NOW).body, gold))
        theirs.append(char_f1(trafilatura.extract(html, favor_recall=True) or "", gold))
    assert sum(ours) / len(ours) > sum(theirs) / len(theirs)


def test_channel_and_site_names_never_win_the_title() -> None:
    html = (
        "<html><head><title>新闻动态--某某学会</title></head><body><h1>某某学会官网</h1>"
        "<div class='crumb'>首页 - 新闻动态</div><div>2024年学术年会在南京成功举行</div>"
        "<div class='detailCon'><p>5月10日至12日，2024年学术年会在南京举行，来自全国高校和科研院所的"
        "三百余名代表参加会议，围绕学科前沿问题开展了充分交流。</p></div></body></html>"
    )
    assert headline(common.parse_html(html)) == "2024年学术年会在南京成功举行"


def test_publication_line_wins_over_dates_in_the_text_and_lists() -> None:
    html = (
        "<html><head><title>街道开展调研工作_东区新闻</title></head><body><div class='nav'>2024年6月1日 星期六</div>"
        "<h1>街道开展调研工作</h1><div class='text'><p>2019年2月27日下午，街道党工委一行到金融街开展调研，"
        "详细了解了园区建设、企业入驻和服务配套情况，并对下一步工作提出要求。</p></div>"
        "<div>发布日期：2019-03-06 责任编辑：某某</div><ul class='list'><li><a href='/a'>另一条新闻</a> 2019-03-09</li></ul>"
        "</body></html>"
    )
    item = GenericArticle().parse("", html, NOW)
    assert item.published_at is not None and item.published_at.date().isoformat() == "2019-03-06"


def test_url_dates() -> None:
    assert url_date("http://www.example.gov.cn/art/2023/11/8/art_1_2.html", NOW) is None  # not zero-padded
    found = url_date("http://news.example.com/2019-09/26/c_1125044.htm", NOW)
    assert found is not None and found.date().isoformat() == "2019-09-26"
    found = url_date("http://www.example.cn/a/20190926/123.shtml", NOW)
    assert found is not None and found.date().isoformat() == "2019-09-26"


def test_url_date_is_the_last_resort() -> None:
    html = (
        "<html><head><title>某县召开信用工作会议</title></head><body><h1>某县召开信用工作会议</h1>"
        "<div class='content'><p>会议总结了今年以来全县社会信用体系建设工作，部署了下一阶段重点任务，"
        "要求各部门按时归集报送行政许可和行政处罚信息。</p></div></body></html>"
    )
    item = GenericArticle().parse("http://www.example.gov.cn/xw/201903/06/t20190306_1.html", html, NOW)
    assert item.published_at is not None and item.published_at.date().isoformat() == "2019-03-06"


def test_paragraphs_in_a_staircase_of_unclosed_divs_are_read_whole() -> None:
    """An editor that never closes its <div>s nests each paragraph in the wrapper of the one before it."""
    paragraphs = [
        f"第{n}段：本次编织跑鞋的测评从鞋面、中底和大底三个方面展开，记录了十公里试跑中的脚感和支撑表现。"
        for n in range(1, 7)
    ]
    staircase = "".join(f"<div><div>{text}</div><div><img src='x.jpg'></div>" for text in paragraphs)
    html = (
        "<html><head><title>编织跑鞋测评 - 装备区</title></head><body><div class='user'><a href='/u'>某用户</a> "
        "楼主 2018-04-20 14:18</div><h1>编织跑鞋测评</h1><div class='quote-content'><font>"
        f"{staircase}{'</div>' * 12}</font></div><div class='reply'><a href='/r'>我要赞赏</a> <a href='/j'>举报</a>"
        "</div></body></html>"
    )
    item = GenericArticle().parse("", html, NOW)
    assert all(text in item.body for text in paragraphs)
    assert "我要赞赏" not in item.body and "楼主" not in item.body


def test_title_suffix_naming_no_site_word_is_cut_at_the_shown_headline() -> None:
    html = (
        "<html><head><title>【健康报】某项研究发现跨区域合作成效明显-某某大学医学院-新闻网</title></head><body>"
        "<div class='nav'>首页 学院新闻</div><div>【健康报】某项研究发现跨区域合作成效明显</div>"
        "<div>2016-11-11</div><div class='article'><p>本报讯 某某大学医学院研究团队近日发布研究报告，"
        "对跨区域医疗合作的成效作了系统评估，并提出了下一步的政策建议。</p></div></body></html>"
    )
    assert GenericArticle().parse("", html, NOW).title == "【健康报】某项研究发现跨区域合作成效明显"


def test_reposter_tag_before_the_headline_is_dropped_when_the_original_title_lacks_it() -> None:
    html = (
        "<html><head><title>[某某化妆品]七旬老人接诈骗电话被骗 警方破获电诈团伙-某某传媒</title></head><body>"
        "<h2 class='post-title'>[某某化妆品]七旬老人接诈骗电话被骗 警方破获电诈团伙</h2><div class='post'>"
        "<p>原标题：七旬老人接诈骗电话被骗 警方破获电诈团伙</p><p>9月10日，某市公安局通报，一名七旬老人接到"
        "冒充公检法的电话后被骗走积蓄，警方随后破获了这一电信诈骗团伙，追回部分损失。</p></div></body></html>"
    )
    item = GenericArticle().parse("", html, NOW)
    assert item.title == "七旬老人接诈骗电话被骗 警方破获电诈团伙"
    assert "原标题" not in item.body


def test_day_shown_under_the_headline_beats_a_meta_time_one_day_off() -> None:
    html = (
        "<html><head><title>某国际组织修订统计目录 | 某某新闻</title>"
        "<meta property='article:published_time' content='2019-05-30T20:15:00+00:00'></head><body>"
        "<h1>某国际组织修订统计目录</h1><div>2019年5月30日 统计与发展</div><div class='content'><p>某国际组织"
        "本周通过了统计目录的修订，新目录将在两年后启用，各成员据此调整数据口径并更新填报说明。"
        "</p></div></body></html>"
    )
    item = GenericArticle().parse("", html, NOW)
    assert item.published_at is not None and item.published_at.date().isoformat() == "2019-05-30"
