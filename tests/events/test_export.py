"""`creditwatch events export`: events as CSV/XLSX with Chinese headings; crawled text never becomes a formula."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from models import Event, EventStatus
from monitor.events_export import HEADERS, ExportError, export_events
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from tests.events.factories import at


def _events() -> list[Event]:
    major = Event(
        id=2,
        title='=HYPERLINK("http://evil.example")江阴某企业食品抽检不合格',  # hand-made hostile title
        kind="distrust",
        domain="business",
        subdomain="食品药品",
        division_code="320281",
        first_seen=at(3, 9),
        last_seen=at(4, 18),
        status=EventStatus.MAJOR,
        major_reason="3 个网站首页",
    )
    plain = Event(
        id=1,
        title="无锡表彰诚信企业",
        kind="trust",
        division_code=None,
        first_seen=at(2, 8),
        last_seen=at(2, 8),
    )
    return [major, plain]


def test_csv_has_chinese_headings_labels_and_no_formula(tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    assert export_events(_events(), out) == 2
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert tuple(rows[0]) == HEADERS
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["状态"] == "重大失信" and first["类别"] == "失信" and first["领域"] == "商务诚信"
    assert first["城市"] == "江阴市 (无锡)"
    assert first["标题"].startswith("'=HYPERLINK")
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["城市"] == "城市未定" and second["类别"] == "守信"
    assert not list(tmp_path.glob("*.part"))


def test_xlsx_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "events.xlsx"
    export_events(_events(), out)
    ws = load_workbook(out).active
    assert ws is not None and ws.title == "事件"
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert tuple(values[0]) == HEADERS
    assert values[1][9].startswith("'=")
    assert values[2][3] == "一般"


def test_unknown_format_is_refused_in_chinese(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="不支持的导出格式"):
        export_events(_events(), tmp_path / "events.pdf")
    assert not list(tmp_path.iterdir())


def test_cli_exports_the_database_events(tmp_path: Path) -> None:
    db = tmp_path / "cw.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as s:
        s.add_all(_events())
    engine.dispose()
    cli = [sys.executable, "-c", "from monitor.cli import main; main()", "--db", str(db), "events", "export"]
    env = dict(os.environ)
    ok = subprocess.run(
        [*cli, str(tmp_path / "e.csv"), "--status", "major"], capture_output=True, text=True, env=env
    )
    assert ok.returncode == 0, ok.stderr
    assert "已导出 1 个事件" in ok.stdout
    bad = subprocess.run([*cli, str(tmp_path / "e.doc")], capture_output=True, text=True, env=env)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "不支持的导出格式" in bad.stderr
