"""Who may be named in a report: legal entities by name, natural persons masked (个人信息保护法).

Portal lists (失信被执行人, 行政处罚 ...) mix companies and private persons. A report goes to leaders and may be
forwarded, so a private person's name never leaves the database: only entities we can tell are organisations are
shown by name; anything we cannot classify is masked too (a wrong mask costs little, a leaked name costs a lot).
"""

from __future__ import annotations

import re

# Words in `entity_type` that say "organisation" (企业法人, 非法人组织, 机关法人, 事业单位, 社会组织 ...).
_ORG_TYPES = ("法人", "企业", "公司", "机关", "事业", "组织", "单位", "团体", "政府")
_PERSON_TYPES = ("自然人", "个人", "公民")
# Endings of organisation names; a bare 2–4 character name without one of these reads as a person's name.
_ORG_SUFFIXES = (
    "公司",
    "集团",
    "厂",
    "店",
    "行",
    "社",
    "局",
    "委",
    "委员会",
    "办公室",
    "中心",
    "学校",
    "学院",
    "大学",
    "医院",
    "卫生院",
    "诊所",
    "合作社",
    "事务所",
    "银行",
    "协会",
    "商会",
    "政府",
    "街道",
    "部",
    "院",
    "所",
    "站",
    "队",
    "馆",
    "场",
    "处",
    "园",
    "会",
    "矿",
    "农场",
    "超市",
    "酒店",
    "宾馆",
    "工作室",
    "经营部",
    "门市部",
    "分公司",
)
# 统一社会信用代码: registration authority + kind (e.g. 91 = enterprise), region, organisation code, check digit.
_USCC = re.compile(
    r"^[1-9A-HJ-NPQRTUWXY][1-9A-HJ-NPQRTUWXY0-9]\d{6}[0-9A-HJ-NPQRTUWXY]{9}[0-9A-HJ-NPQRTUWXY]$"
)
# A resident ID number, full or partly masked by the portal (3202811990****1234).
_PERSON_ID = re.compile(r"^\d{6}(19|20|\*{2})[\d*]{9}[\dXx*]$|\*")


def is_legal_entity(
    entity_name: str, entity_type: str | None, credit_code: str | None, is_government: bool
) -> bool:
    """True only when the record is clearly about an organisation (legal entity or other organisation)."""
    if is_government:
        return True
    kind = (entity_type or "").strip()
    if any(word in kind for word in _PERSON_TYPES):
        return False
    # 个体工商户 trade under a person's name often enough ("张三小吃店"): treat them as persons.
    if "个体" in kind:
        return False
    name = entity_name.strip()
    looks_org = name.endswith(_ORG_SUFFIXES) and len(name) > 4
    if any(word in kind for word in _ORG_TYPES):
        return True
    code = (credit_code or "").strip().upper()
    if code and _PERSON_ID.search(code) and not _USCC.match(code):
        return False
    if code.startswith("92") and _USCC.match(code):  # 92…: 个体工商户
        return False
    return looks_org


def mask_name(name: str) -> str:
    """张三丰 → 张**: the surname stays so staff can match it to their own records; the rest is hidden."""
    name = name.strip()
    if not name:
        return "（已隐去）"
    return name[0] + "*" * max(len(name) - 1, 1)


def scrub(text: str | None, name: str, masked: str) -> str | None:
    """Replace a masked person's name wherever it recurs in free text (reasons, notices)."""
    if text is None or not name.strip():
        return text
    return text.replace(name.strip(), masked)
