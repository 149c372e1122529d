"""Reading a long item's body sentences when its title is read as `other` (nlp.body_reading)."""

from __future__ import annotations

import numpy as np
import pytest

from nlp import body_reading
from nlp.body_reading import due, sentences, verdict
from nlp.classifier import Prediction, get_classifier

# A made-up report: a neutral first line as its title, the wrongs in the body.
REPORT_TITLE = "本市开展节前市场检查"
# The lead the classifier reads anyway (BODY_CHARS) says nothing either: the wrongs come after it.
REPORT_BODY = "\n\n".join(
    [
        "春节临近，本市各大商场和农贸市场的人流明显增多，年货销售进入一年中最繁忙的时段，记者在城东一家大型超市看到，"
        "糖果、干果、坚果、饮料和各式各样的节日礼盒摆满了货架，不少市民推着购物车在货架之间挑选，收银台前排起了长队，"
        "超市门口还摆放了大红灯笼和中国结，广播里循环播放着欢快的新年歌曲，节日的气氛越来越浓。",
        "一位带着孩子前来采购的市民说，今年的年货品种比往年更丰富，价格也比较平稳，他准备给家里的老人买一些保暖的衣服，"
        "再给孩子挑几本喜欢的图书，商场负责人介绍，为了应对客流高峰，超市延长了营业时间，增加了收银台和导购人员，"
        "还开通了线上下单、送货上门的服务，方便行动不便的老人在家里就能买到需要的年货。",
        "市场监管局执法人员在城东一家食品厂查获假冒伪劣食品三百余箱，该厂负责人已被立案调查。",
        "经抽检，该厂生产的腊肠亚硝酸盐严重超标，涉嫌生产销售有毒有害食品。",
        "另一家超市因销售过期变质食品被罚款五万元，并被责令停业整顿。",
        "执法人员还发现一家作坊无证生产地沟油，已移送公安机关立案侦查。",
        "目前，涉案的假冒伪劣产品已全部查封，相关责任人被依法刑事拘留。",
    ]
)
SPORTS_BODY = "\n\n".join(
    [
        "昨晚的比赛在市体育中心进行，主队开场十分钟便由前锋头球破门。",
        "下半场客队加强了进攻，但始终没能攻破主队的防线。",
        "赛后主教练表示，球队的体能储备还需要继续提高。",
        "本赛季联赛还剩下八轮，主队目前积分排在第三位。",
        "下一轮比赛主队将在客场挑战积分榜榜首的球队。",
        "球迷们期待球队能够在赛季末段继续保持良好状态。",
    ]
)


def test_sentences_split_on_stops_and_line_breaks_and_drop_markup_datelines_and_bylines() -> None:
    body = (
        "新华社北京5月3日电（记者 王某）市场监管总局今天通报了一批抽检不合格的食品。\n\n"
        "![](https://example.com/a.jpg)_图片来源：网络_\n\n"
        "通报称，[某公司](https://example.com/b)生产的**饼干**菌落总数超标；相关企业已被责令召回！"
        "责任编辑：李某\n"
        "短句。"
        "据记者了解，这批抽检不合格的饼干已经在全市各大超市全部下架并被依法销毁。"
        "国家电网今天发布了夏季用电高峰期间的保供电方案。"
    )
    assert sentences(body) == [
        "市场监管总局今天通报了一批抽检不合格的食品",
        "通报称，某公司生产的饼干菌落总数超标",
        "相关企业已被责令召回",
        "据记者了解，这批抽检不合格的饼干已经在全市各大超市全部下架并被依法销毁",
        "国家电网今天发布了夏季用电高峰期间的保供电方案",
    ]


def test_sentences_are_cut_and_counted() -> None:
    body = "。".join(f"第{n}句话讲的是一件与信用无关的小事情" for n in range(30))
    got = sentences(body)
    assert len(got) == body_reading.MAX_SENTENCES
    assert got[0] == "第0句话讲的是一件与信用无关的小事情"
    assert len(sentences(body, 3)) == 3
    assert all(len(s) <= body_reading.MAX_SENTENCE_CHARS for s in sentences("很" * 500))


def test_only_long_bodies_under_an_other_title_are_due() -> None:
    other = Prediction("1", "other", None, None, 0.9)
    sure = Prediction("2", "distrust", "business", "生产", 0.99)
    long_body = "字" * body_reading.MIN_BODY_CHARS
    assert due(other, long_body)
    assert not due(other, long_body[:-1])
    assert not due(sure, long_body)


def test_verdict_needs_enough_confident_sentences_of_one_credit_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(body_reading, "SENTENCE_CONFIDENCE", 0.5)
    monkeypatch.setattr(body_reading, "MIN_SENTENCES", 1)
    monkeypatch.setattr(body_reading, "SENTENCE_SHARE", 0.25)
    kinds = ["distrust", "feedback", "other"]
    proba = np.array(
        [
            [0.5, 0.0, 0.5],
            [0.9, 0.0, 0.1],
            [0.0, 0.95, 0.05],
            [0.49, 0.0, 0.51],  # distrust by the pick, but not sure enough to vote
            [0.0, 0.0, 1.0],
        ]
    )
    picks = np.array([0, 0, 1, 0, 2])
    got = verdict(kinds, proba, picks)
    assert got is not None and (got.kind, got.sentences) == ("distrust", 2)
    assert got.confidence == pytest.approx((0.5 + 0.9) / 2)
    # one vote of five is under a quarter of the sentences read; one of four is not
    assert verdict(kinds, proba[1:], np.array([2, 1, 0, 2])) is not None
    assert verdict(kinds, np.vstack([proba[1:], proba[4:]]), np.array([2, 1, 0, 2, 2])) is None
    # `other` sentences never vote
    assert verdict(kinds, proba[4:], picks[4:]) is None


def test_a_neutral_title_over_a_report_of_wrongs_is_judged_by_its_body(segmented: list[str]) -> None:
    model = get_classifier()
    items = [
        {"id": "r", "title": REPORT_TITLE, "body": REPORT_BODY},
        {"id": "s", "title": "周末体育赛事回顾", "body": SPORTS_BODY},
    ]
    by_title = model.predict(items, read_body=False)
    assert [p.kind for p in by_title] == ["other", "other"]
    segmented.clear()  # the reading by title above does not count
    report, sports = model.predict(items, read_body=True)
    assert report.kind == "distrust" and report.domain is not None and report.subdomain is not None
    assert 0 < report.confidence <= 1
    assert sports == by_title[1]
    # each body sentence is segmented once, though both the kind and the domain pipelines read the agreeing ones
    read = [s for s in segmented if s in set(sentences(REPORT_BODY)) | set(sentences(SPORTS_BODY))]
    assert read and len(read) == len(set(read))


def test_the_switch_turns_body_reading_off(monkeypatch: pytest.MonkeyPatch) -> None:
    items = [{"id": "r", "title": REPORT_TITLE, "body": REPORT_BODY}]
    monkeypatch.setattr(body_reading, "BODY_READING", False)
    assert get_classifier().predict(items)[0].kind == "other"
    monkeypatch.setattr(body_reading, "BODY_READING", True)
    assert get_classifier().predict(items)[0].kind == "distrust"
