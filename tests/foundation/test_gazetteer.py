from __future__ import annotations

import pytest

from nlp.gazetteer import Gazetteer, GazetteerError, get_gazetteer, load_former_names, short_name


def test_every_level_is_present():
    g = get_gazetteer()
    levels = [d.level for d in g.all()]
    assert levels.count("province") == 31
    assert levels.count("prefecture") >= 330
    assert levels.count("county") >= 2800


def test_jiangyin_under_wuxi():
    g = get_gazetteer()
    jy = g["320281"]
    assert jy.name == "江阴市" and jy.level == "county" and jy.parent_code == "320200"
    assert g["320200"].name == "无锡市" and g["320200"].parent_code == "320000"
    assert [d.code for d in g.ancestors("320281")] == ["320200", "320000"]
    assert jy.prefecture_code == "320200"


def test_suqian_and_suzhou_anhui_stay_apart():
    g = get_gazetteer()
    (suqian,) = g.lookup("宿迁")
    (suzhou_ah,) = g.lookup("宿州")
    assert (suqian.code, suqian.province_code) == ("321300", "320000")
    assert (suzhou_ah.code, suzhou_ah.province_code) == ("341300", "340000")
    assert {d.code for d in g.lookup("苏州")} == {"320500"}


def test_shared_names_return_every_candidate():
    codes = {d.code for d in get_gazetteer().lookup("朝阳")}
    assert {"211300", "110105", "220104"} <= codes


def test_municipality_districts_belong_to_the_municipality():
    g = get_gazetteer()
    assert g["110105"].prefecture_code == "110000"
    assert g["500101"].parent_code == "500000"


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("江阴市", "江阴"),
        ("广西壮族自治区", "广西"),
        ("延边朝鲜族自治州", "延边"),
        ("长阳土家族自治县", "长阳"),
        ("阿克苏地区", "阿克苏"),
        ("兴安盟", "兴安"),
        ("浦东新区", "浦东"),
        ("内蒙古自治区", "内蒙古"),
        ("盂县", "盂县"),  # one character left would be no name at all
    ],
)
def test_short_names(name, short):
    assert short_name(name) == short


@pytest.mark.parametrize(
    ("old", "code", "year"),
    [
        ("密云县", "110118", 2015),
        ("富阳市", "330111", 2014),
        ("襄樊", "420600", 2010),
        ("思茅市", "530800", 2003),
    ],
)
def test_former_names_find_todays_division(old, code, year):
    g = get_gazetteer()
    assert [d.code for d in g.lookup(old)] == [code]
    former = g.former_name(old)
    assert former is not None and (former.code, former.year) == (code, year)
    assert g.former_name("密云区") is None


def test_every_former_name_points_at_a_division_of_that_name():
    g = get_gazetteer()
    for f in load_former_names():
        assert g[f.code].name == f.today, f


def test_a_former_name_with_a_wrong_target_is_refused(tmp_path):
    bad = tmp_path / "old_names.tsv"
    bad.write_text("# old\tcode\tyear\ttoday\n密云县\t110118\t2015\t怀柔区\n", encoding="utf-8")
    g = get_gazetteer()
    with pytest.raises(GazetteerError, match="密云县"):
        Gazetteer(g.all(), load_former_names(bad))
    bad.write_text("密云县\t110118\tlast year\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match=r"old_names\.tsv:1"):
        load_former_names(bad)
