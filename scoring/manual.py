"""Manual inputs: the XLSX template the office fills in, and its validated, all-or-nothing import.

Template: sheet `inputs` with one row per manual input field of the model (code, indicator, name, unit, allowed
range, responsible departments, an empty value column and a note column); sheet `model` names the model and version
so that an import knows which model the figures belong to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy.orm import Session

from models import ManualInput
from scoring.datatypes import month_index
from scoring.model import IndexModel, InputField, ModelFileError, load_model
from storage.upsert import upsert

SHEET = "inputs"
META = "model"
COLUMNS = ["code", "indicator", "name", "unit", "min", "max", "departments", "value", "note"]
HEADERS = ["代码 code", "指标 indicator", "名称 name", "单位 unit", "最小值 min", "最大值 max", "责任部门 departments",
           "数值 value", "备注 note"]  # fmt: skip
TRUE_WORDS = {"是", "yes", "y", "true", "有", "已"}
FALSE_WORDS = {"否", "no", "n", "false", "无", "未"}


class ManualImportError(ValueError):
    """The file was rejected; `problems` lists each one as 'row R, column C: problem'. Nothing was stored."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"{path.name}: {len(problems)} problem(s), nothing imported:\n" + "\n".join(problems)
        )


def write_template(model: IndexModel, path: Path) -> int:
    """Write the template for `model`; returns the number of input rows."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    value_fill = PatternFill("solid", start_color="FFF2CC")
    rows = 0
    for aspect, leaf, field in model.manual_fields():
        departments = leaf.departments or aspect.departments
        ws.append([field.code, leaf.code, field.name or leaf.name, field.unit or leaf.unit, field.min, field.max,
                   "、".join(departments), None, None])  # fmt: skip
        ws.cell(row=ws.max_row, column=COLUMNS.index("value") + 1).fill = value_fill
        rows += 1
    for letter, width in zip("ABCDEFGHI", (16, 10, 48, 14, 9, 12, 40, 14, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    meta = wb.create_sheet(META)
    meta.append(["model", model.name])
    meta.append(["version", model.version])
    meta.append(["title", model.title])
    meta.append(["help", "Fill the 数值 value column; leave it empty for figures you do not have. Then run "
                         "`creditwatch inputs import FILE --month YYYY-MM [--city CODE]`."])  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return rows


@dataclass(frozen=True)
class ParsedInput:
    code: str
    value: float
    note: str | None
    row: int


def _number(raw: Any, field: InputField) -> float:
    if isinstance(raw, bool):
        return 1.0 if raw else 0.0
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = str(raw).strip().replace(",", "").replace("，", "")
        if text.lower() in TRUE_WORDS:
            return 1.0
        if text.lower() in FALSE_WORDS:
            return 0.0
        text = text.removesuffix("%").strip()
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{raw!r} is not a finite number")
    if field.min is not None and value < field.min:
        raise ValueError(f"{value:g} is below the minimum {field.min:g}")
    if field.max is not None and value > field.max:
        raise ValueError(f"{value:g} is above the maximum {field.max:g}")
    return value


def read_inputs(path: Path, model_name: str | None = None) -> tuple[IndexModel, list[ParsedInput]]:
    """Parse and validate a filled template; raises ManualImportError listing every bad row and column."""
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ManualImportError(path, [f"not a readable XLSX file ({exc})"]) from None
    problems: list[str] = []
    name = model_name
    if META in wb.sheetnames:
        meta = {str(r[0]): r[1] for r in wb[META].iter_rows(values_only=True) if r and r[0]}
        if name is None:
            name = str(meta.get("model") or "")
    if not name:
        raise ManualImportError(path, ["sheet 'model': no model name (use the template, or pass --model)"])
    try:
        model = load_model(name)
    except ModelFileError as exc:
        raise ManualImportError(path, [f"sheet 'model': {exc}"]) from None
    if SHEET not in wb.sheetnames:
        raise ManualImportError(path, [f"no sheet {SHEET!r} (use `creditwatch inputs template`)"])
    fields = {f.code: f for _a, _l, f in model.manual_fields()}
    rows = list(wb[SHEET].iter_rows(values_only=True))
    if not rows:
        raise ManualImportError(path, [f"sheet {SHEET!r} is empty"])
    header = [str(h or "").strip() for h in rows[0]]
    col: dict[str, int] = {}
    for key in ("code", "value", "note"):
        matches = [i for i, h in enumerate(header) if h == key or h.endswith(f" {key}")]
        if not matches and key != "note":
            problems.append(f"row 1: no column {key!r} (the header must keep the template's column names)")
        elif matches:
            col[key] = matches[0]
    if problems:
        raise ManualImportError(path, problems)
    parsed: list[ParsedInput] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = list(row) + [None] * len(header)
        code = str(cells[col["code"]] or "").strip()
        raw = cells[col["value"]]
        if not code and (raw is None or str(raw).strip() == ""):
            continue  # blank line
        if code not in fields:
            problems.append(f"row {number}, column code: unknown input {code!r} for model {model.name}")
            continue
        if code in seen:
            problems.append(f"row {number}, column code: {code!r} already given in row {seen[code]}")
            continue
        seen[code] = number
        if raw is None or str(raw).strip() == "":
            continue  # not entered
        try:
            value = _number(raw, fields[code])
        except ValueError as exc:
            problems.append(f"row {number}, column value ({code}): {exc}")
            continue
        note = cells[col["note"]] if "note" in col else None
        parsed.append(ParsedInput(code, value, str(note).strip() if note not in (None, "") else None, number))
    if problems:
        raise ManualImportError(path, problems)
    return model, parsed


def import_inputs(
    session: Session, path: Path, month: str, city: str, model_name: str | None = None
) -> tuple[IndexModel, int]:
    """Validate the whole file, then upsert every value in the caller's transaction (nothing half-imported)."""
    try:
        month_index(month)
    except ValueError as exc:
        raise ManualImportError(path, [f"--month: {exc}"]) from None
    if not (len(city) == 6 and city.isdigit()):
        raise ManualImportError(path, [f"--city: {city!r} is not a 6-digit division code"])
    model, parsed = read_inputs(path, model_name)
    for item in parsed:
        upsert(
            session,
            ManualInput,
            {
                "model_name": model.name,
                "indicator_code": item.code,
                "division_code": city,
                "month": month,
                "value": item.value,
                "note": item.note,
                "source_file": f"{path.name}#row{item.row}",
            },
            key=["model_name", "indicator_code", "division_code", "month"],
        )
    return model, len(parsed)
