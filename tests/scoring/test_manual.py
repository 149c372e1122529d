"""Manual inputs: XLSX template → filled → imported; a bad row rejects the whole file, naming row and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import ManualInput
from scoring.manual import COLUMNS, ManualImportError, import_inputs, read_inputs, write_template
from scoring.model import load_model


def _fill(path: Path, values: dict[str, object], extra_rows: list[list[object]] | None = None) -> Path:
    wb = load_workbook(path)
    ws = wb["inputs"]
    code_col, value_col = COLUMNS.index("code") + 1, COLUMNS.index("value") + 1
    for row in range(2, ws.max_row + 1):
        code = ws.cell(row=row, column=code_col).value
        if code in values:
            ws.cell(row=row, column=value_col).value = values[code]
    for extra in extra_rows or []:
        ws.append(extra)
    wb.save(path)
    return path


def test_template_has_one_row_per_manual_input(tmp_path):
    model = load_model("monitor2019")
    path = tmp_path / "t.xlsx"
    n = write_template(model, path)
    ws = load_workbook(path)["inputs"]
    codes = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert n == len(codes) == len(set(codes)) == len(list(model.manual_fields()))
    assert "legal_entities" in codes and "T25" not in codes  # crawled indicators are not asked for
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == "T11")
    assert row[3] == "%" and row[4] == 0 and row[5] == 100 and "工信局" in row[6]


def test_round_trip_into_the_database(tmp_path, db_session):
    path = tmp_path / "demo.xlsx"
    write_template(load_model("demo-city"), path)
    _fill(path, {"B1": 100, "B2": "0.005", "G11.domains": 44, "G17.evaluated": "是", "G17.coverage": "73%"})
    model, n = import_inputs(db_session, path, "2024-06", "330800")
    db_session.commit()
    assert model.name == "demo-city" and n == 5
    stored = {m.indicator_code: m.value for m in db_session.scalars(select(ManualInput))}
    assert stored == {"B1": 100, "B2": 0.005, "G11.domains": 44, "G17.evaluated": 1.0, "G17.coverage": 73}
    # Importing again (corrected figure) replaces, never duplicates.
    _fill(path, {"G11.domains": 40})
    import_inputs(db_session, path, "2024-06", "330800")
    db_session.commit()
    assert db_session.scalar(select(func.count()).select_from(ManualInput)) == 5
    assert (
        db_session.scalar(select(ManualInput.value).where(ManualInput.indicator_code == "G11.domains")) == 40
    )


def test_bad_rows_reject_the_whole_file(tmp_path, db_session):
    path = tmp_path / "bad.xlsx"
    write_template(load_model("demo-city"), path)
    _fill(
        path,
        {"B1": 100, "B6": 120, "G11.domains": "many", "G17.coverage": -5},
        extra_rows=[
            ["G99", None, None, None, None, None, None, 3, None],
            ["B1", None, None, None, None, None, None, 1, None],
        ],
    )
    with pytest.raises(ManualImportError) as exc:
        import_inputs(db_session, path, "2024-06", "330800")
    problems = exc.value.problems
    rows = {p.split(",")[0] for p in problems}
    assert len(problems) == 5 and len(rows) == 5
    text = "\n".join(problems)
    assert "column value (B6): 120 is above the maximum 100" in text
    assert "column value (G11.domains): 'many' is not a number" in text
    assert "column value (G17.coverage): -5 is below the minimum 0" in text
    assert "column code: unknown input 'G99' for model demo-city" in text
    assert "column code: 'B1' already given in row 2" in text
    db_session.rollback()
    assert (
        db_session.scalar(select(func.count()).select_from(ManualInput)) == 0
    )  # B1 was valid, yet not stored


def test_unreadable_or_foreign_files(tmp_path):
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ManualImportError, match="not a readable XLSX"):
        read_inputs(junk)
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["code", "value"])
    other = tmp_path / "other.xlsx"
    wb.save(other)
    with pytest.raises(ManualImportError, match="no model name"):
        read_inputs(other)
    with pytest.raises(ManualImportError, match=r"no sheet 'inputs'"):
        read_inputs(other, "demo-city")
