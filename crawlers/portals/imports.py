"""Imports of the office's official exports (XLSX/CSV) of 红黑名单, 双公示 and 失信被执行人 into PortalRecord.

Columns are recognised by the national 双公示 field names (cf_*, xk_*), their Chinese labels and the 失信被执行人
fields (crawlers.portals.fields), optionally extended by a mapping file. The whole file is validated before anything
is written: one bad row or column is an `ImportFailed` naming row and column, and nothing is stored. Records are
upserted by dedup_key (credit code or name + list + case number + date), so re-importing a file changes nothing; a
row without a case number joins the crawled copy that has one (see `crawlers.portals.store.store_items`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import text
from sqlalchemy.orm import Session

from crawlers.portals.fields import FIELD_LABELS, field_for
from crawlers.portals.records import PortalItem, clean, is_valid_uscc, parse_day
from crawlers.portals.store import store_items
from models.portal import ListKind

IMPORT_KINDS = (
    ListKind.BLACKLIST,
    ListKind.REDLIST,
    ListKind.WATCHLIST,
    ListKind.PERMIT,
    ListKind.PENALTY,
    ListKind.DISHONEST_DEBTOR,
)
# Columns each kind of export must have (besides the entity name and a date).
_REQUIRED_EXTRA: dict[ListKind, tuple[str, ...]] = {
    ListKind.PERMIT: ("case_number",),
    ListKind.PENALTY: ("case_number",),
    ListKind.DISHONEST_DEBTOR: ("case_number", "authority"),
}
_DATE_FIELDS = ("decided_on", "published_on", "removed_on")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
MAX_REPORTED = 100
ANALYZE_AFTER = 1000  # new rows; below this the planner's old statistics are close enough


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One reason the file was refused: the spreadsheet row number (1 = header) and the column as written."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.message}"


class ImportFailed(ValueError):
    """The file does not validate; nothing was stored."""

    def __init__(self, path: Path, problems: list[ImportProblem]) -> None:
        self.path = path
        self.problems = problems
        shown = "\n  ".join(str(p) for p in problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{path.name}: {len(problems)} problem(s), nothing imported:\n  {shown}{more}")


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did."""

    file: str
    kind: ListKind
    rows: int
    """Data rows read (empty rows not counted)."""
    new: int
    """Records stored for the first time."""
    already_stored: int
    """Records that were stored before (re-import, or crawled) and were refreshed, or that joined another copy of the
    same entry read with its case number."""
    duplicates_in_file: int
    """Rows that repeat another row of the same file (same dedup_key)."""


def _is_valid_id_number(code: str) -> bool:
    """An 18-digit resident ID number with a correct ISO 7064 check digit."""
    if len(code) != 18 or not code[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(code[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == code[17].upper()


def _code_problem(code: str, kind: ListKind, entity_type: str | None) -> str | None:
    """Why `code` cannot be the party's credit code / ID number, or None when it can."""
    if "*" in code:
        return None  # masked ID numbers of natural persons, as published
    if len(code) == 18:
        if is_valid_uscc(code) or _is_valid_id_number(code):
            return None
        return (
            f"{code!r} is neither a valid unified social credit code nor a valid ID number (check character)"
        )
    if kind == ListKind.DISHONEST_DEBTOR or (entity_type and "自然人" in entity_type):
        return None
    if len(code.replace("-", "")) in (9, 13, 15):
        return None  # old 组织机构代码 / 注册号, still seen in older exports
    return f"{code!r} has {len(code)} characters; a unified social credit code has 18"


def load_mapping(path: Path) -> dict[str, list[str]]:
    """A mapping file: `columns: {field: header | [headers]}` with fields of PortalRecord (entity_name,
    credit_code, entity_type, authority, case_number, reason, decided_on, published_on, removed_on, address)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"mapping {path}: {exc}") from None
    cols = data.get("columns") if isinstance(data, dict) else None
    if not isinstance(cols, dict):
        raise ValueError(f"mapping {path}: expected a top-level 'columns: {{field: header}}'")
    out: dict[str, list[str]] = {}
    for fieldname, headers in cols.items():
        if fieldname not in FIELD_LABELS:
            raise ValueError(f"mapping {path}: unknown field {fieldname!r}; known: {', '.join(FIELD_LABELS)}")
        out[fieldname] = [headers] if isinstance(headers, str) else [str(h) for h in headers]
    return out


def read_table(path: Path) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """Header and data rows (with their 1-based spreadsheet row numbers) of the first sheet of an XLSX or a CSV
    (UTF-8 with or without BOM, else GB18030). The header is the first non-empty row."""
    suffix = path.suffix.lower()
    rows: list[tuple[int, list[Any]]] = []
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
                rows.append((n, list(values)))
        finally:
            wb.close()
    elif suffix == ".csv":
        raw = path.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes any byte string
            raise ValueError(f"{path.name}: neither UTF-8 nor GB18030")
        for n, values in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            rows.append((n, list(values)))
    else:
        raise ValueError(f"{path.name}: expected an .xlsx or .csv file")
    while rows and not any(clean(v) for v in rows[0][1]):
        rows.pop(0)
    if not rows:
        raise ImportFailed(path, [ImportProblem(1, "-", "the file has no header row")])
    _, header = rows[0]
    return [clean(h) or "" for h in header], [(n, r) for n, r in rows[1:] if any(clean(v) for v in r)]


def _columns(
    path: Path, header: list[str], kind: ListKind, mapping: Mapping[str, list[str]] | None
) -> tuple[dict[str, int], list[ImportProblem]]:
    """field → column index, and the header problems (missing required columns, mapped columns not found)."""
    problems: list[ImportProblem] = []
    index: dict[str, int] = {}
    for i, h in enumerate(header):
        f = field_for(h, mapping) if h else None
        if f and f not in index:
            index[f] = i
    for fieldname, wanted in (mapping or {}).items():
        if fieldname not in index:
            problems.append(
                ImportProblem(1, " | ".join(wanted), f"mapped to {fieldname} but not found in the header row")
            )
    required = ["entity_name", *_REQUIRED_EXTRA.get(kind, ())]
    for fieldname in required:
        if fieldname not in index:
            problems.append(
                ImportProblem(
                    1,
                    FIELD_LABELS[fieldname][1],
                    f"missing required column for {fieldname}; accepted headers: {', '.join(FIELD_LABELS[fieldname])}",
                )
            )
    if "decided_on" not in index and "published_on" not in index:
        problems.append(
            ImportProblem(
                1,
                FIELD_LABELS["decided_on"][1],
                "missing a date column (决定/列入/立案日期 or 发布日期); accepted: "
                + ", ".join(FIELD_LABELS["decided_on"] + FIELD_LABELS["published_on"]),
            )
        )
    return index, problems


def parse_file(
    path: Path, kind: ListKind, mapping: Mapping[str, list[str]] | None = None
) -> list[PortalItem]:
    """Every row of the export as a PortalItem; `ImportFailed` listing each bad row/column when any is wrong."""
    if kind not in IMPORT_KINDS:
        raise ValueError(
            f"kind {kind.value!r} cannot be imported; use one of {', '.join(k.value for k in IMPORT_KINDS)}"
        )
    header, rows = read_table(path)
    index, problems = _columns(path, header, kind, mapping)
    if problems:
        raise ImportFailed(path, problems)
    items: list[PortalItem] = []
    source = f"import:{path.name}"[:64]
    for n, values in rows:
        row_problems: list[ImportProblem] = []

        def cell(fieldname: str, values: list[Any] = values) -> Any:
            i = index.get(fieldname)
            return values[i] if i is not None and i < len(values) else None

        def col(fieldname: str) -> str:
            return header[index[fieldname]]

        name = clean(cell("entity_name"))
        if not name:
            row_problems.append(ImportProblem(n, col("entity_name"), "empty entity name"))
        for fieldname in _REQUIRED_EXTRA.get(kind, ()):
            if not clean(cell(fieldname)):
                row_problems.append(ImportProblem(n, col(fieldname), f"empty (required for {kind.value})"))
        dates: dict[str, date | None] = {}
        for fieldname in _DATE_FIELDS:
            v = cell(fieldname)
            if fieldname not in index or clean(v) is None:
                dates[fieldname] = None
                continue
            try:
                dates[fieldname] = parse_day(v)
            except ValueError as exc:
                row_problems.append(ImportProblem(n, col(fieldname), str(exc)))
                dates[fieldname] = None
        if not row_problems and dates["decided_on"] is None and dates["published_on"] is None:
            which = col("decided_on") if "decided_on" in index else col("published_on")
            row_problems.append(ImportProblem(n, which, "empty date"))
        if dates["removed_on"] and dates["decided_on"] and dates["removed_on"] < dates["decided_on"]:
            row_problems.append(
                ImportProblem(
                    n, col("removed_on"), f"exit {dates['removed_on']} before entry {dates['decided_on']}"
                )
            )
        code = clean(cell("credit_code"))
        etype = clean(cell("entity_type"))
        if code:
            code = code.upper()
            bad = _code_problem(code, kind, etype)
            if bad:
                row_problems.append(ImportProblem(n, col("credit_code"), bad))
        if row_problems:
            problems.extend(row_problems)
            if len(problems) >= MAX_REPORTED:
                break
            continue
        assert name is not None
        items.append(
            PortalItem(
                list_kind=kind,
                entity_name=name,
                source=source,
                credit_code=code,
                entity_type=etype,
                authority=clean(cell("authority")),
                case_number=clean(cell("case_number")),
                reason=clean(cell("reason")),
                decided_on=dates["decided_on"],
                published_on=dates["published_on"],
                removed_on=dates["removed_on"],
                address=clean(cell("address")),
                source_ref=f"{path.name}#row{n}",
                raw={
                    h: _jsonable(v)
                    for h, v in zip(header, values, strict=False)
                    if h and clean(v) is not None
                },
            )
        )
    if problems:
        raise ImportFailed(path, problems)
    return items


def _jsonable(v: Any) -> Any:
    if isinstance(v, date):
        return v.isoformat()
    return v


def import_portal_file(
    session: Session,
    path: Path,
    kind: ListKind,
    mapping: Mapping[str, list[str]] | None = None,
    *,
    analyze_after: int = ANALYZE_AFTER,
) -> ImportResult:
    """Validate the whole file, then upsert its records in the caller's transaction (use `session_scope`).
    On PostgreSQL, an import adding `analyze_after` rows or more also refreshes the table's planner statistics."""
    items = parse_file(path, kind, mapping)
    keys = [i.dedup_key for i in items]
    new, known = store_items(session, items)
    if new >= analyze_after and session.get_bind().dialect.name == "postgresql":
        # Until autovacuum gets to it, the planner believes the table is as small as before and scans it for
        # each lookup of the next crawl or import (bench/bench_portal_store.py: 10k rows re-read at 1.4k/s, 5.5k/s once analysed).
        # ANALYZE runs inside the transaction and its statistics are committed with the rows.
        session.execute(text("ANALYZE portal_records"))
    return ImportResult(
        file=path.name,
        kind=kind,
        rows=len(items),
        new=new,
        already_stored=known,
        duplicates_in_file=len(keys) - len(set(keys)),
    )
