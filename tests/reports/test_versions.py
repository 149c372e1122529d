"""Regenerating a report (after corrections) keeps the one already written beside the new one."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitor.reports import write_reports
from tests.reports import fixture_db


def test_regenerating_keeps_the_old_report(
    report_engine: tuple[Engine, fixture_db.Fixture], tmp_path: Path
) -> None:
    eng, _ = report_engine
    with Session(eng) as s:
        (first,) = write_reports(s, fixture_db.MONTH, fixture_db.HOME, "xlsx", tmp_path)
        old = first.read_bytes()
        os.utime(first, (1_700_000_000, 1_700_000_000))  # written on 2023-11-15 (Asia/Shanghai 06:13:20)
        (second,) = write_reports(s, fixture_db.MONTH, fixture_db.HOME, "xlsx", tmp_path)
    assert second == first
    kept = tmp_path / f"{first.stem}.20231115-061320.xlsx"
    assert kept.is_file() and kept.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, kept.name])
