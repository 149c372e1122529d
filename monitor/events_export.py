"""Events exported for the office's own spreadsheets: CSV (UTF-8 with BOM, so Excel reads the Chinese) or XLSX.

Titles and reasons are crawled text: a cell that starts like a formula (=, +, -, @, tab, CR) is written with a
leading apostrophe, so opening the file never evaluates what a website wrote.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from models import Event, EventStatus
from models import vocabulary as vocab
from monitor.corrections import city_label
from nlp.gazetteer import get_gazetteer

HEADERS: tuple[str, ...] = (
    "编号",
    "首次发现",
    "最近发现",
    "状态",
    "类别",
    "领域",
    "子领域",
    "城市代码",
    "城市",
    "标题",
    "重大事件原因",
)
FORMATS: tuple[str, ...] = ("csv", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ValueError):
    """An export that cannot be written as asked (the message is for staff)."""


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def event_rows(events: Sequence[Event]) -> list[list[str]]:
    gaz = get_gazetteer()
    rows: list[list[str]] = []
    for ev in events:
        division = gaz.get(ev.division_code) if ev.division_code else None
        rows.append(
            [
                str(ev.id),
                ev.first_seen.strftime("%Y-%m-%d %H:%M"),
                ev.last_seen.strftime("%Y-%m-%d %H:%M"),
                vocab.EVENT_STATUS_LABELS[(ev.status or EventStatus.NORMAL).value],
                vocab.kind_label(ev.kind),
                vocab.domain_label(ev.domain) if ev.domain else "",
                ev.subdomain or "",
                ev.division_code or "",
                city_label(division) if division else vocab.UNKNOWN_CITY,
                safe_cell(ev.title),
                safe_cell(ev.major_reason or ""),
            ]
        )
    return rows


def export_events(events: Sequence[Event], out: Path) -> int:
    """Write `events` to `out` (.csv or .xlsx, by suffix); returns the number of rows written."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ExportError(f"不支持的导出格式：{out.suffix or '（无扩展名）'}，请使用 .csv 或 .xlsx")
    rows = event_rows(events)
    part = out.with_name(out.name + ".part")
    if fmt == "csv":
        with part.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(HEADERS)
            w.writerows(rows)
    else:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "事件"
        ws.append(list(HEADERS))
        for r in rows:
            ws.append(r)
        ws.freeze_panes = "A2"
        wb.save(part)
    part.replace(out)  # a reader never sees half a file
    return len(rows)
