"""Storage faults during `creditwatch import portal` on SQLite: the file full (`max_page_count` on each connection
of the child process) and the database read-only. The import is one transaction, so a fault leaves nothing of
the file stored; the command prints one Chinese line and exits 1; the rerun after the fault stores every record
once and a further rerun finds them all already stored.

The spreadsheet is hand-made (600 penalty decisions built from the rows of tests/portals): large enough that its
rows need new pages of the database file, which a file at its size limit cannot give."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models import PortalRecord
from storage.db import make_engine
from tests.faults.storage import creditwatch, finish, one_line
from tests.portals.test_imports import PENALTY_HEADER, PENALTY_ROWS, _xlsx

pytestmark = [pytest.mark.slow]
ROWS = 600


def _count(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(PortalRecord)) or 0


@pytest.fixture
def setting(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """A migrated SQLite file and a spreadsheet of ROWS distinct penalty decisions."""
    from storage import migrate

    path = tmp_path / "cw.db"
    migrate.upgrade(f"sqlite:///{path}")
    rows = []
    for n in range(ROWS):
        row = list(PENALTY_ROWS[n % len(PENALTY_ROWS)])
        row[0] = f"澄市监罚〔2025〕{1000 + n}号"
        rows.append(row)
    export = _xlsx(tmp_path / "penalties.xlsx", PENALTY_HEADER, rows)
    yield f"sqlite:///{path}", path, export


def _import(url: str, export: Path, cwd: Path, *, full: bool = False) -> tuple[int, str, str]:
    return finish(
        creditwatch(
            "import", "portal", str(export), "--kind", "penalty", "--db", url, db_url=url, cwd=cwd, full=full
        )
    )


def _rerun_stores_each_once(url: str, export: Path, cwd: Path, engine: Engine) -> None:
    code, out, err = _import(url, export, cwd)
    assert code == 0, err
    assert f"{ROWS} rows of penalty: {ROWS} new, 0 already stored" in out, out
    assert _count(engine) == ROWS
    code, out, err = _import(url, export, cwd)
    assert code == 0 and f"0 new, {ROWS} already stored" in out, out
    assert _count(engine) == ROWS


def test_full_database_during_import(setting: tuple[str, Path, Path], tmp_path: Path) -> None:
    url, _, export = setting
    engine = make_engine(url)
    code, out, err = _import(url, export, tmp_path, full=True)
    assert code == 1, out
    line = one_line(err)
    assert "磁盘已满" in line and "未保存" in line, line
    assert _count(engine) == 0  # one transaction: nothing of the file half-written
    _rerun_stores_each_once(url, export, tmp_path, engine)
    engine.dispose()


def test_read_only_database_during_import(setting: tuple[str, Path, Path], tmp_path: Path) -> None:
    url, path, export = setting
    engine = make_engine(url)
    code, out, err = _import(f"sqlite:///file:{path}?mode=ro&uri=true", export, tmp_path)
    assert code == 1, out
    line = one_line(err)
    assert "数据库只读" in line and "未保存" in line, line
    assert _count(engine) == 0
    _rerun_stores_each_once(url, export, tmp_path, engine)
    engine.dispose()
