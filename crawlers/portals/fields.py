"""Field names of the portals and exports → PortalItem fields: the national 双公示 codes (cf_*, xk_*), their
Chinese labels, the 失信被执行人 fields and the labels provincial credit sites print. Shared by the parsers of
self-describing rows (信用中国, provincial sites) and by the imports."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# Order matters inside a tuple only for documentation; lookups are by normalised label.
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "entity_name": (
        "cf_xdr_mc",
        "xk_xdr_mc",
        "行政相对人名称",
        "相对人名称",
        "主体名称",
        "失信主体名称",
        "企业名称",
        "单位名称",
        "被执行人姓名/名称",
        "被执行人名称",
        "被执行人",
        "当事人名称",
        "当事人",
        "名称",
        "姓名",
        "iname",
        "jgmc",
        "accurate_entity_name",
        "xm",
    ),
    "credit_code": (
        "cf_xdr_shxym",
        "xk_xdr_shxym",
        "统一社会信用代码",
        "社会信用代码",
        "信用代码",
        "行政相对人代码",
        "身份证号码/组织机构代码",
        "身份证号码/统一社会信用代码",
        "证件号码",
        "组织机构代码",
        "tyshxydm",
        "accurate_entity_code",
        "cardNum",
        "tmzjhm",
    ),
    "entity_type": ("cf_xdr_lb", "xk_xdr_lb", "行政相对人类别", "主体类型", "主体类别", "entity_type"),
    "authority": (
        "cf_xzjg",
        "xk_xzjg",
        "处罚机关",
        "许可机关",
        "作出决定机关",
        "决定机关",
        "认定部门",
        "认定单位",
        "列入部门",
        "列入机关",
        "发布单位",
        "执行法院",
        "courtName",
        "lrbm",
    ),
    "case_number": (
        "cf_wsh",
        "xk_wsh",
        "行政处罚决定书文号",
        "处罚决定书文号",
        "决定书文号",
        "行政许可决定文书号",
        "许可决定书文号",
        "决定文书号",
        "文书号",
        "文号",
        "案号",
        "caseCode",
    ),
    "reason": (
        "cf_sy",
        "xk_nr",
        "违法行为类型",
        "违法事实",
        "处罚事由",
        "事由",
        "失信行为",
        "列入原因",
        "列入事由",
        "失信情形",
        "失信被执行人行为具体情形",
        "许可内容",
        "disruptTypeName",
    ),
    "decided_on": (
        "cf_jdrq",
        "xk_jdrq",
        "处罚决定日期",
        "许可决定日期",
        "决定日期",
        "列入日期",
        "列入时间",
        "认定日期",
        "立案时间",
        "立案日期",
        "regDate",
        "lrsj",
    ),
    "published_on": ("发布时间", "发布日期", "公示日期", "公布日期", "publishDate"),
    "removed_on": ("移出日期", "移出时间", "退出日期", "撤销日期"),
    "address": ("住所", "地址", "注册地址", "dom"),
}

_PUNCT = re.compile(r"[\s:：*＊()（）]")


def normalise_label(label: str) -> str:
    """Compare labels without spaces, colons, asterisks (required marks) or brackets; codes case-insensitively."""
    return _PUNCT.sub("", str(label)).lower()


def _index(extra: Mapping[str, Iterable[str]] | None = None) -> dict[str, str]:
    out: dict[str, str] = {}
    for fieldname, labels in FIELD_LABELS.items():
        for lab in labels:
            out.setdefault(normalise_label(lab), fieldname)
    for fieldname, extra_labels in (extra or {}).items():
        for lab in extra_labels:
            out[normalise_label(lab)] = fieldname  # a mapping file overrides the built-in names
    return out


_DEFAULT_INDEX = _index()


def field_for(label: str, extra: Mapping[str, Iterable[str]] | None = None) -> str | None:
    """The PortalItem field a source label/code stands for, or None when it is not one we keep."""
    idx = _index(extra) if extra else _DEFAULT_INDEX
    return idx.get(normalise_label(label))


def map_row(row: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """{field: value} from a row keyed by source codes; `labels` (code → 中文 label) is tried when a code itself
    is unknown. The first non-empty source value for a field wins."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        fieldname = field_for(key)
        if fieldname is None and labels and key in labels:
            fieldname = field_for(labels[key])
        if fieldname is None or value in (None, ""):
            continue
        out.setdefault(fieldname, value)
    return out
