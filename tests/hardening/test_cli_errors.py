"""The CLI at its edges: each bad input or failed write is one Chinese line on stderr and a non-zero exit, run
through the installed `creditwatch` entry point in a child process (what an operator types), never a traceback
unless `--debug` asks for one."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import models
from models import IndexScore
from storage.db import make_engine
from tests.reports import fixture_db as report_fixture
from tests.scoring import fixture_db as scoring_fixture

ROOT = Path(__file__).resolve().parents[2]
ENTRY = Path(sys.executable).parent / "creditwatch"


def cw(
    *args: str, db_url: str | None = None, cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CREDITWATCH_")}
    environ["PYTHONPATH"] = str(ROOT)
    environ["CREDITWATCH_DATA_DIR"] = str(cwd / "var")
    if db_url:
        environ["CREDITWATCH_DATABASE_URL"] = db_url
    environ.update(env or {})
    command = (
        [str(ENTRY)] if ENTRY.exists() else [sys.executable, "-c", "from monitor.cli import main; main()"]
    )
    return subprocess.run(
        [*command, *args], cwd=cwd, env=environ, input=stdin, capture_output=True, text=True, timeout=120
    )


def one_chinese_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    err = result.stderr.strip()
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("错误："), err
    return err


@pytest.fixture(scope="module")
def scored_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated SQLite file with the scoring fixture (divisions 江苏省, 无锡市, 江阴市, 苏州市 and their data)."""
    from storage import migrate

    path = tmp_path_factory.mktemp("cli-db") / "creditwatch.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    eng = make_engine(url)
    with Session(eng) as s:
        scoring_fixture.build(s)
        s.commit()
    eng.dispose()
    yield url


def _scores(url: str) -> dict[str, int | None]:
    eng = make_engine(url)
    try:
        with Session(eng) as s:
            return {
                r.division_code: r.rank
                for r in s.scalars(select(IndexScore).where(IndexScore.month == "2024-06"))
            }
    finally:
        eng.dispose()


PEERS = {"CREDITWATCH_HOME_CITY": "320281", "CREDITWATCH_WATCHED_CITIES": '["320200"]',
         "CREDITWATCH_PEER_CITIES": '["320200", "320500"]'}  # fmt: skip


@pytest.mark.parametrize(
    ("city", "expected"),
    [
        ("999999", "不是已知的行政区划代码"),
        ("abc", "不是已知的城市名称或代码"),
        ("320299", "江阴市（320281）"),  # a mistyped code: the divisions with the same prefix are suggested
        ("无锡", "无锡市（320200）"),  # a short name that is no alias: the similar names
    ],
)
def test_unknown_city_is_refused_with_the_nearest_names(
    scored_db: str, tmp_path: Path, city: str, expected: str
) -> None:
    before = _scores(scored_db)
    r = cw("score", "--month", "2024-06", "--city", city, db_url=scored_db, cwd=tmp_path, env=PEERS)
    line = one_chinese_line(r)
    assert expected in line and "是否要找" in line
    assert r.returncode == 2
    assert _scores(scored_db) == before  # nothing stored


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "abcd", "2024-13", "2024-6"])
def test_bad_months_are_refused(scored_db: str, tmp_path: Path, month: str) -> None:
    for args in (
        ["score", "--month", month],
        ["report", "--month", month, "--out", str(tmp_path / "o")],
        ["portal", "counts", "--city", "320281", "--month", month],
    ):
        line = one_chinese_line(cw(*args, db_url=scored_db, cwd=tmp_path, env=PEERS))
        assert "月份应为 YYYY-MM" in line, args


def test_a_one_city_run_keeps_the_ranking_of_the_whole_peer_set(scored_db: str, tmp_path: Path) -> None:
    full = cw("score", "--month", "2024-06", db_url=scored_db, cwd=tmp_path, env=PEERS)
    assert full.returncode == 0, full.stderr
    ranking = _scores(scored_db)
    assert set(ranking) == {"320281", "320200", "320500"}
    # 江阴 (county-level) is ranked among counties; the two prefectures are ranked among themselves.
    prefectures = {c: r for c, r in ranking.items() if c != "320281"}
    assert sorted(r or 0 for r in prefectures.values()) == [1, 2]
    worst = max(prefectures, key=lambda c: prefectures[c] or 0)
    one = cw("score", "--month", "2024-06", "--city", worst, db_url=scored_db, cwd=tmp_path, env=PEERS)
    assert one.returncode == 0, one.stderr
    # Before, a one-city run stored that city as rank 1 of 1, over the real ranking.
    assert _scores(scored_db) == ranking and ranking[worst] == 2


def test_corrupt_xlsx_import_is_one_line(scored_db: str, tmp_path: Path, shared_dir: Path) -> None:
    truncated = tmp_path / "truncated.xlsx"  # hand-made: a zip header whose archive is cut off
    truncated.write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40)
    page = next((shared_dir / "fixtures" / "pages").rglob("*.html"))
    renamed = tmp_path / "renamed.xlsx"  # a saved web page given a spreadsheet's name
    renamed.write_bytes(page.read_bytes())
    for file in (truncated, renamed):
        for args in (
            ["import", "portal", str(file), "--kind", "penalty"],
            ["inputs", "import", str(file), "--month", "2024-06", "--city", "320281"],
        ):
            line = one_chinese_line(cw(*args, db_url=scored_db, cwd=tmp_path))
            assert "应为XLSX 表格" in line, line
    assert "HTML 网页" in one_chinese_line(cw("import", "portal", str(renamed), "--kind", "penalty", db_url=scored_db, cwd=tmp_path))  # fmt: skip


def test_report_to_an_unwritable_path_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "reports.db"
    url = f"sqlite:///{path}"
    eng: Engine = make_engine(url)
    models.Base.metadata.create_all(eng)
    with Session(eng) as s:
        report_fixture.build(s)
    eng.dispose()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    r = cw(
        "report", "--month", report_fixture.MONTH, "--city", report_fixture.HOME, "--format", "html",
        "--out", str(blocker / "out"), "--db", url, cwd=tmp_path,
    )  # fmt: skip
    line = one_chinese_line(r)
    assert "不是目录" in line and str(blocker) in line


def test_users_add_on_an_empty_database_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    r = cw("users", "add", "wang", "--password-stdin", db_url=url, cwd=tmp_path, stdin="long-enough-1\n")
    assert "creditwatch db upgrade" in one_chinese_line(r)
    assert r.returncode == 1


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    r = cw(
        "--debug",
        "users",
        "add",
        "wang",
        "--password-stdin",
        db_url=url,
        cwd=tmp_path,
        stdin="long-enough-1\n",
    )
    assert r.returncode == 1
    assert "Traceback (most recent call last)" in r.stderr and "no such table: users" in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("错误：数据库尚未初始化")


def test_read_only_database_fails_the_import_with_one_line(tmp_path: Path) -> None:
    """A write that fails ends the command non-zero with a line saying nothing was saved (SQLite opened
    read-only by its URL: the same error a remounted or full disk gives)."""
    from storage import migrate

    path = tmp_path / "cw.db"
    migrate.upgrade(f"sqlite:///{path}")
    from tests.portals.test_imports import PENALTY_HEADER, PENALTY_ROWS, _xlsx

    export = _xlsx(tmp_path / "penalties.xlsx", PENALTY_HEADER, PENALTY_ROWS)
    url = f"sqlite:///file:{path}?mode=ro&uri=true"
    line = one_chinese_line(
        cw("import", "portal", str(export), "--kind", "penalty", "--db", url, cwd=tmp_path)
    )
    assert "数据库只读" in line and "未保存" in line


def test_demo_without_a_cjk_font_is_one_line_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # In process: the machine has a CJK font, so the fault is injected by hiding it from the font lookup.
    from monitor.cli import app
    from monitor.cli.errors import run
    from monitor.reports import charts

    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such CJK Font",))
    monkeypatch.setattr(charts, "_fc_match_files", lambda: [])
    charts.cjk_font.cache_clear()
    try:
        with pytest.raises(SystemExit) as exit_info:
            run(app, ["demo", "--out", str(tmp_path / "demo")])
    finally:
        charts.cjk_font.cache_clear()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("错误：缺少中文字体") and "fonts-noto-cjk" in err
    assert not (tmp_path / "demo").exists()  # refused before crawling anything


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["score"], "缺少选项 '--month'"),
        (["nosuch"], "没有这个命令 'nosuch'"),
        (["portal", "counts", "--city", "320281", "--month", "2024-01", "--registered", "abc"], "应为整数"),
        (["users", "add", "x", "--role", "boss"], "角色应为 viewer、analyst、admin 之一"),
        (["import", "portal", "no-such-file.xlsx", "--kind", "penalty"], "不存在"),
    ],
)
def test_a_mistyped_command_line_is_one_line_too(tmp_path: Path, args: list[str], expected: str) -> None:
    r = cw(*args, cwd=tmp_path)
    line = one_chinese_line(r)
    assert r.returncode == 2 and "用法错误" in line and expected in line and "--help" in line


def test_a_replay_that_is_not_a_recording_is_refused(tmp_path: Path, shared_dir: Path) -> None:
    page = next((shared_dir / "fixtures" / "pages").rglob("*.html"))
    r = cw("crawl", "homepage", "--replay", str(page), "--db", f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path)
    line = one_chinese_line(r)
    assert "应为WARC 归档" in line and "HTML 网页" in line
    assert not (tmp_path / "x.db").exists()  # refused before anything was opened
