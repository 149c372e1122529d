"""Portal records: names of organisations are shown, private persons are masked (table-driven)."""

from __future__ import annotations

import pytest

from monitor.reports.privacy import is_legal_entity, mask_name, scrub


@pytest.mark.parametrize(
    ("name", "entity_type", "code", "gov", "legal"),
    [
        # organisations
        ("江阴市澄东化工有限公司", "企业法人", "91320281MA1X2Y3Z4K", False, True),
        ("江阴市澄东化工有限公司", None, "91320281MA1X2Y3Z4K", False, True),
        ("江阴市某镇人民政府", None, None, True, True),
        ("江阴市慈善总会", "社会组织", None, False, True),
        ("江阴市第一中学", "事业单位", None, False, True),
        # persons, stated or inferred
        ("张三丰", "自然人", "3202811975****1234", False, False),
        ("张三丰", None, "320281197501011234", False, False),
        ("张三丰", None, None, False, False),
        ("李四", None, "3202**********123X", False, False),
        # sole traders trade under a person's name: masked
        ("江阴市张三小吃店", "个体工商户", "92320281MA1A2B3C4D", False, False),
        ("江阴市张三小吃店", None, "92320281MA1A2B3C4D", False, False),
        # unknown type, no organisation ending: masked (fail safe)
        ("王五六", "", None, False, False),
    ],
)
def test_is_legal_entity(
    name: str, entity_type: str | None, code: str | None, gov: bool, legal: bool
) -> None:
    assert is_legal_entity(name, entity_type, code, gov) is legal


@pytest.mark.parametrize(
    ("name", "masked"), [("张三丰", "张**"), ("李四", "李*"), ("欧阳", "欧*"), ("", "（已隐去）")]
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_scrub_removes_the_name_from_free_text() -> None:
    assert scrub("被执行人张三丰拒不履行", "张三丰", "张**") == "被执行人张**拒不履行"
    assert scrub(None, "张三丰", "张**") is None
