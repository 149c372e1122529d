"""The report's queries on PostgreSQL (production): same figures as on SQLite, and the XLSX renders."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Base, IndexScore
from monitor.reports import build_report, write_reports
from storage.db import make_engine
from tests.reports import fixture_db

pytestmark = pytest.mark.postgres


def test_report_on_postgres(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as s:
            fixture_db.build(s)
        with Session(engine) as s:
            stored = s.scalars(
                select(IndexScore).where(
                    IndexScore.division_code == fixture_db.HOME, IndexScore.month == fixture_db.MONTH
                )
            ).one()
            report = build_report(s, fixture_db.MONTH, fixture_db.HOME)
            assert (report.total, report.rank) == (stored.total, stored.rank)
            assert len(report.major_events) == 2 and report.major_events[0].rankings
            assert (report.distrust_events, report.trust_events) == (5, 3)
            assert "张**" in [e.name for e in report.new_entries]
            [path] = write_reports(s, fixture_db.MONTH, fixture_db.HOME, "xlsx", tmp_path)
        summary = {r[0]: r[1] for r in load_workbook(path)["概要"].iter_rows(values_only=True) if r[0]}
        assert summary["综合指数"] == stored.total
    finally:
        engine.dispose()
