"""`creditwatch report`: files written, and bad input gives a clear message and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from monitor.cli import reports as cli_reports
from tests.reports import fixture_db


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    # Only this area's command: the test must not depend on other areas' modules.
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    cli_reports.register(app)
    return app


@pytest.fixture(scope="module")
def db_url(report_engine: tuple[Engine, fixture_db.Fixture]) -> str:
    return str(report_engine[0].url)


def test_report_command_writes_the_formats(app: typer.Typer, db_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--month",
            "2026-10",
            "--city",
            "江阴",
            "--format",
            "xlsx,html",
            "--out",
            str(tmp_path / "o"),
            "--db",
            db_url,
        ],
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert names == ["creditwatch-report-320281-2026-10.html", "creditwatch-report-320281-2026-10.xlsx"]
    assert "creditwatch-report-320281-2026-10.xlsx" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "YYYY-MM"),
        (["--month", "2026-10", "--city", "朝阳区"], "对应多个行政区"),
        (["--month", "2026-10", "--city", "不存在市"], "没有名为「不存在市」的城市"),
        (["--month", "2026-10", "--format", "html,odt"], "不支持的报告格式「odt」"),
    ],
)
def test_report_command_bad_input(
    app: typer.Typer, db_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(app, ["report", *args, "--out", str(tmp_path), "--db", db_url])
    assert result.exit_code == 2
    assert message in result.output
    assert not list(tmp_path.iterdir())
