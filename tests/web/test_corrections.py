"""Corrections in place on an event page: city by Chinese name, kind/domain, major flag; audited, labelled for
retraining, and the index re-scored at once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import CityAttribution, Event, EventCorrection, EventStatus, Label
from monitor.corrections import CorrectionError, city_label, find_city
from nlp.gazetteer import get_gazetteer
from nlp.training import extra_labels
from tests.web.conftest import csrf_of
from tests.web.seed import Seeded, seeded_score


def test_cities_are_found_by_chinese_name() -> None:
    jy = find_city("江阴")
    assert jy.code == "320281" and city_label(jy) == "江阴市 (无锡)"
    assert find_city("江阴市 (无锡)").code == "320281" and find_city("320281").code == "320281"
    assert city_label(get_gazetteer().get("320200")) == "无锡市 (江苏)"  # type: ignore[arg-type]
    with pytest.raises(CorrectionError, match="对应多个地区"):
        find_city("朝阳")  # 朝阳区 (北京) and 朝阳市 (辽宁)
    with pytest.raises(CorrectionError, match="没有名为「火星」的城市"):
        find_city("火星")
    with pytest.raises(CorrectionError, match="没有代码为 320000"):
        find_city("320000")  # a province is no city


def test_correct_an_events_city_by_name_and_make_it_major(
    as_analyst: TestClient, engine: Engine, seeded: Seeded
) -> None:
    before = seeded_score(engine, "320281")
    page = as_analyst.get(f"/events/{seeded.suqian_event}").text
    assert "更正本事件" in page and 'list="city-options"' in page
    r = as_analyst.post(
        f"/events/{seeded.suqian_event}/correct",
        data={
            "csrf_token": csrf_of(page),
            "kind": "distrust",
            "domain": "society",
            "city": "江阴",
            "major": "1",
        },
    )
    assert r.status_code == 303
    page = as_analyst.get(f"/events/{seeded.suqian_event}").text
    assert "已更正 2 项，指数已重新计算" in page and 'id="corrections"' in page
    with Session(engine) as s:
        ev = s.get(Event, seeded.suqian_event)
        assert ev is not None and ev.division_code == "320281" and ev.status == EventStatus.MAJOR
        audit = {c.field: (c.before, c.after, c.corrected_by) for c in s.scalars(select(EventCorrection))}
        assert audit == {"city": ("321300", "320281", "analyst"), "major": ("否", "是", "analyst")}
        labels = list(s.scalars(select(Label).where(Label.labelled_by == "analyst")))
        assert labels and all(lb.division_code == "320281" and lb.kind == "distrust" for lb in labels)
        assert {
            a.division_code
            for a in s.scalars(select(CityAttribution).where(CityAttribution.method == "manual"))
        } == {"320281"}
        # the labels feed the next training run
        assert any(row.kind == "distrust" and row.domain == "society" for row in extra_labels(s))
    # the index was re-scored at once: 江阴 now carries a second major event in October
    after = seeded_score(engine, "320281")
    assert after.computed_at > before.computed_at and after.total < before.total
    assert str(seeded.suqian_event) in {e["ref"] for e in after.details["events"]}


def test_a_correction_with_an_unknown_city_changes_nothing(
    as_analyst: TestClient, engine: Engine, seeded: Seeded
) -> None:
    page = as_analyst.get(f"/events/{seeded.suqian_event}").text
    r = as_analyst.post(
        f"/events/{seeded.suqian_event}/correct",
        data={"csrf_token": csrf_of(page), "kind": "distrust", "domain": "society", "city": "火星"},
    )
    assert r.status_code == 303
    assert "没有名为「火星」的城市" in as_analyst.get(f"/events/{seeded.suqian_event}").text
    with Session(engine) as s:
        assert s.get(Event, seeded.suqian_event).division_code == "321300"  # type: ignore[union-attr]
        assert s.scalars(select(EventCorrection)).first() is None


def test_viewers_cannot_correct(as_viewer: TestClient, seeded: Seeded) -> None:
    page = as_viewer.get(f"/events/{seeded.suqian_event}").text
    assert "更正本事件" not in page
    r = as_viewer.post(
        f"/events/{seeded.suqian_event}/correct",
        data={"csrf_token": csrf_of(page), "kind": "distrust", "domain": "society", "city": "江阴"},
    )
    assert r.status_code == 403
