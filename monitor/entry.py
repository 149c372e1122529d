"""Figures the office enters by hand in the console: one statistical input of the index model for one city and
month, validated against the model's range, stored with its source, and reflected in the index at once."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ManualInput
from monitor.corrections import CorrectionError, find_city, rescore_now
from scoring.manual import FALSE_WORDS, TRUE_WORDS
from scoring.model import InputField, load_model
from storage.upsert import upsert

_MONTH = re.compile(r"^(20[1-9]\d)-(0[1-9]|1[0-2])$")  # 2010-01 … 2099-12


class EntryError(ValueError):
    """An entry that cannot be stored; the message says why, in Chinese."""


@dataclass(frozen=True)
class FieldChoice:
    code: str
    label: str  # "A4.1 年度信用建设重点任务完成率（%，0–100）"
    field: InputField


def input_choices(model_name: str) -> list[FieldChoice]:
    """The model's manual inputs, as a form offers them."""
    model = load_model(model_name)
    out = []
    for _aspect, leaf, field in model.manual_fields():
        unit = field.unit or leaf.unit
        bounds = (
            ""
            if field.min is None and field.max is None
            else f"{field.min:g}–{field.max:g}"
            if (field.min is not None and field.max is not None)
            else (f"≥{field.min:g}" if field.min is not None else f"≤{field.max:g}")
        )
        extra = "，".join(x for x in (unit, bounds) if x)
        out.append(
            FieldChoice(
                field.code,
                f"{leaf.code} {field.name or leaf.name}" + (f"（{extra}）" if extra else ""),
                field,
            )
        )
    return out


def parse_value(raw: str, field: InputField) -> float:
    """A typed figure: a number (1,234 / 85%), or 是/否; within the model's range. Chinese errors."""
    text = raw.strip().replace(",", "").replace("，", "")
    if not text:
        raise EntryError("请填写数值")
    if text.lower() in TRUE_WORDS:
        value = 1.0
    elif text.lower() in FALSE_WORDS:
        value = 0.0
    else:
        try:
            value = float(text.removesuffix("%").strip())
        except ValueError:
            raise EntryError(f"「{raw.strip()[:20]}」不是数值") from None
    if not math.isfinite(value):
        raise EntryError("数值无效")
    if field.min is not None and value < field.min:
        raise EntryError(f"{value:g} 小于允许的最小值 {field.min:g}")
    if field.max is not None and value > field.max:
        raise EntryError(f"{value:g} 大于允许的最大值 {field.max:g}")
    return value


def enter_input(
    db: Session,
    *,
    model_name: str,
    city: str,
    month: str,
    code: str,
    value: str,
    source: str,
    note: str,
    user: str,
    cities: list[str],
) -> tuple[str, float, float | None]:
    """Validate and store one figure (replacing that city's and month's earlier one), then re-score the month.
    Returns (division code, new value, previous value)."""
    if not _MONTH.match(month):
        raise EntryError("月份须为“年-月”格式（如 2026-10），2010 年以后")
    choice = next((c for c in input_choices(model_name) if c.code == code), None)
    if choice is None:
        raise EntryError("数据项无效")
    try:
        division = find_city(city)
    except CorrectionError as exc:
        raise EntryError(str(exc)) from None
    number = parse_value(value, choice.field)
    src = source.strip()
    if not src:
        raise EntryError("请注明数据来源（部门、文件或统计表）")
    previous = db.scalars(
        select(ManualInput.value).where(
            ManualInput.model_name == model_name,
            ManualInput.indicator_code == code,
            ManualInput.division_code == division.code,
            ManualInput.month == month,
        )
    ).first()
    upsert(
        db,
        ManualInput,
        {
            "model_name": model_name,
            "indicator_code": code,
            "division_code": division.code,
            "month": month,
            "value": number,
            # the source of the figure, and what it replaced: the audit trail of a hand-entered figure
            "note": f"来源：{src}"
            + (f"；{note.strip()}" if note.strip() else "")
            + (f"；原值 {previous:g}" if previous is not None else ""),
            "source_file": f"控制台录入（{user}）",
        },
        key=["model_name", "indicator_code", "division_code", "month"],
    )
    db.flush()
    rescore_now(db, {month}, [*cities, division.code], model_name)
    return division.code, number, previous
