"""Data entry of a statistical input: validated against the model, stored with its source, index re-scored."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import ManualInput
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded, seeded_score


def _post(client: TestClient, **fields: str) -> str:
    page = client.get("/entry/inputs").text
    data = {"city": "江阴", "month": "2026-10", "code": "A4.1", "value": "95", "source": "市发改委年度任务表"}
    data.update(fields)
    r = client.post("/entry/inputs", data={"csrf_token": csrf_of(page), **data})
    assert r.status_code == 303, r.text
    return client.get("/entry/inputs").text


def test_enter_a_statistical_input_and_the_index_follows(
    as_analyst: TestClient, engine: Engine, seeded: Seeded
) -> None:
    page = as_analyst.get("/entry/inputs").text
    assert "录入统计数据" in page and "A4.1 年度信用建设重点任务完成率（%，0–100）" in page

    def score() -> tuple[float, dict]:  # type: ignore[type-arg]
        row = seeded_score(engine)
        return row.total, row.details

    before, _ = score()
    html = _post(as_analyst, value="95%")
    assert "已录入 江阴市 (无锡) 2026-10 A4.1 = 95" in html and "市发改委年度任务表" in html
    after, details = score()
    assert after > before  # the task completion rate was missing (half credit); 95 % earns more
    assert "A4.1" not in details["missing"]
    # a second entry replaces the first and keeps what it replaced
    html = _post(as_analyst, value="40", source="省考核通报")
    with Session(engine) as s:
        (row,) = s.scalars(select(ManualInput).where(ManualInput.indicator_code == "A4.1")).all()
        assert row.value == 40 and row.division_code == "320281" and "原值 95" in (row.note or "")
        assert row.source_file == "控制台录入（analyst）"
    assert score()[0] < after


def test_bad_entries_are_refused_with_a_reason(
    as_analyst: TestClient, engine: Engine, seeded: Seeded
) -> None:
    assert "101 大于允许的最大值 100" in _post(as_analyst, value="101")
    assert "不是数值" in _post(as_analyst, value="很多")
    assert "没有名为「火星」的城市" in _post(as_analyst, city="火星")
    assert "数据项无效" in _post(as_analyst, code="Z9")
    assert "月份须为" in _post(as_analyst, month="1999-01")
    with Session(engine) as s:
        assert s.scalars(select(ManualInput)).first() is None
    page = as_analyst.get("/entry/inputs").text
    r = as_analyst.post(
        "/entry/inputs",
        data={"csrf_token": csrf_of(page), "city": "江阴\x00", "month": "2026-10", "code": "A4.1", "value": "9",
              "source": "x"},
    )  # fmt: skip
    assert r.status_code == 400  # NUL refused by the form's constraints
    r = as_analyst.post(
        "/entry/inputs",
        data={"csrf_token": csrf_of(page), "city": "江阴", "month": "2026-10", "code": "A4.1", "value": "9",
              "source": "x" * 201},
    )  # fmt: skip
    assert r.status_code == 400


def test_viewers_cannot_enter_figures(as_viewer: TestClient) -> None:
    assert as_viewer.get("/entry/inputs").status_code == 403
