"""City attribution, government flag and credit-code validation, table-driven."""

from __future__ import annotations

import pytest

from crawlers.portals.records import PortalItem, is_valid_uscc, looks_governmental
from crawlers.portals.region import attribute, division_in_text
from crawlers.portals.store import record_values
from models.portal import ListKind


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # authorities
        ("无锡市市场监督管理局", "320200"),
        ("江阴市市场监督管理局", "320281"),
        ("国家税务总局无锡市税务局", "320200"),
        ("苏州工业园区管理委员会", "320576"),
        # courts
        ("江苏省江阴市人民法院", "320281"),
        ("江苏省无锡市中级人民法院", "320200"),
        ("吉林省镇赉县人民法院", "220821"),
        ("南京市鼓楼区人民法院", "320106"),
        ("江阴法院", "320281"),  # short form only when no full name is present
        # nothing or ambiguous
        ("最高人民法院", None),
        ("鼓楼区人民法院", None),  # 鼓楼区 exists in several cities
        ("江阴市、宜兴市联合执法", None),  # two places at the same level
    ],
)
def test_division_in_text(text: str, code: str | None) -> None:
    d = division_in_text(text)
    assert (d.code if d else None) == code


def test_credit_code_chars_3_to_8_and_evidence() -> None:
    a = attribute(credit_code="91320281MA1N2K3L4H")
    assert a.code == "320281" and "chars 3-8" in a.evidence
    # A bad check character is not evidence.
    assert attribute(credit_code="91320281MA1N2K3L4A").code is None
    # Authority first; the disagreeing credit code stays visible in the evidence.
    b = attribute(authority="苏州市市场监督管理局", credit_code="91320281MA1N2K3L4H")
    assert b.code == "320500"
    assert "320281" in b.evidence and "disagree" in b.evidence
    # A prefecture authority, a company registered in one of its counties: the county.
    r = attribute(authority="无锡市市场监督管理局", credit_code="91320281MA1N2K3L4H")
    assert r.code == "320281" and "refined to 320281" in r.evidence and "disagree" not in r.evidence
    c = attribute(address="江苏省无锡市江阴市澄江街道某路1号")
    assert c.code == "320281" and c.evidence.startswith("address")


@pytest.mark.parametrize(
    ("name", "code", "etype", "expected"),
    [
        ("江阴市某镇人民政府", None, None, True),
        ("江阴市住房和城乡建设局", None, None, True),
        ("江阴市某村民委员会", None, None, True),
        ("江阴高新技术产业开发区管理委员会", None, None, True),
        ("某某单位", "11320281014123456X", None, True),  # 机关 by code
        ("某某单位", None, "机关法人", True),
        ("江阴市澄江建材有限公司", "91320281MA1N2K3L4H", None, False),
        ("江阴市某局下属服务有限公司", None, None, False),
        ("张某某", None, "自然人", False),
    ],
)
def test_government_bodies(name: str, code: str | None, etype: str | None, expected: bool) -> None:
    assert looks_governmental(name, code, etype) is expected


def test_uscc_check_character() -> None:
    assert is_valid_uscc("914403001922038216")
    assert is_valid_uscc("91110108551385082Q")
    assert not is_valid_uscc("914403001922038217")
    assert not is_valid_uscc("9144030019220382")
    assert not is_valid_uscc("91440300192203821I")  # I is not in the alphabet


def test_record_values_attribute_court_lists_by_court() -> None:
    item = PortalItem(
        list_kind=ListKind.DISHONEST_DEBTOR,
        entity_name="江阴市某镇人民政府",
        source="zxgk",
        credit_code="11320281014123456X",
        authority="江苏省江阴市人民法院",
        case_number="（2023）苏0281执1234号",
    )
    v = record_values(item)
    assert v["region_code"] == "320281"
    assert v["region_evidence"].startswith("court '江苏省江阴市人民法院' → 320281")
    assert v["is_government"] is True
    assert v["entity_type"] == "法人或其他组织"


def test_every_county_court_named_in_full_is_attributed_to_its_county() -> None:
    from nlp.gazetteer import get_gazetteer

    g = get_gazetteer()
    wrong = []
    for d in g.all():
        if d.level != "county":
            continue
        court = "".join(a.name for a in reversed(g.ancestors(d.code))) + d.name + "人民法院"
        got = division_in_text(court)
        if got is None or got.code != d.code:
            wrong.append((court, got.code if got else None))
    assert wrong == []


def test_generic_district_names_need_their_city() -> None:
    got = division_in_text("山西省阳泉市城区人民法院")
    assert got is not None and got.code == "140302"
    assert division_in_text("城区人民法院") is None
