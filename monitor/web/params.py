"""Bounded parameter types for the console's routes: every query, path and form value has a type, a size and a
range, so hostile input (huge numbers, dates at the ends of the calendar, NUL and control characters, megabytes
of text) is refused with a 400 and a Chinese message before a handler or the database sees it.

The messages are Chinese because they are shown to staff; `validation_message` turns FastAPI's error list into
one line. Bounds are generous for real use: the largest id fits PostgreSQL's `integer`, pages stop where the
offset stays cheap, dates stay inside the years the office has data for."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import Form, Path, Query
from pydantic import AfterValidator

MAX_ID = 2**31 - 1  # ids are `integer` columns: PostgreSQL refuses anything larger with an error, not a miss
MAX_PAGE = 10_000
MIN_DATE = date(1990, 1, 1)
MAX_DATE = date(2100, 12, 31)
# C0 and C1 controls except tab, newline and carriage return (allowed in a note typed into a textarea), plus
# NUL, which PostgreSQL cannot store in text at all.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def has_control_chars(value: str, *, multiline: bool = False) -> bool:
    return bool((_CONTROL_RE if multiline else _LINE_CONTROL_RE).search(value))


def _no_controls(value: str | None) -> str | None:
    if value is not None and has_control_chars(value):
        raise ValueError("不能含有控制字符")
    return value


def _no_controls_multiline(value: str | None) -> str | None:
    if value is not None and has_control_chars(value, multiline=True):
        raise ValueError("不能含有控制字符")
    return value


def _date_in_range(value: str | None) -> str | None:
    """A date inside MIN_DATE..MAX_DATE, else refused. Text that is not a date at all passes on: the feed shows
    its own inline message for that (the form stays filled in), which is kinder than an error page."""
    if not value:
        return value
    _no_controls(value)
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return value
    if not MIN_DATE <= parsed <= MAX_DATE:
        raise ValueError(f"应在 {MIN_DATE} 至 {MAX_DATE} 之间")
    return value


def _month(value: str | None) -> str | None:
    if not value:
        return value
    if not _MONTH_RE.match(value) or not MIN_DATE.year <= int(value[:4]) <= MAX_DATE.year:
        raise ValueError(f"月份应为“年-月”格式（如 2026-10），年份在 {MIN_DATE.year}–{MAX_DATE.year} 之间")
    return value


def _text_items(values: list[str] | None) -> list[str] | None:
    for value in values or []:
        _no_controls(value)
    return values


# Query values.
# To stack on a Form/Query of a route's own length: refuses control characters (NUL above all) like the types below.
NoControls = AfterValidator(_no_controls)
NoLineControls = AfterValidator(_no_controls_multiline)  # a note: tabs and line breaks allowed

Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]
QueryDate = Annotated[str | None, Query(max_length=10), AfterValidator(_date_in_range)]
QueryMonth = Annotated[str | None, Query(max_length=7), AfterValidator(_month)]
QueryCode = Annotated[str | None, Query(max_length=16), AfterValidator(_no_controls)]
QueryWord = Annotated[
    str | None, Query(max_length=32), AfterValidator(_no_controls)
]  # kind, domain, site, flags
QuerySearch = Annotated[str | None, Query(max_length=200), AfterValidator(_no_controls)]
QueryNext = Annotated[str | None, Query(max_length=512), AfterValidator(_no_controls)]

# Path values.
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
# Codes and months in paths stay text: a wrong one is a missing page (404), as for any unknown address.
PathCode = Annotated[str, Path(max_length=16), AfterValidator(_no_controls)]
PathName = Annotated[str, Path(max_length=128), AfterValidator(_no_controls)]  # a report file, a channel

# Form values.
FormWord = Annotated[str, Form(max_length=32), AfterValidator(_no_controls)]  # kind, role, action, decision
FormCode = Annotated[str, Form(max_length=16), AfterValidator(_no_controls)]
FormName = Annotated[str, Form(max_length=64), AfterValidator(_no_controls)]  # user names
FormPassword = Annotated[str, Form(max_length=256), AfterValidator(_no_controls)]
FormNote = Annotated[str, Form(max_length=2000), AfterValidator(_no_controls_multiline)]
FormNext = Annotated[str, Form(max_length=512), AfterValidator(_no_controls)]
FormWords = Annotated[list[str] | None, Form(max_length=16), AfterValidator(_text_items)]

_FIELD_LABELS = {
    "page": "页码",
    "date_from": "起始日期",
    "date_to": "截止日期",
    "month": "月份",
    "code": "城市代码",
    "city": "城市",
    "q": "搜索词",
    "username": "用户名",
    "password": "密码",
    "note": "备注",
    "action": "操作",
    "article_id": "文章编号",
    "at": "时间",
    "back": "返回地址",
    "channel": "发布渠道",
    "day": "日期",
    "decision": "审核结论",
    "domain": "领域",
    "event_id": "事件编号",
    "evidence": "证据文件",
    "file_id": "文件编号",
    "formats": "报告格式",
    "kind": "类别",
    "link_id": "反馈编号",
    "major": "重大标记",
    "name": "名称",
    "next": "跳转地址",
    "owner": "负责人",
    "role": "角色",
    "site": "网站",
    "source": "数据来源",
    "subdomain": "细分领域",
    "target": "目标事件",
    "title": "标题",
    "url": "链接",
    "user_id": "用户编号",
    "value": "数值",
}
_MESSAGES = {
    "greater_than_equal": "超出范围",
    "less_than_equal": "超出范围",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "string_too_long": "过长",
    "string_too_short": "过短",
    "too_long": "项数过多",
    "string_pattern_mismatch": "格式不正确",
    "missing": "缺失",
    "string_type": "应为文本",
    "list_type": "格式不正确",
}


def validation_message(errors: Sequence[Any]) -> str:
    """One Chinese line for FastAPI's validation errors, e.g. 「参数有误：页码超出范围；起始日期格式应为“年-月-日”（如 2026-10-15）」."""
    parts: list[str] = []
    for err in errors[:5]:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body")]
        field = loc[0] if loc else "?"
        label = _FIELD_LABELS.get(field, "某项参数")  # every route's parameters are listed (a test checks)
        kind = err.get("type", "")
        if kind == "value_error":
            # Our validators' own (Chinese) messages; pydantic prefixes "Value error, ".
            detail = str(err.get("msg", "")).removeprefix("Value error, ")
        else:
            detail = _MESSAGES.get(kind, "无效")
        parts.append(f"{label}{detail}")
    return "参数有误：" + "；".join(dict.fromkeys(parts))
