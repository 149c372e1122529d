"""City attribution rules, table-driven: datelines, shared names, names inside person names and words."""

from __future__ import annotations

import pytest

from nlp.places import attribute, primary_prefecture


def top(title: str, body: str = "", source: str | None = None) -> str | None:
    found = attribute(title, body, source)
    return found[0].code if found else None


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        # a dateline says where the report was filed: alone it gives no city (a provincial office is no city) ...
        ("", "新华社南京11月19日电 江苏省信用办发布通知", None),
        ("", "中新网杭州3月2日电 记者从浙江省市场监管局获悉", None),
        # ... but it supports a place the text names
        ("", "新华社南京11月19日电 南京市信用办发布通知", "320100"),
        ("信用建设推进会召开", "本报讯 江阴市发改委召开会议", "320281"),
        # 宿州 (安徽) is not 宿迁 (江苏)
        ("宿州一男子制作虚假网站获刑", "", "341300"),
        ("宿迁市发布信用红名单", "", "321300"),
        (
            "宿迁：企业获评守合同重信用",
            "宿迁市泗洪县",
            "321324",
        ),  # the county named in the text is the answer
        # 朝阳区 (北京, 长春) and 朝阳市 (辽宁): resolved by the parent named in the text
        ("朝阳区一小区物业被通报", "北京市朝阳区住建委", "110105"),
        ("朝阳区法院判决一起欠薪案", "长春市朝阳区人民法院审理", "220104"),
        ("朝阳市四名在职教师违规补课被通报", "辽宁朝阳市教育局", "211300"),
        # 鼓楼区 is in 南京, 福州, 开封 and 徐州
        ("鼓楼区市场监管局查处过期食品", "福州市鼓楼区", "350102"),
        ("鼓楼区一餐馆被罚", "南京市鼓楼区市场监管局", "320106"),
        # a county and its prefecture: the county is the answer
        ("江阴市企业获评诚信企业", "无锡江阴", "320281"),
        # provinces alone give no city
        ("河北一学校食堂被查", "", None),
        # hand-made sentences for the word-boundary rule: half of a word is skipped and the scan goes on (昨天/台州),
        # a word that holds the whole name still counts (太仓港), and so does a name with its level (肃/南县)
        ("网友老李昨天台州一小区报料", "", "331000"),
        ("太仓港集装箱码头被通报", "", "320585"),
        ("肃南县明花乡安监站强化安全监管", "", "620721"),
        ("连南县人民医院被曝乱收费", "", "441826"),
        # "某" after a place is "a certain ... of that place", not a person (王某)
        ("江阴某企业拖欠工资被列入黑名单", "", "320281"),
        ("河南许昌某职业学院学生宿舍饮酒受伤", "", "411000"),
    ],
)
def test_attribution(title: str, body: str, expected: str | None) -> None:
    assert top(title, body) == expected


@pytest.mark.parametrize(
    ("title", "body"),
    [
        # a place inside a person's name or a reporter credit is no mention
        ("张宿迁说企业要守信", ""),
        ("", "本报讯（记者 王江阴）近日一场活动举行"),
        # a street named after a city, and ordinary words that are also county names
        ("上海南京路步行街人流如织", ""),
        ("双方签署战略合作协议", ""),
        ("印度南部发生食物中毒事件", ""),
        ("朝阳产业迎来新机遇", ""),
        # names that straddle two words (hand-made sentences): 保险/会/理赔, 香港/北角, 获/嘉奖, 世界/首富, 新/都市
        ("拼车出事故保险会理赔吗", ""),
        ("香港北角发生交通事故", ""),
        ("民警李嘉顺获嘉奖", ""),
        ("世界首富宣布捐款", ""),
        ("全新都市爱情剧开拍", ""),
    ],
)
def test_not_a_place(title: str, body: str) -> None:
    codes = {a.code for a in attribute(title, body)}
    assert not codes & {
        *("321300", "320281", "320100", "623001", "511321", "211300", "110105", "220104"),
        *("513402", "450802", "410724", "341282", "510114"),
    }


def test_evidence_is_kept() -> None:
    found = attribute("宿迁市发布红名单", "新华社南京11月19日电 宿迁市信用办")
    suqian = next(a for a in found if a.code == "321300")
    assert {e.field for e in suqian.evidence} == {"title", "body"}
    assert all(e.span == "宿迁市" and e.rule == "full-name" for e in suqian.evidence)
    nanjing = next(a for a in found if a.code == "320100")
    assert [e.rule for e in nanjing.evidence] == ["dateline"]
    evidence = suqian.as_dict()["evidence"]
    assert isinstance(evidence, list) and evidence[0]["field"] == "title"


def test_primary_prefecture_lifts_a_county() -> None:
    assert primary_prefecture(attribute("江阴市发布失信名单", "")) == "320200"
    assert primary_prefecture([]) is None
