"""Monthly figures on a hand-built set whose answers are counted by hand below."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from crawlers.portals.records import PortalItem
from crawlers.portals.store import store_items
from models.portal import ListKind
from storage.portal_queries import city_codes, government_dishonest_debtors, list_month, month_bounds

B, D = ListKind.BLACKLIST, ListKind.DISHONEST_DEBTOR


def _item(
    kind: ListKind, name: str, authority: str, entered: date | None, removed: date | None = None, **kw: object
) -> PortalItem:
    return PortalItem(
        list_kind=kind,
        entity_name=name,
        source="test",
        authority=authority,
        decided_on=entered,
        removed_on=removed,
        case_number=kw.pop("case", None),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def hand_built(db_session: Session) -> Session:
    items = [
        # 江阴 (320281) blacklist
        _item(B, "江阴甲公司", "江阴市市场监督管理局", date(2023, 11, 2)),  # active since before
        _item(B, "江阴乙公司", "江阴市市场监督管理局", date(2024, 3, 1)),  # new in March
        _item(
            B, "江阴乙公司", "江阴市应急管理局", date(2024, 3, 20), case="二"
        ),  # same party, second record, new
        _item(B, "江阴丙公司", "江阴市市场监督管理局", date(2024, 1, 5), date(2024, 3, 10)),  # exits in March
        _item(
            B, "江阴丁公司", "江阴市市场监督管理局", date(2024, 2, 1), date(2024, 4, 1)
        ),  # exits in April: active
        _item(B, "江阴戊公司", "江阴市市场监督管理局", date(2024, 4, 2)),  # enters after March
        _item(
            B, "王某", "江阴市人力资源和社会保障局", date(2024, 3, 31), entity_type="自然人"
        ),  # person, new
        _item(B, "江阴己公司", "江阴市市场监督管理局", None),  # undated
        # 无锡 prefecture-level authority and another county (宜兴 320282)
        _item(B, "无锡庚公司", "无锡市市场监督管理局", date(2024, 3, 15)),
        _item(B, "宜兴辛公司", "宜兴市市场监督管理局", date(2023, 5, 5)),
        # elsewhere
        _item(B, "苏州壬公司", "苏州市市场监督管理局", date(2024, 3, 3)),
        # 失信被执行人 attributed by the court
        _item(D, "江阴市某镇人民政府", "江苏省江阴市人民法院", date(2024, 3, 12), case="(2024)苏0281执1号"),
        _item(D, "江阴市某镇人民政府", "江苏省江阴市人民法院", date(2023, 6, 1), case="(2023)苏0281执9号"),
        _item(
            D,
            "宜兴市某局",
            "江苏省宜兴市人民法院",
            date(2024, 2, 1),
            date(2024, 3, 5),
            case="(2024)苏0282执3号",
        ),
        _item(D, "江阴癸公司", "江苏省江阴市人民法院", date(2024, 3, 2), case="(2024)苏0281执2号"),
    ]
    store_items(db_session, items)
    db_session.commit()
    return db_session


def test_county_month(hand_built: Session) -> None:
    m = list_month(hand_built, "320281", "2024-03", registered_entities=1000)
    # active at 31 March: 甲, 乙×2, 丁, 王某 = 5 records; 4 parties; 3 legal entities (王某 is a person)
    assert (m.active, m.active_entities, m.active_legal_entities) == (5, 4, 3)
    assert (m.new_entries, m.exits, m.undated) == (3, 1, 1)  # 乙, 乙二, 王某 / 丙
    assert m.share_of_legal_entities == pytest.approx(3 / 1000)


def test_prefecture_includes_counties(hand_built: Session) -> None:
    m = list_month(hand_built, "320200", "2024-03")
    # 江阴's 5 + 无锡庚 + 宜兴辛 = 7 active; new: 江阴's 3 + 庚 = 4; exits: 丙
    assert (m.active, m.new_entries, m.exits) == (7, 4, 1)
    assert m.share_of_legal_entities is None
    feb = list_month(hand_built, "320200", "2024-02")
    # at 29 Feb: 甲, 丙, 丁, 宜兴辛 (乙 and 庚 not yet) = 4; new in Feb: 丁
    assert (feb.active, feb.new_entries, feb.exits) == (4, 1, 0)


def test_government_bodies_on_the_court_list(hand_built: Session) -> None:
    g = government_dishonest_debtors(hand_built, "320281", "2024-03")
    assert (g.active, g.active_entities, g.new_entries) == (2, 1, 1)
    assert [r.case_number for r in g.records] == ["(2023)苏0281执9号", "(2024)苏0281执1号"]
    wx = government_dishonest_debtors(hand_built, "320200", "2024-02")
    # at 29 Feb: 镇政府 (2023 case) and 宜兴市某局 (exits 5 March)
    assert (wx.active, wx.active_entities) == (2, 2)
    debt = list_month(hand_built, "320281", "2024-03", kinds=(D,))
    assert (debt.active, debt.new_entries) == (3, 2)


def test_month_and_city_validation() -> None:
    assert month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_bounds("2024-13")
    with pytest.raises(ValueError, match="unknown division"):
        city_codes("999999")
    assert "320281" in city_codes("320200") and "320282" in city_codes("320200")


def test_a_known_exit_survives_a_stale_reread(db_session: Session) -> None:
    entered = _item(B, "江阴甲公司", "江阴市市场监督管理局", date(2024, 1, 2))
    left = _item(B, "江阴甲公司", "江阴市市场监督管理局", date(2024, 1, 2), date(2024, 3, 9))
    store_items(db_session, [left])
    assert store_items(db_session, [entered]) == (0, 1)
    m = list_month(db_session, "320281", "2024-03")
    assert (m.active, m.exits) == (0, 1)


def test_cli_counts(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from models import Base
    from monitor.cli import app
    from storage.db import make_engine
    from storage.repository import load_divisions

    url = f"sqlite:///{tmp_path / 'cw.db'}"
    eng = make_engine(url)
    Base.metadata.create_all(eng)
    with Session(eng) as s:
        load_divisions(
            s
        )  # as `creditwatch db upgrade` leaves it: the CLI checks --city against the gazetteer
        store_items(s, [_item(B, "江阴甲公司", "江阴市市场监督管理局", date(2024, 3, 2))])
        s.commit()
    res = CliRunner().invoke(
        app,
        ["portal", "counts", "--city", "320281", "--month", "2024-03", "--registered", "400", "--db", url],
    )
    assert res.exit_code == 0, res.output
    assert "blacklist active 1 (1 parties, share 0.2500%), new 1, exits 0" in res.output
    eng.dispose()
