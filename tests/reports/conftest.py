"""One fixture database and one rendering of every format per test session: rendering a PDF takes seconds, and
every format test reads the same files back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import models
from models import IndexScore
from monitor.reports import write_reports
from storage.db import make_engine
from tests.reports import fixture_db


@dataclass(frozen=True)
class Rendered:
    paths: dict[str, Path]
    seconds: float
    fixture: fixture_db.Fixture
    score: IndexScore  # the stored row the report must show
    previous: IndexScore
    peers: list[IndexScore]


@pytest.fixture(scope="session")
def report_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, fixture_db.Fixture]]:
    """A SQLite file (the CLI test opens it by URL) holding the fixture data; built once per session."""
    path = tmp_path_factory.mktemp("reports-db") / "creditwatch.db"
    eng = make_engine(f"sqlite:///{path}")
    models.Base.metadata.create_all(eng)
    with Session(eng) as s:
        fx = fixture_db.build(s)
    yield eng, fx
    eng.dispose()


@pytest.fixture(scope="session")
def rendered(
    report_engine: tuple[Engine, fixture_db.Fixture], tmp_path_factory: pytest.TempPathFactory
) -> Rendered:
    eng, fx = report_engine
    out = tmp_path_factory.mktemp("reports-out")
    with Session(eng) as s:
        started = time.perf_counter()
        paths = write_reports(s, fixture_db.MONTH, fixture_db.HOME, "html,pdf,xlsx,docx", out)
        seconds = time.perf_counter() - started

        def row(code: str, month: str) -> IndexScore:
            return s.scalars(
                select(IndexScore).where(IndexScore.division_code == code, IndexScore.month == month)
            ).one()

        score = row(fixture_db.HOME, fixture_db.MONTH)
        previous = row(fixture_db.HOME, fx.months[-2])
        peers = [
            p
            for p in s.scalars(select(IndexScore).where(IndexScore.month == fixture_db.MONTH))
            if p.details["peer_set"] == score.details["peer_set"]
        ]
    return Rendered({p.suffix[1:]: p for p in paths}, seconds, fx, score, previous, peers)
