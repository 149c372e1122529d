"""The scoring commands end to end on a migrated SQLite file: score (idempotent), what-if, calibrate, inputs."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from config.settings import get_settings
from models import IndexScore, ManualInput
from monitor.cli import app
from scoring.model import MODELS_DIR
from storage.db import get_engine, session_scope
from tests.scoring import fixture_db

CITIES = ["--city", "320281", "--city", "320200", "--city", "320500"]


@pytest.fixture
def cli_db(db_url, monkeypatch, tmp_path):
    models_dir = tmp_path / "index_models"
    shutil.copytree(MODELS_DIR, models_dir)
    monkeypatch.setenv("CREDITWATCH_DATABASE_URL", db_url)
    monkeypatch.setenv("CREDITWATCH_INDEX_MODELS", str(models_dir))
    get_settings.cache_clear()
    get_engine.cache_clear()
    with session_scope() as s:
        fixture_db.build(s)
    yield models_dir
    get_engine.cache_clear()
    get_settings.cache_clear()


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_score_is_stored_per_version_and_idempotent(cli_db):
    _run("score", "--month", "2024-06", "--model", "jiangsu2016", *CITIES)
    out = _run("score", "--month", "2024-06", "--model", "jiangsu2016", *CITIES, "--json")
    rows = json.loads(out)
    assert {r["division_code"] for r in rows} == {"320281", "320200", "320500"}
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(IndexScore)) == 3

    # A what-if under a new version (a heavier deduction): printed against the stored version, nothing stored.
    data = yaml.safe_load((cli_db / "jiangsu2016.yaml").read_text(encoding="utf-8"))
    data["version"] = "1.1.0"
    data["events"]["major_deduction"]["per_event"]["value"] = 2.5
    (cli_db / "versions").mkdir()
    (cli_db / "versions" / "jiangsu2016@1.1.0.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
    )
    out = _run(
        "score", "--month", "2024-06", "--model", "jiangsu2016", "--version", "1.1.0", "--dry-run", *CITIES
    )
    assert "what-if jiangsu2016 1.1.0 vs stored 1.0.0" in out
    # 江阴's major event (4 homepages, 1 month old: decay 0.891) now deducts (2.5 − 1.6)·0.891 = 0.80 more, of which
    # feedback (one prompt answer, one late: weight 1.5 of 2) offsets 0.5·0.75 = 37.5 %: net −0.50.
    assert "-0.50" in out
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(IndexScore)) == 3
    _run("score", "--month", "2024-06", "--model", "jiangsu2016", "--version", "1.1.0", *CITIES)
    with session_scope() as s:
        versions = s.execute(
            select(IndexScore.model_version, func.count()).group_by(IndexScore.model_version)
        ).all()
    assert sorted(versions) == [("1.0.0", 3), ("1.1.0", 3)]


def test_bad_month_and_model_are_clear_errors(cli_db):
    result = CliRunner().invoke(app, ["score", "--month", "2024-13"])
    assert result.exit_code == 2 and "月份应为 YYYY-MM" in result.output
    result = CliRunner().invoke(app, ["score", "--month", "2024-06", "--model", "nope"])
    assert result.exit_code == 1 and "no index model 'nope'" in result.output


def test_calibrate_reports_error_and_limits(cli_db):
    out = json.loads(_run("calibrate", "--json"))
    # Only 无锡 (via 江阴: a 2023 article and portal records) has inputs in a published list's window (2023).
    assert out["n"] == 34 and out["n_with_inputs"] == 1
    assert out["rmse_after"] < out["rmse_before"]
    assert any("base" in note for note in out["notes"])


def test_inputs_template_and_import(cli_db, tmp_path):
    path = tmp_path / "jiangsu.xlsx"
    _run("inputs", "template", "--model", "jiangsu2016", "--out", str(path))
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb["inputs"]
    for row in range(2, ws.max_row + 1):
        if ws.cell(row=row, column=1).value == "A4.1":
            ws.cell(row=row, column=8).value = 95
    wb.save(path)
    out = _run("inputs", "import", str(path), "--month", "2024-06", "--city", "320500")
    assert "1 values of jiangsu2016 stored for 320500, 2024-06" in out
    with session_scope() as s:
        assert s.scalar(select(ManualInput.value).where(ManualInput.division_code == "320500")) == 95
    ws.cell(row=2, column=8).value = "lots"
    wb.save(path)
    result = CliRunner().invoke(
        app, ["inputs", "import", str(path), "--month", "2024-06", "--city", "320500"]
    )
    assert (
        result.exit_code == 1
        and "row 2, column value" in result.output
        and "nothing imported" in result.output
    )
