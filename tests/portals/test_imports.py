"""Imports of official exports: XLSX and CSV, good and bad rows, mapping files, idempotent re-import, the CLI."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from crawlers.portals.imports import ImportFailed, import_portal_file, load_mapping
from models.portal import ListKind, PortalRecord
from storage.db import session_scope

PENALTY_HEADER = [
    "行政处罚决定书文号",
    "行政相对人名称",
    "统一社会信用代码",
    "处罚事由",
    "处罚机关",
    "处罚决定日期",
    "备注",
]
PENALTY_ROWS: list[list[object]] = [
    [
        "澄市监罚〔2024〕101号",
        "江阴市澄江建材有限公司",
        "91320281MA1N2K3L4H",
        "虚假宣传",
        "江阴市市场监督管理局",
        datetime(2024, 3, 5),
        "",
    ],
    [
        "锡市监罚〔2024〕22号",
        "无锡锡南物流有限公司",
        "91320200MA1Q8R9T02",
        "超限运输",
        "无锡市市场监督管理局",
        "2024/3/18",
        "x",
    ],
    [
        "澄应急罚〔2024〕7号",
        "江阴市新桥纺织有限公司",
        "91320281MA20ABCD1M",
        "安全生产",
        "江阴市应急管理局",
        "2024年3月28日",
        "",
    ],
]


def _xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _count(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(PortalRecord)) or 0


def test_xlsx_good_rows_are_stored_and_reimport_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    f = _xlsx(tmp_path / "penalty.xlsx", PENALTY_HEADER, PENALTY_ROWS)
    with session_scope(engine) as s:
        r = import_portal_file(s, f, ListKind.PENALTY)
    assert (r.rows, r.new, r.already_stored, r.duplicates_in_file) == (3, 3, 0, 0)
    with session_scope(engine) as s:
        again = import_portal_file(s, f, ListKind.PENALTY)
    assert (again.new, again.already_stored) == (0, 3)
    assert _count(engine) == 3
    with Session(engine) as s:
        rec = s.scalars(select(PortalRecord).where(PortalRecord.entity_name == "无锡锡南物流有限公司")).one()
    assert rec.decided_on == date(2024, 3, 18)
    assert rec.region_code == "320200"
    assert rec.case_number == "锡市监罚〔2024〕22号"
    assert rec.source == "import:penalty.xlsx" and rec.source_ref == "penalty.xlsx#row3"
    assert rec.dedup_key == "penalty|91320200MA1Q8R9T02|锡市监罚〔2024〕22号|2024-03-18"


def test_xlsx_bad_rows_name_row_and_column_and_store_nothing(engine: Engine, tmp_path: Path) -> None:
    rows = [list(r) for r in PENALTY_ROWS]
    rows[1][5] = "2024-13-01"  # spreadsheet row 3: impossible month
    rows[2][2] = "91320281MA20ABCD1X"  # spreadsheet row 4: wrong check character
    f = _xlsx(tmp_path / "bad.xlsx", PENALTY_HEADER, rows)
    with pytest.raises(ImportFailed) as exc, session_scope(engine) as s:
        import_portal_file(s, f, ListKind.PENALTY)
    got = {(p.row, p.column) for p in exc.value.problems}
    assert got == {(3, "处罚决定日期"), (4, "统一社会信用代码")}
    assert "row 3, column '处罚决定日期'" in str(exc.value) and "nothing imported" in str(exc.value)
    assert _count(engine) == 0  # the good row 2 was not stored either


def test_csv_national_codes_missing_column_is_named(engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "cf.csv"
    f.write_text(
        "cf_xdr_mc,cf_xdr_shxym,cf_jdrq\n江阴市澄江建材有限公司,91320281MA1N2K3L4H,2024-03-05\n",
        encoding="utf-8-sig",
    )
    with pytest.raises(ImportFailed) as exc, session_scope(engine) as s:
        import_portal_file(s, f, ListKind.PENALTY)
    (p,) = exc.value.problems
    assert p.row == 1 and "case_number" in p.message and "cf_wsh" in p.message
    assert _count(engine) == 0


def test_csv_national_codes_good(engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "cf.csv"
    with f.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["cf_wsh", "cf_xdr_mc", "cf_xdr_shxym", "cf_sy", "cf_xzjg", "cf_jdrq", "cf_jg"])
        w.writerow(
            [
                "澄环罚〔2024〕9号",
                "江阴市某化工有限公司",
                "",
                "超标排放",
                "无锡市江阴生态环境局",
                "20240311",
                "罚款20万元",
            ]
        )
        w.writerow(
            [
                "澄环罚〔2024〕9号",
                "江阴市某化工有限公司",
                "",
                "超标排放",
                "无锡市江阴生态环境局",
                "20240311",
                "罚款20万元",
            ]
        )
    with session_scope(engine) as s:
        r = import_portal_file(s, f, ListKind.PENALTY)
    assert (r.rows, r.new, r.duplicates_in_file) == (2, 1, 1)
    with Session(engine) as s:
        rec = s.scalars(select(PortalRecord)).one()
    # "无锡市江阴生态环境局": the county named after the prefecture wins.
    assert rec.region_code == "320281"
    assert rec.raw["cf_jg"] == "罚款20万元"


def test_csv_dishonest_debtors_gb18030(engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "sx.csv"
    text = (
        "被执行人姓名/名称,身份证号码/组织机构代码,执行法院,案号,立案时间,发布时间,失信被执行人行为具体情形\n"
        "江阴市某镇人民政府,11320281014123456X,江苏省江阴市人民法院,（2023）苏0281执1234号,2023-06-12,2024-03-02,有履行能力而拒不履行\n"
        "张某某,3202811979****1234,江苏省江阴市人民法院,（2024）苏0281执567号,2024-01-08,2024-03-20,违反财产报告制度\n"
    )
    f.write_bytes(text.encode("gb18030"))
    with session_scope(engine) as s:
        r = import_portal_file(s, f, ListKind.DISHONEST_DEBTOR)
    assert r.new == 2
    with Session(engine) as s:
        gov = s.scalars(select(PortalRecord).where(PortalRecord.is_government.is_(True))).one()
    assert gov.entity_name == "江阴市某镇人民政府" and gov.region_code == "320281"
    assert gov.decided_on == date(2023, 6, 12) and gov.published_on == date(2024, 3, 2)


def test_mapping_file_adds_headers(engine: Engine, tmp_path: Path) -> None:
    m = tmp_path / "map.yaml"
    m.write_text("columns:\n  entity_name: 当事人全称\n  decided_on: [认定时间]\n", encoding="utf-8")
    f = tmp_path / "hei.csv"
    f.write_text(
        "当事人全称,认定时间,认定部门\n江阴市澄江建材有限公司,2024-03-15,江阴市人力资源和社会保障局\n",
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        r = import_portal_file(s, f, ListKind.BLACKLIST, load_mapping(m))
    assert r.new == 1
    bad_map = tmp_path / "bad.yaml"
    bad_map.write_text("columns:\n  colour: 颜色\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown field 'colour'"):
        load_mapping(bad_map)


def test_cli_import_reports_problems_and_success(tmp_path: Path) -> None:
    from models import Base
    from monitor.cli import app
    from storage.db import make_engine

    url = f"sqlite:///{tmp_path / 'cw.db'}"
    eng = make_engine(url)
    Base.metadata.create_all(eng)
    rows = [list(r) for r in PENALTY_ROWS]
    rows[0][1] = ""
    bad = _xlsx(tmp_path / "bad.xlsx", PENALTY_HEADER, rows)
    good = _xlsx(tmp_path / "good.xlsx", PENALTY_HEADER, PENALTY_ROWS)
    runner = CliRunner()
    res = runner.invoke(app, ["import", "portal", str(bad), "--kind", "penalty", "--db", url])
    assert res.exit_code == 1
    assert "row 2, column '行政相对人名称': empty entity name" in res.output
    res = runner.invoke(app, ["import", "portal", str(good), "--kind", "penalty", "--db", url])
    assert res.exit_code == 0, res.output
    assert "3 new" in res.output
    res = runner.invoke(app, ["import", "portal", str(good), "--kind", "judgment", "--db", url])
    assert res.exit_code == 2
    eng.dispose()


def test_a_failure_while_storing_leaves_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crawlers.portals.imports as imports
    from crawlers.portals.store import store_items as real_store

    def store_half_then_fail(session: Session, items: list[object]) -> tuple[int, int]:
        real_store(session, items[:1])  # type: ignore[arg-type]
        session.flush()
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "store_items", store_half_then_fail)
    f = _xlsx(tmp_path / "penalty.xlsx", PENALTY_HEADER, PENALTY_ROWS)
    with pytest.raises(RuntimeError, match="disk full"), session_scope(engine) as s:
        import_portal_file(s, f, ListKind.PENALTY)
    assert _count(engine) == 0


def _reltuples(engine: Engine) -> float:
    with engine.connect() as c:
        return float(
            c.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'portal_records'")).scalar_one()
        )


def test_a_large_import_refreshes_the_planner_statistics_on_postgresql(
    engine: Engine, tmp_path: Path
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    f = _xlsx(tmp_path / "penalty.xlsx", PENALTY_HEADER, PENALTY_ROWS)
    with session_scope(engine) as s:  # small: left to autovacuum
        import_portal_file(s, f, ListKind.PENALTY)
    assert _reltuples(engine) < 1  # never analysed (-1), far below the 3 rows stored
    rows = [[f"澄罚〔2024〕{n}号", *r[1:]] for n, r in enumerate(PENALTY_ROWS * 2, 200)]
    g = _xlsx(tmp_path / "more.xlsx", PENALTY_HEADER, rows)
    with session_scope(engine) as s:  # "large" for this test: the threshold lowered to its size
        r = import_portal_file(s, g, ListKind.PENALTY, analyze_after=6)
    assert r.new == 6
    assert _reltuples(engine) == 9  # analysed with the import, committed with its rows
